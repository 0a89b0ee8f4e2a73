#pragma once

// The `photons` job kind: bound states of interacting photons as a sweep.
//
//   job: photons
//   geometries:
//     - {name: ring24, kind: ring, sites: 24}
//     - {name: deco24, kind: decorated_ring, sites: 24, extra_parity: 0}
//   experiment: {theta: 0.5236, cycles: 20}
//   simulator: {kind: subspace, precision: c64}
//   sweep:
//     grid: {geometry: [ring24, deco24], photons: [2, 3, 4, 5], phi: [0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]}
//
// Every grid point is one simulation (photons_kernel.h), run by the sweep
// engine (jobs/sweep: tasks handed out over ranks, results.h5 with one row
// and its arrays per task, resume). With simulator.kind: distributed, every
// task's state is spread over all ranks instead, and the tasks run one after
// another. At the end rank 0 writes summary.txt and the figures
// (photon_plots.h) into the run directory.

#include "jobs/photons/photons_config.h"
#include "jobs/sweep/sweep_config.h"
#include "runtime/job.h"
#include "runtime/job_registry.h"

namespace tessera::jobs::photons {

class PhotonsKernel;

struct PlotsConfig {
  bool enabled = true;   // draw the figures into the run directory at the end

  void fields(config::Fields& f);
};

struct PhotonsConfig final : runtime::JobConfig {
  std::vector<GeometryConfig> geometries = {GeometryConfig{}};
  ExperimentConfig experiment;
  SimulatorConfig simulator;
  sweep::SweepConfig sweep;
  PlotsConfig plots;

  PhotonsConfig();
  void fields(config::Fields& f) override;
  // New grid points run and finished ones are skipped on resume.
  std::vector<std::string> resume_may_change() const override { return {"sweep", "plots"}; }

 private:
  std::shared_ptr<const PhotonsKernel> validator_;  // checks grid points while parsing
};

class PhotonsJob final : public runtime::Job {
 public:
  explicit PhotonsJob(const PhotonsConfig& config) : config_(config) {}
  void run(runtime::JobContext& context) override;

 private:
  PhotonsConfig config_;
};

void register_photons(runtime::JobRegistry& registry);

}  // namespace tessera::jobs::photons
