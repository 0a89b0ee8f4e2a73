#pragma once

// SubspaceState: a state of n photons on N sites stored in its
// photon-number sector only: C(N, n) amplitudes instead of 2^N (5 photons on
// 24 sites: 42,504 instead of 16.8 million; on 36 sites: 376,992 instead of
// 6.9e10). Exact for circuits of number-conserving gates: fSim, CZ, Rz,
// phase, and any other 1- or 2-qubit gate that maps |01>, |10> into their
// own span.
//
//   SubspaceState<double> psi(24, 3);
//   psi.set_occupied({11, 12, 13});
//   psi.apply(ring_cycle);                 // same gates as for StateVector
//   std::vector<double> n = psi.occupations();
//
// Qubit j of a gate is site j; masks are N-bit occupations (bit j = site j),
// so a mask is the StateVector basis index of the same state. Each 2-site
// gate touches only the states with exactly one or two photons on its sites,
// through index tables built on first use per site pair and kept.

#include <complex>
#include <cstdint>
#include <map>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "jobs/quantum/photon_basis.h"
#include "jobs/quantum/unitary_gate.h"

namespace tessera::jobs::quantum {

template <class Real>
class SubspaceState {
 public:
  using Amplitude = std::complex<Real>;

  // The sector of `photons` photons on `sites` sites (see PhotonBasis for
  // limits), in its lowest basis state.
  SubspaceState(int sites, int photons);

  const PhotonBasis& basis() const { return basis_; }
  int sites() const { return basis_.sites(); }
  int photons() const { return basis_.photons(); }
  std::uint64_t dimension() const { return basis_.dimension(); }
  std::uint64_t memory_bytes() const { return dimension() * sizeof(Amplitude); }

  std::span<Amplitude> amplitudes() { return amplitudes_; }
  std::span<const Amplitude> amplitudes() const { return amplitudes_; }
  // The amplitude of occupation `mask` (0 outside the sector).
  Amplitude amplitude(std::uint64_t mask) const;

  // The basis state with exactly `sites` occupied (photons() distinct sites).
  void set_occupied(std::span<const int> sites);
  void set_basis_state(std::uint64_t mask);

  // Applies a number-conserving gate on 1 or 2 sites, or a circuit of them.
  // Throws InternalError for any other gate (a 1-site gate must be
  // diagonal).
  void apply(const UnitaryGate& gate);
  void apply(const UnitaryCircuit& circuit);

  double norm_squared() const;
  // <n_j> for every site.
  std::vector<double> occupations() const;
  // <n_j n_k>, row-major N x N (the diagonal holds occupations()).
  std::vector<double> pair_occupations() const;
  // The total probability of the listed occupation masks (masks outside the
  // sector count 0).
  double probability_of(std::span<const std::uint64_t> masks) const;
  // `shots` occupation masks drawn from |amplitude|^2, in random order.
  std::vector<std::uint64_t> sample(std::int64_t shots, std::mt19937_64& rng) const;

 private:
  // The states a 2-site gate on (a, b), a < b, mixes: pairs (only a, only b)
  // and the states with both.
  struct PairTable {
    std::vector<std::uint32_t> only_a;
    std::vector<std::uint32_t> only_b;
    std::vector<std::uint32_t> both;
  };
  const PairTable& pair_table(int a, int b);
  void multiply_where(std::uint64_t mask, std::uint64_t value, std::complex<double> factor);

  PhotonBasis basis_;
  std::vector<Amplitude> amplitudes_;
  std::map<std::pair<int, int>, PairTable> tables_;
};

extern template class SubspaceState<float>;
extern template class SubspaceState<double>;

}  // namespace tessera::jobs::quantum
