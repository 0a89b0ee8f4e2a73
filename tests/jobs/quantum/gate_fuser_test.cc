#include "jobs/quantum/gate_fuser.h"

#include <gtest/gtest.h>

#include "jobs/quantum/state_vector.h"
#include "tests/jobs/quantum/dense_reference.h"

namespace tessera::jobs::quantum {
namespace {

using testing::apply_dense;
using testing::max_distance;

// A brick-wall cycle of fSims on a ring of n sites.
UnitaryCircuit ring_cycle(int n, double theta, double phi) {
  UnitaryCircuit c{n, {}};
  for (int parity : {0, 1}) {
    for (int i = parity; i < n; i += 2) {
      c.add(fsim_gate(i, (i + 1) % n, theta, phi));
    }
  }
  return c;
}

TEST(GateFuser, FusedCircuitsApplyTheSameUnitary) {
  std::mt19937_64 rng(13);
  for (int max_fused = 1; max_fused <= kMaxGateQubits; ++max_fused) {
    for (int trial = 0; trial < 4; ++trial) {
      const UnitaryCircuit circuit = testing::random_circuit(6, 30, 2, rng);
      const UnitaryCircuit fused = fuse_gates(circuit, {max_fused});
      EXPECT_LE(fused.gates.size(), circuit.gates.size());
      for (const UnitaryGate& g : fused.gates) {
        EXPECT_LE(g.arity(), std::max(2, max_fused));
      }
      const testing::Dense psi = testing::random_state(6, rng);
      EXPECT_LT(max_distance(apply_dense(fused, psi), apply_dense(circuit, psi)), 1e-12)
          << "max_fused_qubits " << max_fused;
    }
  }
}

TEST(GateFuser, PairsOfFsimsOnTheRingFuseIntoThreeQubitGates) {
  UnitaryCircuit cycles{24, {}};
  for (int c = 0; c < 4; ++c) {
    cycles.append(ring_cycle(24, 0.5, 2.0));
  }
  const UnitaryCircuit f2 = fuse_gates(cycles, {2});
  const UnitaryCircuit f3 = fuse_gates(cycles, {3});
  EXPECT_EQ(f2.gates.size(), 96u);  // nothing to merge: every bond changes pair
  // About two fSims per fused gate: 49 for 4 cycles (qsim's fuser: 12.05 per cycle).
  EXPECT_EQ(f3.gates.size(), 49u);
  EXPECT_EQ(f3.count_arity(3), 47);
}

TEST(GateFuser, OneQubitGatesMergeIntoTheirNeighbours) {
  UnitaryCircuit c{3, {}};
  c.add(rx_gate(0, 0.1));
  c.add(rz_gate(0, 0.2));
  c.add(cz_gate(0, 1));
  c.add(ry_gate(1, 0.3));
  c.add(h_gate(2));
  const UnitaryCircuit fused = fuse_gates(c, {2});
  ASSERT_EQ(fused.gates.size(), 2u);
  EXPECT_EQ(fused.gates[0].qubits, (std::vector<int>{0, 1}));
  EXPECT_EQ(fused.gates[1].qubits, (std::vector<int>{2}));
}

TEST(GateFuser, FusedRingCyclesOnTheFullStateMatchUnfused) {
  UnitaryCircuit cycle = ring_cycle(12, 0.3, 0.9);
  StateVector<double> plain(12), fused(12);
  for (int q : {5, 6}) {
    plain.apply(x_gate(q));
    fused.apply(x_gate(q));
  }
  const UnitaryCircuit f = fuse_gates(cycle, {4});
  for (int c = 0; c < 5; ++c) {
    plain.apply(cycle);
    fused.apply(f);
  }
  EXPECT_LT(std::abs(plain.inner_product(fused) - Complex(1, 0)), 1e-12);
}

}  // namespace
}  // namespace tessera::jobs::quantum
