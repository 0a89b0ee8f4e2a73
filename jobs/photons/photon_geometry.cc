#include "jobs/photons/photon_geometry.h"

#include <algorithm>
#include <bit>

#include "jobs/quantum/photon_basis.h"
#include "runtime/error.h"

namespace tessera::jobs::photons {

PhotonGeometry::PhotonGeometry(std::string name, int sites, int ring_sites, std::vector<Bond> bonds)
    : name_(std::move(name)), sites_(sites), ring_sites_(ring_sites), bonds_(std::move(bonds)) {
  TESSERA_CHECK(sites >= 2 && sites <= 64, "{} sites (2..64)", sites);
  std::stable_sort(bonds_.begin(), bonds_.end(), [](const Bond& x, const Bond& y) { return x.layer < y.layer; });
  neighbours_.assign(static_cast<std::size_t>(sites), 0);
  for (const Bond& bond : bonds_) {
    TESSERA_CHECK(bond.a >= 0 && bond.a < sites && bond.b >= 0 && bond.b < sites && bond.a != bond.b,
                  "bond ({}, {}) on {} sites", bond.a, bond.b, sites);
    neighbours_[static_cast<std::size_t>(bond.a)] |= std::uint64_t{1} << bond.b;
    neighbours_[static_cast<std::size_t>(bond.b)] |= std::uint64_t{1} << bond.a;
  }
}

PhotonGeometry PhotonGeometry::ring(int sites) {
  TESSERA_CHECK(sites >= 4 && sites % 2 == 0, "a ring needs an even number of sites >= 4, not {}", sites);
  std::vector<Bond> bonds;
  for (int parity : {0, 1}) {
    for (int i = parity; i < sites; i += 2) {
      bonds.push_back({i, (i + 1) % sites, parity, Coupling::kMain});
    }
  }
  return PhotonGeometry("ring", sites, sites, std::move(bonds));
}

PhotonGeometry PhotonGeometry::decorated_ring(int ring_sites, int parity) {
  TESSERA_CHECK(parity == 0 || parity == 1, "decoration parity {} (0 or 1)", parity);
  PhotonGeometry base = ring(ring_sites);
  std::vector<Bond> bonds = base.bonds_;
  int extra = ring_sites;
  for (int i = parity; i < ring_sites; i += 2) {
    bonds.push_back({i, extra++, 2, Coupling::kExtra});
  }
  return PhotonGeometry("decorated_ring", extra, ring_sites, std::move(bonds));
}

PhotonGeometry PhotonGeometry::graph(int sites, std::vector<Bond> bonds, std::string name) {
  return PhotonGeometry(std::move(name), sites, sites, std::move(bonds));
}

quantum::UnitaryCircuit PhotonGeometry::cycle(const CouplingAngles& angles) const {
  quantum::UnitaryCircuit circuit{sites_, {}};
  for (const Bond& bond : bonds_) {
    const bool main = bond.coupling == Coupling::kMain;
    circuit.add(quantum::fsim_gate(bond.a, bond.b, main ? angles.theta : angles.theta_extra,
                                   main ? angles.phi : angles.phi_extra));
  }
  return circuit;
}

std::vector<int> PhotonGeometry::initial_sites(int photons, int center) const {
  TESSERA_CHECK(photons >= 1 && photons <= ring_sites_, "{} photons on a ring of {} sites", photons, ring_sites_);
  TESSERA_CHECK(center >= 0 && center < ring_sites_, "centre site {} outside the ring of {}", center, ring_sites_);
  std::vector<int> out;
  const int start = center - photons / 2;
  for (int k = 0; k < photons; ++k) {
    out.push_back(((start + k) % ring_sites_ + ring_sites_) % ring_sites_);
  }
  return out;
}

std::uint64_t PhotonGeometry::initial_mask(int photons, int center) const {
  std::uint64_t mask = 0;
  for (int s : initial_sites(photons, center)) {
    mask |= std::uint64_t{1} << s;
  }
  return mask;
}

std::vector<std::uint64_t> PhotonGeometry::bound_states(int photons) const {
  const quantum::PhotonBasis basis(sites_, photons);
  std::vector<std::uint64_t> out;
  for (std::uint64_t mask : basis.states()) {
    // Grow the connected component of the lowest occupied site within the mask.
    std::uint64_t reached = mask & (~mask + 1);
    std::uint64_t frontier = reached;
    while (frontier != 0) {
      std::uint64_t next = 0;
      for (std::uint64_t bits = frontier; bits != 0; bits &= bits - 1) {
        next |= neighbours_[static_cast<std::size_t>(std::countr_zero(bits))];
      }
      frontier = next & mask & ~reached;
      reached |= frontier;
    }
    if (reached == mask) {
      out.push_back(mask);
    }
  }
  return out;
}

}  // namespace tessera::jobs::photons
