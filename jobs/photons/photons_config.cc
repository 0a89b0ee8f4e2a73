#include "jobs/photons/photons_config.h"

#include <fmt/format.h>

namespace tessera::jobs::photons {

void EdgeConfig::fields(config::Fields& f) {
  f("a", a, "one site of the bond", config::at_least(0));
  f("b", b, "the other site", config::at_least(0));
  f("layer", layer, "layers run in increasing order within a cycle", config::at_least(0));
  f("coupling", coupling, "main: fSim(theta, phi); extra: fSim(theta_extra, phi_extra)",
    config::one_of({"main", "extra"}));
  if (f.parsing() && a == b) {
    f.issue("b", "must differ from a");
  }
}

void GeometryConfig::fields(config::Fields& f) {
  f("name", name, "what the sweep's geometry axis names", config::not_empty());
  f("kind", kind, "ring | decorated_ring | graph", config::one_of({"ring", "decorated_ring", "graph"}));
  f("sites", sites, "ring sites (ring, decorated_ring) or all sites (graph)", config::in_range(2, 64));
  f("extra_parity", extra_parity, "decorated_ring: an extra site on ring sites i with i % 2 == this",
    config::in_range(0, 1));
  f("edges", edges, "graph: the bonds of one cycle");
  if (!f.parsing()) {
    return;
  }
  if (kind != "graph" && (sites < 4 || sites % 2 != 0)) {
    f.issue("sites", "must be even and >= 4 for a ring");
  }
  if (kind == "decorated_ring" && sites + sites / 2 > 64) {
    f.issue("sites", "a decorated ring of this size has more than 64 sites");
  }
  if (kind == "graph" && edges.empty()) {
    f.issue("edges", "a graph needs at least one edge");
  }
  if (kind != "graph" && !edges.empty()) {
    f.issue("edges", "only a graph takes edges (kind: graph)");
  }
  for (const EdgeConfig& e : edges) {
    if (e.a >= sites || e.b >= sites) {
      f.issue("edges", fmt::format("edge ({}, {}) names a site >= sites ({})", e.a, e.b, sites));
      break;
    }
  }
}

PhotonGeometry GeometryConfig::build() const {
  if (kind == "ring") {
    return PhotonGeometry::ring(sites);
  }
  if (kind == "decorated_ring") {
    return PhotonGeometry::decorated_ring(sites, extra_parity);
  }
  std::vector<Bond> bonds;
  for (const EdgeConfig& e : edges) {
    bonds.push_back({e.a, e.b, e.layer, e.coupling == "extra" ? Coupling::kExtra : Coupling::kMain});
  }
  return PhotonGeometry::graph(sites, std::move(bonds), name);
}

void ExperimentConfig::fields(config::Fields& f) {
  f("photons", photons, "photons on adjacent ring sites at cycle 0", config::in_range(1, 64));
  f("phi", phi, "main fSim interaction phase (rad); 2 pi / 3 by default");
  f("cycles", cycles, "brick-wall cycles", config::at_least(0));
  f("theta", theta, "main fSim hopping angle (rad); pi/6 as in the experiment");
  f("theta_extra", theta_extra, "extra-site coupling's hopping angle (rad)");
  f("phi_extra", phi_extra, "extra-site coupling's interaction phase (rad)");
  f("center", center, "ring site the photons are centred on; -1: ring sites / 2", config::at_least(-1));
  f("pair_occupations", pair_occupations, "also record <n_j n_k> per cycle");
  f("shots", shots, "bitstrings sampled per cycle (0: exact observables only)", config::at_least<std::int64_t>(0));
}

void SimulatorConfig::fields(config::Fields& f) {
  f("kind", kind, "subspace | full | distributed (one state over all ranks)",
    config::one_of({"subspace", "full", "distributed"}));
  f("precision", precision, "c64 | c128", config::one_of({"c64", "c128"}));
  f("max_fused_qubits", max_fused_qubits, "full and distributed: gates fused per cycle", config::in_range(1, 4));
  f("threads", threads, "threads per rank; 0: runtime.threads_per_rank", config::at_least(0));
}

SimulationOptions SimulatorConfig::options(int default_threads) const {
  SimulationOptions o;
  o.simulator = kind == "subspace" ? Simulator::kSubspace : kind == "full" ? Simulator::kFull : Simulator::kDistributed;
  o.precision = precision == "c64" ? Precision::kComplex64 : Precision::kComplex128;
  o.max_fused_qubits = max_fused_qubits;
  o.threads = threads > 0 ? threads : default_threads;
  return o;
}

}  // namespace tessera::jobs::photons
