#pragma once

// The photons job's own config sections (beside the common job header):
//
//   geometries:                      # the geometries the sweep can name
//     - {name: ring24, kind: ring, sites: 24}
//     - {name: deco24, kind: decorated_ring, sites: 24, extra_parity: 0}
//     - {name: chain6, kind: graph, sites: 6, edges: [{a: 0, b: 1}, {a: 1, b: 2, layer: 1}]}
//   experiment: {photons: 2, phi: 2.094, cycles: 20, theta: 0.5236, center: -1, shots: 0}
//   simulator: {kind: subspace, precision: c64, max_fused_qubits: 3, threads: 0}
//
// The sweep grid (photons x phi x geometry x cycles) is the sweep engine's
// section; see photons_job.h.

#include <cstdint>
#include <string>
#include <vector>

#include "jobs/photons/photon_geometry.h"
#include "jobs/photons/photon_simulation.h"
#include "runtime/config/fields.h"

namespace tessera::jobs::photons {

struct EdgeConfig {
  int a = 0;                       // one site of the bond
  int b = 1;                       // the other site
  int layer = 0;                   // layers run in increasing order within a cycle
  std::string coupling = "main";   // main: fSim(theta, phi); extra: fSim(theta_extra, phi_extra)

  void fields(config::Fields& f);
};

struct GeometryConfig {
  std::string name = "ring";       // what the sweep's geometry axis names
  std::string kind = "ring";       // ring | decorated_ring | graph
  int sites = 24;                  // ring sites (ring, decorated_ring) or all sites (graph)
  int extra_parity = 0;            // decorated_ring: an extra site on ring sites i with i % 2 == this
  std::vector<EdgeConfig> edges;   // graph: the bonds of one cycle

  void fields(config::Fields& f);
  PhotonGeometry build() const;
};

// Defaults of every task; a sweep grid key of the same name overrides one.
struct ExperimentConfig {
  int photons = 2;                          // photons on adjacent ring sites at cycle 0
  double phi = 2.0943951023931953;          // main fSim interaction phase (rad), 2 pi / 3
  int cycles = 20;                          // brick-wall cycles
  double theta = 0.5235987755982988;        // main fSim hopping angle (rad), pi/6 as in the experiment
  double theta_extra = 0.5235987755982988;  // extra-site coupling's hopping angle (rad)
  double phi_extra = 0.0;                   // extra-site coupling's interaction phase (rad)
  int center = -1;                          // ring site the photons are centred on; -1: ring sites / 2
  bool pair_occupations = false;            // also record <n_j n_k> per cycle
  std::int64_t shots = 0;                   // bitstrings sampled per cycle (0: exact observables only)

  void fields(config::Fields& f);
};

struct SimulatorConfig {
  std::string kind = "subspace";   // subspace | full | distributed (one state over all ranks)
  std::string precision = "c64";   // c64 | c128
  int max_fused_qubits = 3;        // full and distributed: gates fused per cycle (1..4)
  int threads = 0;                 // threads per rank; 0: runtime.threads_per_rank

  void fields(config::Fields& f);
  SimulationOptions options(int default_threads) const;
};

}  // namespace tessera::jobs::photons
