// The photon experiment: geometry, hand-computed cycles, and the subspace
// simulator against the full state vector on the 24-site ring.

#include "jobs/photons/photon_simulation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "jobs/quantum/gate_fuser.h"
#include "jobs/quantum/state_vector.h"
#include "jobs/quantum/subspace_state.h"

namespace tessera::jobs::photons {
namespace {

using quantum::Complex;

TEST(PhotonGeometry, RingCycleIsEvenBondsThenOddBondsEndingWithTheWrapAround) {
  const PhotonGeometry ring = PhotonGeometry::ring(24);
  ASSERT_EQ(ring.bonds().size(), 24u);
  EXPECT_EQ(ring.bonds()[0].a, 0);
  EXPECT_EQ(ring.bonds()[0].b, 1);
  EXPECT_EQ(ring.bonds()[11].a, 22);
  EXPECT_EQ(ring.bonds()[12].a, 1);
  EXPECT_EQ(ring.bonds()[12].b, 2);
  EXPECT_EQ(ring.bonds()[23].a, 23);
  EXPECT_EQ(ring.bonds()[23].b, 0);
  EXPECT_EQ(ring.cycle({0.5, 1.0, 0, 0}).gates.size(), 24u);
}

TEST(PhotonGeometry, PhotonsStartOnAdjacentSitesAroundTheCentre) {
  const PhotonGeometry ring = PhotonGeometry::ring(24);
  EXPECT_EQ(ring.initial_sites(2, 12), (std::vector<int>{11, 12}));
  EXPECT_EQ(ring.initial_sites(3, 12), (std::vector<int>{11, 12, 13}));
  EXPECT_EQ(ring.initial_sites(5, 12), (std::vector<int>{10, 11, 12, 13, 14}));
  EXPECT_EQ(ring.initial_sites(3, 0), (std::vector<int>{23, 0, 1}));
}

TEST(PhotonGeometry, BoundStatesAreConsecutiveSitesWithWrapAround) {
  const PhotonGeometry ring = PhotonGeometry::ring(12);
  const std::vector<std::uint64_t> bound = ring.bound_states(3);
  EXPECT_EQ(bound.size(), 12u);  // one block of 3 starting at each site
  EXPECT_TRUE(std::binary_search(bound.begin(), bound.end(), std::uint64_t{0b111}));
  EXPECT_TRUE(std::binary_search(bound.begin(), bound.end(), std::uint64_t{0b100000000011}));
  EXPECT_FALSE(std::binary_search(bound.begin(), bound.end(), std::uint64_t{0b1011}));
}

TEST(PhotonGeometry, DecoratedRingHangsAnExtraSiteOnAlternateRingSites) {
  const PhotonGeometry deco = PhotonGeometry::decorated_ring(24, 0);
  EXPECT_EQ(deco.sites(), 36);
  EXPECT_EQ(deco.ring_sites(), 24);
  ASSERT_EQ(deco.bonds().size(), 36u);
  EXPECT_EQ(deco.bonds()[24].a, 0);
  EXPECT_EQ(deco.bonds()[24].b, 24);
  EXPECT_EQ(deco.bonds()[35].a, 22);
  EXPECT_EQ(deco.bonds()[35].coupling, Coupling::kExtra);
  // A photon on extra site 24 (hung on ring site 0) next to one on ring site 0 is bound.
  const std::vector<std::uint64_t> bound = deco.bound_states(2);
  EXPECT_TRUE(std::binary_search(bound.begin(), bound.end(), (std::uint64_t{1} << 24) | 1u));
  EXPECT_FALSE(std::binary_search(bound.begin(), bound.end(), (std::uint64_t{1} << 24) | 2u));
}

// One cycle on a 4-site ring: layer (0,1),(2,3), then (1,2),(3,0).
TEST(PhotonSimulation, OneCycleMatchesHandComputedAmplitudes) {
  const double t = 0.3, p = 1.1;
  const Complex c = std::cos(t), mis = Complex(0, -std::sin(t)), phase = std::polar(1.0, -p);
  const PhotonGeometry ring = PhotonGeometry::ring(4);
  const quantum::UnitaryCircuit cycle = ring.cycle({t, p, 0, 0});
  // One photon on site 0 hops to 1, then 0 -> 3 and 1 -> 2.
  const std::vector<std::pair<std::uint64_t, Complex>> one = {
      {0b0001, c * c}, {0b1000, mis * c}, {0b0010, c * mis}, {0b0100, mis * mis}};
  // Two photons on sites 0 and 1 pick up e^{-i phi}, then each hops outward.
  const std::vector<std::pair<std::uint64_t, Complex>> two = {{0b0011, phase * c * c},
                                                              {0b0101, phase * c * mis},
                                                              {0b1010, phase * mis * c},
                                                              {0b1100, phase * mis * mis}};
  for (const auto& [start, expected] : {std::pair{std::uint64_t{0b0001}, one}, std::pair{std::uint64_t{0b0011}, two}}) {
    quantum::StateVector<double> full(4);
    full.set_basis_state(start);
    full.apply(cycle);
    quantum::SubspaceState<double> sub(4, std::popcount(start));
    sub.set_basis_state(start);
    sub.apply(cycle);
    double total = 0;
    for (const auto& [mask, amplitude] : expected) {
      EXPECT_LT(std::abs(full.amplitude(mask) - amplitude), 1e-15) << start << " -> " << mask;
      EXPECT_LT(std::abs(sub.amplitude(mask) - amplitude), 1e-15) << start << " -> " << mask;
      total += std::norm(amplitude);
    }
    EXPECT_NEAR(total, 1.0, 1e-15);  // nothing else is reached
  }
}

void expect_subspace_equals_full(int photons, Precision precision, double tolerance) {
  const PhotonGeometry ring = PhotonGeometry::ring(24);
  const PhotonTask task{photons, 12, 6, {std::numbers::pi / 6, 2 * std::numbers::pi / 3, 0, 0}, 1};
  const PhotonResult sub = simulate_photons(ring, task, {Simulator::kSubspace, precision});
  const PhotonResult full = simulate_photons(ring, task, {Simulator::kFull, precision});
  ASSERT_EQ(sub.occupation.size(), 7u * 24u);
  ASSERT_EQ(full.occupation.size(), sub.occupation.size());
  EXPECT_EQ(sub.amplitudes, quantum::PhotonBasis::binomial(24, photons));
  EXPECT_EQ(full.amplitudes, std::uint64_t{1} << 24);
  for (std::size_t i = 0; i < sub.occupation.size(); ++i) {
    EXPECT_NEAR(sub.occupation[i], full.occupation[i], tolerance) << "cycle " << i / 24 << " site " << i % 24;
  }
  for (int c = 0; c <= task.cycles; ++c) {
    EXPECT_NEAR(sub.bound[static_cast<std::size_t>(c)], full.bound[static_cast<std::size_t>(c)], tolerance);
    EXPECT_NEAR(full.norm[static_cast<std::size_t>(c)], 1.0, 10 * tolerance);
    double photons_seen = 0;
    for (int j = 0; j < 24; ++j) {
      photons_seen += full.occupation[static_cast<std::size_t>(c * 24 + j)];
    }
    EXPECT_NEAR(photons_seen, photons, 10 * tolerance) << "photon number, cycle " << c;
  }
  EXPECT_GT(sub.bound.back(), 0.0);
  EXPECT_LT(sub.bound.back(), 1.0);
}

TEST(PhotonSimulation, SubspaceEqualsFullOnThe24SiteRingWithTwoPhotonsC64) {
  expect_subspace_equals_full(2, Precision::kComplex64, 1e-6);
}
TEST(PhotonSimulation, SubspaceEqualsFullOnThe24SiteRingWithThreePhotonsC64) {
  expect_subspace_equals_full(3, Precision::kComplex64, 1e-6);
}
TEST(PhotonSimulation, SubspaceEqualsFullOnThe24SiteRingWithTwoPhotonsC128) {
  expect_subspace_equals_full(2, Precision::kComplex128, 1e-12);
}
TEST(PhotonSimulation, SubspaceEqualsFullOnThe24SiteRingWithThreePhotonsC128) {
  expect_subspace_equals_full(3, Precision::kComplex128, 1e-12);
}

TEST(PhotonSimulation, SubspaceAmplitudesEqualTheFullStateOnThe24SiteRing) {
  const PhotonGeometry ring = PhotonGeometry::ring(24);
  const quantum::UnitaryCircuit cycle = ring.cycle({0.4, 1.9, 0, 0});
  const std::uint64_t start = ring.initial_mask(3, 12);
  quantum::StateVector<double> full(24);
  quantum::SubspaceState<double> sub(24, 3);
  full.set_basis_state(start);
  sub.set_basis_state(start);
  const quantum::UnitaryCircuit fused = quantum::fuse_gates(cycle, {4});
  for (int c = 0; c < 3; ++c) {
    full.apply(fused);
    sub.apply(cycle);
  }
  double worst = 0;
  for (std::uint64_t i = 0; i < sub.dimension(); ++i) {
    worst = std::max(worst, std::abs(Complex(sub.amplitudes()[i]) - full.amplitude(sub.basis().state(i))));
  }
  EXPECT_LT(worst, 1e-14);
}

TEST(PhotonSimulation, DecoratedRingSubspaceEqualsFullAndPhotonsReachTheExtraSites) {
  const PhotonGeometry deco = PhotonGeometry::decorated_ring(8, 1);  // 12 sites
  const PhotonTask task{2, 4, 6, {0.5, 2.0, 0.7, 1.0}, 1};
  const PhotonResult sub = simulate_photons(deco, task, {Simulator::kSubspace, Precision::kComplex128});
  const PhotonResult full = simulate_photons(deco, task, {Simulator::kFull, Precision::kComplex128, 3, 1, true});
  for (std::size_t i = 0; i < sub.occupation.size(); ++i) {
    EXPECT_NEAR(sub.occupation[i], full.occupation[i], 1e-12);
  }
  for (std::size_t c = 0; c < sub.bound.size(); ++c) {
    EXPECT_NEAR(sub.bound[c], full.bound[c], 1e-12);
  }
  double extra = 0;
  for (int j = 8; j < 12; ++j) {
    extra += sub.occupation[static_cast<std::size_t>(6 * 12 + j)];
  }
  EXPECT_GT(extra, 0.01);
  EXPECT_EQ(full.pair_occupation.size(), 7u * 12u * 12u);
}

TEST(PhotonSimulation, AnEdgeListGraphOfTheRingBondsIsTheRing) {
  const PhotonGeometry ring = PhotonGeometry::ring(10);
  const PhotonGeometry graph = PhotonGeometry::graph(10, ring.bonds());
  const PhotonTask task{3, 5, 5, {0.9, 0.4, 0, 0}, 1};
  const PhotonResult a = simulate_photons(ring, task, {});
  const PhotonResult b = simulate_photons(graph, task, {});
  EXPECT_EQ(a.occupation, b.occupation);
  EXPECT_EQ(a.bound, b.bound);
}

TEST(PhotonSimulation, ShotsEstimateTheBoundProbabilityWithShotNoise) {
  const PhotonGeometry ring = PhotonGeometry::ring(12);
  const PhotonTask task{2, 6, 4, {0.6, 2.5, 0, 0}, 99};
  SimulationOptions options;
  options.shots = 20000;
  const PhotonResult r = simulate_photons(ring, task, options);
  ASSERT_EQ(r.samples.size(), 5u * 20000u);
  ASSERT_EQ(r.sampled_bound.size(), 5u);
  for (std::size_t c = 0; c < 5; ++c) {
    const double p = r.bound[c];
    EXPECT_NEAR(r.sampled_bound[c], p, 5 * std::sqrt(p * (1 - p) / 20000) + 1e-12) << "cycle " << c;
  }
  for (std::uint64_t s : r.samples) {
    ASSERT_EQ(std::popcount(s), 2);
  }
}

}  // namespace
}  // namespace tessera::jobs::photons
