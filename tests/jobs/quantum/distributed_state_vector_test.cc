// DistributedStateVector under mpiexec (2 and 4 ranks) against a
// single-rank StateVector that every rank computes for itself.

#include "jobs/quantum/distributed_state_vector.h"

#include <mpi.h>

#include <gtest/gtest.h>

#include <map>

#include "comm/mpi/mpi_communicator.h"
#include "jobs/quantum/gate_fuser.h"
#include "tests/jobs/quantum/dense_reference.h"

namespace tessera::jobs::quantum {
namespace {

std::unique_ptr<comm::Communicator> world() { return comm::MpiCommunicator::create(MPI_COMM_WORLD); }

template <class Real>
void expect_matches_single_rank(const UnitaryCircuit& circuit, int n, double tolerance) {
  auto comm = world();
  DistributedStateVector<Real> distributed(n, *comm, {.exchange_chunk_bytes = 256});  // many chunks
  StateVector<Real> single(n);
  distributed.set_basis_state(0b1011);
  single.set_basis_state(0b1011);
  distributed.apply(circuit);
  single.apply(circuit);
  const std::vector<std::complex<double>> all = distributed.gather();
  ASSERT_EQ(all.size(), single.size());
  for (std::uint64_t i = 0; i < all.size(); ++i) {
    ASSERT_LT(std::abs(all[i] - std::complex<double>(single.amplitude(i))), tolerance) << "index " << i;
  }
  EXPECT_GT(distributed.exchanges(), 0);
  EXPECT_NEAR(distributed.norm_squared(), single.norm_squared(), tolerance);
  const std::vector<double> occ = distributed.occupations(), ref = single.occupations();
  const std::vector<double> pairs = distributed.pair_occupations(), ref_pairs = single.pair_occupations();
  for (std::size_t q = 0; q < occ.size(); ++q) {
    EXPECT_NEAR(occ[q], ref[q], tolerance) << "qubit " << q;
  }
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    EXPECT_NEAR(pairs[i], ref_pairs[i], tolerance) << "pair " << i;
  }
  for (int a = 0; a < n; a += 3) {
    EXPECT_NEAR(distributed.expectation_z(a), single.expectation_z(a), tolerance);
    for (int b = 1; b < n; b += 4) {
      EXPECT_NEAR(distributed.expectation_zz(a, b), single.expectation_zz(a, b), tolerance);
    }
  }
  const std::vector<std::uint64_t> some = {0, 5, 77, (std::uint64_t{1} << n) - 1, 300};
  EXPECT_NEAR(distributed.probability_of(some), single.probability_of(some), tolerance);
}

TEST(DistributedStateVector, RandomCircuitsEqualTheSingleRankStateC128) {
  std::mt19937_64 rng(42);  // the same circuit on every rank
  const UnitaryCircuit circuit = testing::random_circuit(10, 60, 4, rng);
  expect_matches_single_rank<double>(circuit, 10, 1e-12);
}

TEST(DistributedStateVector, RandomCircuitsEqualTheSingleRankStateC64) {
  std::mt19937_64 rng(43);
  const UnitaryCircuit circuit = testing::random_circuit(9, 60, 3, rng);
  expect_matches_single_rank<float>(circuit, 9, 2e-6);
}

TEST(DistributedStateVector, FusedRingCyclesEqualTheSingleRankState) {
  const int n = 14;
  UnitaryCircuit cycle{n, {}};
  for (int parity : {0, 1}) {
    for (int i = parity; i < n; i += 2) {
      cycle.add(fsim_gate(i, (i + 1) % n, 0.5, 2.1));
    }
  }
  UnitaryCircuit cycles{n, {}};
  for (int c = 0; c < 5; ++c) {
    cycles.append(cycle);
  }
  expect_matches_single_rank<double>(fuse_gates(cycles, {3}), n, 1e-12);
}

TEST(DistributedStateVector, EveryRankDrawsTheSameSamplesFromTheBornRule) {
  auto comm = world();
  DistributedStateVector<double> psi(8, *comm);
  psi.apply(h_gate(7));  // a global qubit on 2 and 4 ranks
  psi.apply(ry_gate(6, 1.0));
  std::mt19937_64 rng(5);
  const std::int64_t shots = 40000;
  const std::vector<std::uint64_t> samples = psi.sample(shots, rng);
  ASSERT_EQ(samples.size(), static_cast<std::size_t>(shots));
  // Identical on every rank: compare a checksum with rank 0's.
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    sum += samples[i] * (i + 1);
  }
  std::uint64_t root = sum;
  MPI_Bcast(&root, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  EXPECT_EQ(sum, root);
  std::map<std::uint64_t, double> frequency;
  for (std::uint64_t s : samples) {
    frequency[s] += 1.0 / shots;
  }
  const double p_one = std::pow(std::sin(0.5), 2);  // Ry(1.0) on qubit 6
  const std::map<std::uint64_t, double> expected = {
      {0b00000000, 0.5 * (1 - p_one)}, {0b01000000, 0.5 * p_one},
      {0b10000000, 0.5 * (1 - p_one)}, {0b11000000, 0.5 * p_one}};
  ASSERT_EQ(frequency.size(), 4u);
  for (auto [index, p] : expected) {
    EXPECT_NEAR(frequency[index], p, 5 * std::sqrt(p * (1 - p) / shots)) << index;
  }
}

TEST(DistributedStateVector, ReportsItsMemoryAndRejectsTooManyRanks) {
  auto comm = world();
  DistributedStateVector<float> psi(12, *comm, {.exchange_chunk_bytes = 1024});
  const std::uint64_t local = (std::uint64_t{1} << 12) / static_cast<std::uint64_t>(comm->size());
  EXPECT_EQ(psi.local_size(), local);
  EXPECT_EQ(psi.memory_bytes_per_rank(), local * 8 + 2 * 1024);
  EXPECT_THROW(DistributedStateVector<float>(4, *comm), InternalError);  // no local room for a 4-qubit gate
}

}  // namespace
}  // namespace tessera::jobs::quantum
