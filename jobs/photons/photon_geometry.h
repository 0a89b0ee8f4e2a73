#pragma once

// PhotonGeometry: the sites and couplings of a photon experiment, and the
// circuit of one cycle.
//
//   ring(N)                 N sites, bonds (i, i+1 mod N); a cycle is fSim(θ, φ)
//                           on the even bonds (0,1), (2,3), ... then on the odd
//                           bonds (1,2), ..., (N-1,0) (Morvan et al., Nature 2022).
//   decorated_ring(N, p)    the ring plus one extra site on every ring site i
//                           with i % 2 == p (sites N, N+1, ... in ring order),
//                           coupled by fSim(θ', φ') in a third layer: the
//                           integrability-breaking geometry.
//   graph(M, edges)         M sites and any edges, each in a layer (applied in
//                           layer order, edges in list order within a layer)
//                           with the main or the extra coupling.
//
// "Bound" means the photons occupy a connected set of sites of the coupling
// graph; on the ring that is "all on consecutive sites, wrap-around
// included".

#include <cstdint>
#include <string>
#include <vector>

#include "jobs/quantum/unitary_gate.h"

namespace tessera::jobs::photons {

enum class Coupling { kMain, kExtra };

struct Bond {
  int a = 0;
  int b = 0;
  int layer = 0;
  Coupling coupling = Coupling::kMain;
};

// The fSim angles of the two couplings (radians).
struct CouplingAngles {
  double theta = 0;         // main: hopping angle
  double phi = 0;           // main: interaction phase on |11>
  double theta_extra = 0;   // extra sites' coupling
  double phi_extra = 0;
};

class PhotonGeometry {
 public:
  static PhotonGeometry ring(int sites);
  static PhotonGeometry decorated_ring(int ring_sites, int parity);
  // Throws ConfigError-free InternalError on a bad edge (the job's config
  // validation reports user errors first).
  static PhotonGeometry graph(int sites, std::vector<Bond> bonds, std::string name = "graph");

  const std::string& name() const { return name_; }
  int sites() const { return sites_; }
  // Sites on the main chain (the ring), which the initial photons occupy.
  int ring_sites() const { return ring_sites_; }
  // In application order (by layer, then as listed).
  const std::vector<Bond>& bonds() const { return bonds_; }

  // One cycle: an fSim per bond, in order.
  quantum::UnitaryCircuit cycle(const CouplingAngles& angles) const;

  // `photons` adjacent ring sites centred on `center`: center - photons/2,
  // ..., wrapping around the ring. Throws InternalError when photons exceed
  // the ring.
  std::vector<int> initial_sites(int photons, int center) const;
  // The occupation mask of those sites.
  std::uint64_t initial_mask(int photons, int center) const;

  // Every `photons`-photon occupation mask whose sites are connected by the
  // bonds, in increasing order. Needs sites() <= 64.
  std::vector<std::uint64_t> bound_states(int photons) const;

 private:
  PhotonGeometry(std::string name, int sites, int ring_sites, std::vector<Bond> bonds);

  std::string name_;
  int sites_;
  int ring_sites_;
  std::vector<Bond> bonds_;
  std::vector<std::uint64_t> neighbours_;  // per site, a mask of its neighbours
};

}  // namespace tessera::jobs::photons
