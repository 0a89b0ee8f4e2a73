// The photon-number subspace: its basis, and its states against the
// dense-matrix reference and the full state vector.

#include "jobs/quantum/subspace_state.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>

#include "jobs/quantum/state_vector.h"
#include "runtime/error.h"
#include "tests/jobs/quantum/dense_reference.h"

namespace tessera::jobs::quantum {
namespace {

TEST(PhotonBasis, HoldsEveryMaskWithNBitsSetInIncreasingOrder) {
  PhotonBasis basis(10, 4);
  ASSERT_EQ(basis.dimension(), 210u);
  for (std::uint64_t i = 0; i < basis.dimension(); ++i) {
    EXPECT_EQ(std::popcount(basis.state(i)), 4);
    EXPECT_LT(basis.state(i), 1u << 10);
    if (i > 0) {
      EXPECT_GT(basis.state(i), basis.state(i - 1));
    }
    EXPECT_EQ(basis.rank(basis.state(i)), i);
  }
}

TEST(PhotonBasis, SectorSizesAreBinomials) {
  EXPECT_EQ(PhotonBasis(24, 5).dimension(), 42504u);
  EXPECT_EQ(PhotonBasis(24, 2).dimension(), 276u);
  EXPECT_EQ(PhotonBasis(36, 5).dimension(), 376992u);
  EXPECT_EQ(PhotonBasis(64, 1).dimension(), 64u);
  EXPECT_EQ(PhotonBasis(5, 0).dimension(), 1u);
  EXPECT_THROW(PhotonBasis(64, 32), InternalError);  // 1.8e18 states
  EXPECT_THROW(PhotonBasis(10, 4).rank(0b111), InternalError);
}

// A random number-conserving two-qubit gate: phases on |00>, |11> and a
// random unitary on span{|01>, |10>}.
UnitaryGate random_conserving_gate(int a, int b, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> angle(-3.0, 3.0);
  const std::vector<Complex> u = testing::random_unitary(2, rng);
  std::vector<Complex> m(16);
  m[0] = std::polar(1.0, angle(rng));
  m[5] = u[0];
  m[6] = u[1];
  m[9] = u[2];
  m[10] = u[3];
  m[15] = std::polar(1.0, angle(rng));
  return matrix_gate(a, b, m, "conserving");
}

template <class Real>
void expect_random_conserving_circuits_match_dense(double tolerance) {
  std::mt19937_64 rng(31);
  const int n = 7;
  for (int photons : {1, 2, 3}) {
    UnitaryCircuit circuit{n, {}};
    std::uniform_int_distribution<int> site(0, n - 1);
    std::uniform_real_distribution<double> angle(-3.0, 3.0);
    for (int g = 0; g < 30; ++g) {
      const int a = site(rng);
      int b = site(rng);
      while (b == a) {
        b = site(rng);
      }
      switch (g % 4) {
        case 0: circuit.add(fsim_gate(a, b, angle(rng), angle(rng))); break;
        case 1: circuit.add(random_conserving_gate(a, b, rng)); break;
        case 2: circuit.add(rz_gate(a, angle(rng))); break;
        default: circuit.add(cz_gate(a, b)); break;
      }
    }
    SubspaceState<Real> psi(n, photons);
    std::vector<int> occupied;
    for (int p = 0; p < photons; ++p) {
      occupied.push_back(2 * p);
    }
    psi.set_occupied(occupied);
    std::uint64_t start = 0;
    for (int s : occupied) {
      start |= std::uint64_t{1} << s;
    }
    psi.apply(circuit);
    const testing::Dense expected = testing::apply_dense(circuit, testing::basis_state(n, start));
    for (std::uint64_t mask = 0; mask < expected.size(); ++mask) {
      EXPECT_NEAR(std::abs(Complex(psi.amplitude(mask)) - expected[mask]), 0.0, tolerance)
          << photons << " photons, mask " << mask;
    }
  }
}

TEST(SubspaceState, NumberConservingCircuitsMatchTheDenseReferenceC64) {
  expect_random_conserving_circuits_match_dense<float>(2e-6);
}

TEST(SubspaceState, NumberConservingCircuitsMatchTheDenseReferenceC128) {
  expect_random_conserving_circuits_match_dense<double>(1e-13);
}

TEST(SubspaceState, RejectsGatesThatChangeThePhotonNumber) {
  SubspaceState<double> psi(6, 2);
  EXPECT_THROW(psi.apply(rx_gate(0, 0.3)), InternalError);
  EXPECT_THROW(psi.apply(cnot_gate(0, 1)), InternalError);
  EXPECT_THROW(psi.apply(UnitaryGate{{0, 1, 2}, std::vector<Complex>(64), "three"}), InternalError);
}

TEST(SubspaceState, ConservesNormAndPhotonNumberOnLargeRings) {
  // 36 sites: a ring of 24 with 12 extra sites, beyond any full state vector here.
  SubspaceState<double> psi(36, 4);
  psi.set_occupied(std::vector<int>{10, 11, 12, 13});
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> angle(-3.0, 3.0);
  for (int g = 0; g < 200; ++g) {
    const int a = g % 36;
    psi.apply(fsim_gate(a, (a + 1 + g % 5) % 36, angle(rng), angle(rng)));
  }
  EXPECT_NEAR(psi.norm_squared(), 1.0, 1e-12);
  const std::vector<double> n = psi.occupations();
  double total = 0;
  for (double x : n) {
    total += x;
  }
  EXPECT_NEAR(total, 4.0, 1e-12);
  const std::vector<double> pairs = psi.pair_occupations();
  for (int j = 0; j < 36; ++j) {
    EXPECT_NEAR(pairs[static_cast<std::size_t>(j * 36 + j)], n[static_cast<std::size_t>(j)], 1e-12);
  }
}

TEST(SubspaceState, ObservablesEqualTheFullStateVectorOnTheSameCircuit) {
  std::mt19937_64 rng(8);
  const int n = 10;
  UnitaryCircuit circuit{n, {}};
  std::uniform_real_distribution<double> angle(-3.0, 3.0);
  for (int g = 0; g < 40; ++g) {
    circuit.add(fsim_gate(g % n, (g * 3 + 1) % n == g % n ? (g + 1) % n : (g * 3 + 1) % n, angle(rng), angle(rng)));
  }
  SubspaceState<double> sub(n, 3);
  sub.set_occupied(std::vector<int>{4, 5, 6});
  StateVector<double> full(n);
  for (int s : {4, 5, 6}) {
    full.apply(x_gate(s));
  }
  sub.apply(circuit);
  full.apply(circuit);
  const std::vector<double> a = sub.occupations(), b = full.occupations();
  const std::vector<double> pa = sub.pair_occupations(), pb = full.pair_occupations();
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_NEAR(a[i], b[i], 1e-13);
  }
  for (std::size_t i = 0; i < pa.size(); ++i) {
    EXPECT_NEAR(pa[i], pb[i], 1e-13);
  }
  const std::vector<std::uint64_t> some = {0b1110000, 0b111, 0b11};
  EXPECT_NEAR(sub.probability_of(some), full.probability_of(some), 1e-13);
}

TEST(SubspaceState, SamplesFollowTheBornRule) {
  SubspaceState<double> psi(8, 2);
  psi.set_occupied(std::vector<int>{3, 4});
  psi.apply(fsim_gate(4, 5, 0.6, 0.0));  // |3,4> -> cos|3,4> - i sin|3,5>
  std::mt19937_64 rng(1);
  const std::vector<std::uint64_t> shots = psi.sample(100000, rng);
  double frequency = 0;
  for (std::uint64_t s : shots) {
    ASSERT_TRUE(s == 0b11000 || s == 0b101000) << s;
    frequency += s == 0b11000 ? 1.0 : 0.0;
  }
  frequency /= 100000;
  const double p = std::pow(std::cos(0.6), 2);
  EXPECT_NEAR(frequency, p, 5 * std::sqrt(p * (1 - p) / 100000));
}

}  // namespace
}  // namespace tessera::jobs::quantum
