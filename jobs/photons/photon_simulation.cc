#include "jobs/photons/photon_simulation.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "jobs/quantum/distributed_state_vector.h"
#include "jobs/quantum/gate_fuser.h"
#include "jobs/quantum/photon_basis.h"
#include "jobs/quantum/state_vector.h"
#include "jobs/quantum/subspace_state.h"
#include "runtime/error.h"

namespace tessera::jobs::photons {
namespace {

// Records the observables of `psi` (StateVector or SubspaceState) as row `cycle`.
template <class State>
class Recorder {
 public:
  Recorder(const PhotonGeometry& geometry, const PhotonTask& task, const SimulationOptions& options,
           PhotonResult& result)
      : bound_states_(geometry.bound_states(task.photons)), options_(options), result_(result),
        rng_(task.seed) {}

  void record(const State& psi) {
    const std::vector<double> n = psi.occupations();
    result_.occupation.insert(result_.occupation.end(), n.begin(), n.end());
    result_.bound.push_back(psi.probability_of(bound_states_));
    result_.norm.push_back(psi.norm_squared());
    if (options_.pair_occupations) {
      const std::vector<double> pairs = psi.pair_occupations();
      result_.pair_occupation.insert(result_.pair_occupation.end(), pairs.begin(), pairs.end());
    }
    if (options_.shots > 0) {
      const std::vector<std::uint64_t> shots = psi.sample(options_.shots, rng_);
      std::int64_t bound = 0;
      for (std::uint64_t s : shots) {
        bound += std::binary_search(bound_states_.begin(), bound_states_.end(), s) ? 1 : 0;
      }
      result_.samples.insert(result_.samples.end(), shots.begin(), shots.end());
      result_.sampled_bound.push_back(static_cast<double>(bound) / static_cast<double>(options_.shots));
    }
  }

 private:
  std::vector<std::uint64_t> bound_states_;
  const SimulationOptions& options_;
  PhotonResult& result_;
  std::mt19937_64 rng_;
};

template <class State>
void evolve(State& psi, const quantum::UnitaryCircuit& cycle, const PhotonGeometry& geometry,
            const PhotonTask& task, const SimulationOptions& options, PhotonResult& result) {
  Recorder<State> recorder(geometry, task, options, result);
  recorder.record(psi);
  for (int c = 1; c <= task.cycles; ++c) {
    psi.apply(cycle);
    recorder.record(psi);
  }
}

template <class Real>
void run(const PhotonGeometry& geometry, const PhotonTask& task, const SimulationOptions& options,
         comm::Communicator* comm, PhotonResult& result) {
  const quantum::UnitaryCircuit cycle = geometry.cycle(task.angles);
  const std::uint64_t start = geometry.initial_mask(task.photons, task.center);
  if (options.simulator == Simulator::kSubspace) {
    quantum::SubspaceState<Real> psi(geometry.sites(), task.photons);
    psi.set_basis_state(start);
    result.amplitudes = psi.dimension();
    evolve(psi, cycle, geometry, task, options, result);
  } else if (options.simulator == Simulator::kDistributed) {
    TESSERA_CHECK(comm != nullptr, "the distributed simulator needs a communicator");
    quantum::DistributedStateVector<Real> psi(geometry.sites(), *comm, {.threads = options.threads});
    psi.set_basis_state(start);
    result.amplitudes = psi.local_size() * static_cast<std::uint64_t>(comm->size());
    evolve(psi, quantum::fuse_gates(cycle, {options.max_fused_qubits}), geometry, task, options, result);
  } else {
    quantum::StateVector<Real> psi(geometry.sites(), {options.threads, "auto"});
    psi.set_basis_state(start);
    result.amplitudes = psi.size();
    evolve(psi, quantum::fuse_gates(cycle, {options.max_fused_qubits}), geometry, task, options, result);
  }
}

}  // namespace

PhotonResult simulate_photons(const PhotonGeometry& geometry, const PhotonTask& task,
                              const SimulationOptions& options, comm::Communicator* comm) {
  TESSERA_CHECK(task.cycles >= 0, "{} cycles", task.cycles);
  const auto begin = std::chrono::steady_clock::now();
  PhotonResult result;
  result.sites = geometry.sites();
  result.cycles = task.cycles;
  if (options.precision == Precision::kComplex64) {
    run<float>(geometry, task, options, comm, result);
  } else {
    run<double>(geometry, task, options, comm, result);
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  return result;
}

std::uint64_t state_bytes(const PhotonGeometry& geometry, int photons, const SimulationOptions& options,
                          int ranks) {
  const std::uint64_t amplitude = options.precision == Precision::kComplex64 ? 8 : 16;
  if (options.simulator == Simulator::kSubspace) {
    return quantum::PhotonBasis::binomial(geometry.sites(), photons) * amplitude;
  }
  if (geometry.sites() >= 60) {
    return ~std::uint64_t{0};
  }
  const std::uint64_t full = (std::uint64_t{1} << geometry.sites()) * amplitude;
  if (options.simulator == Simulator::kFull) {
    return full;
  }
  return full / static_cast<std::uint64_t>(std::max(ranks, 1)) + 2 * quantum::DistributedOptions{}.exchange_chunk_bytes;
}

}  // namespace tessera::jobs::photons
