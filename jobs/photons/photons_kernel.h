#pragma once

// PhotonsKernel: one photon experiment per sweep task (jobs/sweep).
//
// Grid keys (each overrides the experiment: default of the same name):
//   photons, phi, cycles, theta, theta_extra, phi_extra, center, and
//   geometry (a name from geometries:; default the first one).
// A task's canonical parameters hold all of these resolved, plus what makes
// its numbers: the geometry's definition, the simulator and its precision,
// shots and pair_occupations. So changing any of them makes new tasks, and
// nothing else does.
//
// A task is one chunk of one "shot" (one simulation); its arrays are
//   occupation       [cycles + 1, sites]   <n_j> after each cycle (row 0: the start)
//   bound            [cycles + 1]          P(photons on connected sites)
//   norm             [cycles + 1]          squared norm (1 up to rounding)
//   pair_occupation  [cycles + 1, sites, sites]   with experiment.pair_occupations
//   samples          [cycles + 1, shots]   occupation masks, with experiment.shots
//   sampled_bound    [cycles + 1]          bound fraction of the shots
// and its custom count `amplitudes` is the simulator's state size.

#include <map>
#include <string>
#include <vector>

#include "jobs/photons/photons_config.h"
#include "jobs/sweep/sweep_kernel.h"

namespace tessera::comm {
class Communicator;
}

namespace tessera::jobs::photons {

// A task's settings, read back from its canonical parameters.
struct PhotonPoint {
  std::string geometry;
  PhotonTask task;
};

class PhotonsKernel final : public sweep::SweepKernel {
 public:
  // `default_threads`: simulator threads when simulator.threads is 0.
  // `comm`: the communicator the distributed simulator spreads a state over
  // (unused by the other simulators).
  PhotonsKernel(std::vector<GeometryConfig> geometries, ExperimentConfig experiment, SimulatorConfig simulator,
                int default_threads = 1, comm::Communicator* comm = nullptr);

  // Throws ConfigError for an unknown key, a bad value, an unknown geometry
  // or a task the simulator cannot hold.
  sweep::TaskDescription describe(const nlohmann::json& point) const override;
  // One chunk of one shot for every task.
  sweep::TaskLimits limits(const sweep::TaskDescription& task, const sweep::TaskLimits& configured) const override;
  sweep::ChunkResult run_chunk(const sweep::Task& task, const sweep::Chunk& chunk) override;
  // The distributed simulator spreads every task over all ranks.
  bool collective() const override { return options_.simulator == Simulator::kDistributed; }

  PhotonPoint point(const nlohmann::json& params) const;
  const PhotonGeometry& geometry(const std::string& name) const;
  const SimulationOptions& options() const { return options_; }

 private:
  std::vector<GeometryConfig> geometry_configs_;
  std::map<std::string, PhotonGeometry> geometries_;
  ExperimentConfig experiment_;
  SimulationOptions options_;
  comm::Communicator* comm_;
};

// The chunk result of one simulation (the arrays listed above).
sweep::ChunkResult to_chunk_result(const PhotonResult& result);

}  // namespace tessera::jobs::photons
