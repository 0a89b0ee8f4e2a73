#pragma once

// One photon experiment: photons placed on adjacent ring sites, brick-wall
// fSim cycles, and the observables after every cycle.
//
//   PhotonGeometry ring = PhotonGeometry::ring(24);
//   PhotonResult r = simulate_photons(ring, {.photons = 3, .center = 12,
//                                            .cycles = 20, .angles = {...}}, {});
//   r.occupation[c * r.sites + j]   // <n_j> after cycle c (c = 0: the initial state)
//   r.bound[c]                      // P(photons on connected sites) after cycle c
//
// The simulator is the photon-number subspace (exact, C(N, n) amplitudes) or
// the full state vector (2^N amplitudes, gates fused per cycle), in
// complex64 or complex128; both give the same numbers to rounding.

#include <cstdint>
#include <string>
#include <vector>

#include "jobs/photons/photon_geometry.h"

namespace tessera::comm {
class Communicator;
}

namespace tessera::jobs::photons {

// kDistributed: one full state vector spread over every rank of a
// communicator (DistributedStateVector), for states too big for one rank.
enum class Simulator { kSubspace, kFull, kDistributed };
enum class Precision { kComplex64, kComplex128 };

struct SimulationOptions {
  Simulator simulator = Simulator::kSubspace;
  Precision precision = Precision::kComplex64;
  int max_fused_qubits = 3;         // full state: gate fusion per cycle (1..4)
  int threads = 1;                  // full state: threads per gate
  bool pair_occupations = false;    // record <n_j n_k> per cycle
  std::int64_t shots = 0;           // sampled bitstrings per cycle (0: none)
};

struct PhotonTask {
  int photons = 2;
  int center = 12;                  // the initial photons are centred here (ring site)
  int cycles = 20;
  CouplingAngles angles;
  std::uint64_t seed = 1;           // for the shots
};

struct PhotonResult {
  int sites = 0;
  int cycles = 0;
  std::vector<double> occupation;       // (cycles + 1) x sites
  std::vector<double> bound;            // cycles + 1
  std::vector<double> norm;             // cycles + 1: squared norm (1 up to rounding)
  std::vector<double> pair_occupation;  // (cycles + 1) x sites x sites, or empty
  std::vector<std::uint64_t> samples;   // (cycles + 1) x shots occupation masks, or empty
  std::vector<double> sampled_bound;    // cycles + 1: the bound fraction of the shots, or empty
  std::uint64_t amplitudes = 0;         // state size the simulator held
  double seconds = 0;                   // wall time of the evolution and observables
};

// Runs the task. Throws InternalError for a task that does not fit the
// geometry or a full state too large for memory (std::bad_alloc). With
// Simulator::kDistributed it is collective over `comm` (every rank passes the
// same task and gets the same result); otherwise `comm` is unused.
PhotonResult simulate_photons(const PhotonGeometry& geometry, const PhotonTask& task,
                              const SimulationOptions& options, comm::Communicator* comm = nullptr);

// The bytes the simulator's state needs on each rank for this geometry and
// photon number over `ranks` ranks (reported before a run starts).
std::uint64_t state_bytes(const PhotonGeometry& geometry, int photons, const SimulationOptions& options,
                          int ranks = 1);

}  // namespace tessera::jobs::photons
