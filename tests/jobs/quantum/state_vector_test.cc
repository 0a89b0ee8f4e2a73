// StateVector against the dense-matrix reference, for every kernel
// instruction set this build and CPU have, in complex64 and complex128.

#include "jobs/quantum/state_vector.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <numbers>

#include "jobs/quantum/state_vector_kernels.h"
#include "runtime/error.h"
#include "tests/jobs/quantum/dense_reference.h"

namespace tessera::jobs::quantum {
namespace {

using testing::apply_dense;
using testing::Dense;
using testing::max_distance;

template <class Real>
constexpr double kTolerance = std::is_same_v<Real, float> ? 2e-6 : 1e-13;

template <class Real>
Dense to_dense(const StateVector<Real>& psi) {
  Dense out(psi.size());
  for (std::uint64_t i = 0; i < psi.size(); ++i) {
    out[i] = Complex(psi.amplitude(i));
  }
  return out;
}

template <class Real>
StateVector<Real> from_dense(const Dense& psi, int n, StateVectorOptions options) {
  StateVector<Real> out(n, std::move(options));
  out.set_amplitudes(psi);
  return out;
}

// The kernels under test: every ISA compiled in; the CPU check happens in
// the test so an unsupported one is reported as skipped, with the reason.
class StateVectorIsa : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string& isa = GetParam();
    __builtin_cpu_init();
    if (isa == "avx512" && (kernels::avx512_kernels() == nullptr || !__builtin_cpu_supports("x86-64-v4"))) {
      GTEST_SKIP() << "this CPU or build has no AVX-512 (x86-64-v4) kernels";
    }
    if (isa == "avx2" && (kernels::avx2_kernels() == nullptr || !__builtin_cpu_supports("x86-64-v3"))) {
      GTEST_SKIP() << "this CPU or build has no AVX2 (x86-64-v3) kernels";
    }
  }
  StateVectorOptions options(int threads = 1) const { return {threads, GetParam()}; }
};

template <class Real>
void expect_random_gates_match_dense(const StateVectorOptions& options) {
  std::mt19937_64 rng(7);
  // 1-2 qubits: smaller than one vector; 3: exactly one complex64 vector;
  // 5-7: gates on lane qubits, high qubits and both.
  for (int n : {1, 2, 3, 5, 7}) {
    for (int arity = 1; arity <= std::min(n, kMaxGateQubits); ++arity) {
      for (int trial = 0; trial < 12; ++trial) {
        const UnitaryGate gate = testing::random_gate(n, arity, rng);
        const Dense psi = testing::random_state(n, rng);
        StateVector<Real> state = from_dense<Real>(psi, n, options);
        state.apply(gate);
        EXPECT_LT(max_distance(to_dense(state), apply_dense(gate, n, psi)), kTolerance<Real>)
            << "n=" << n << " gate on " << ::testing::PrintToString(gate.qubits);
      }
    }
  }
}

TEST_P(StateVectorIsa, RandomGatesOnEveryQubitLayoutMatchTheDenseReferenceC64) {
  expect_random_gates_match_dense<float>(options());
}

TEST_P(StateVectorIsa, RandomGatesOnEveryQubitLayoutMatchTheDenseReferenceC128) {
  expect_random_gates_match_dense<double>(options());
}

TEST_P(StateVectorIsa, EveryPairOfQubitsForAnFsimMatchesTheDenseReference) {
  std::mt19937_64 rng(11);
  const int n = 6;
  const Dense psi = testing::random_state(n, rng);
  for (int a = 0; a < n; ++a) {
    for (int b = 0; b < n; ++b) {
      if (a == b) {
        continue;
      }
      const UnitaryGate gate = fsim_gate(a, b, 0.3, 1.1);
      StateVector<float> c64 = from_dense<float>(psi, n, options());
      StateVector<double> c128 = from_dense<double>(psi, n, options());
      c64.apply(gate);
      c128.apply(gate);
      const Dense expected = apply_dense(gate, n, psi);
      EXPECT_LT(max_distance(to_dense(c64), expected), kTolerance<float>) << a << "," << b;
      EXPECT_LT(max_distance(to_dense(c128), expected), kTolerance<double>) << a << "," << b;
    }
  }
}

TEST_P(StateVectorIsa, TwoThreadsGiveTheSameAmplitudesAsOne) {
  std::mt19937_64 rng(3);
  const UnitaryCircuit circuit = testing::random_circuit(16, 20, 3, rng);
  StateVector<float> one(16, options(1));
  StateVector<float> two(16, options(2));
  one.apply(h_gate(0));
  two.apply(h_gate(0));
  one.apply(circuit);
  two.apply(circuit);
  for (std::uint64_t i = 0; i < one.size(); ++i) {
    ASSERT_EQ(one.amplitude(i), two.amplitude(i)) << i;
  }
  EXPECT_NEAR(one.norm_squared(), two.norm_squared(), 1e-12);
}

INSTANTIATE_TEST_SUITE_P(Kernels, StateVectorIsa, ::testing::Values("generic", "avx2", "avx512"),
                         [](const auto& param_info) { return param_info.param; });

TEST(StateVector, StartsInTheAllZeroState) {
  StateVector<float> psi(5);
  EXPECT_EQ(psi.amplitude(0), std::complex<float>(1));
  EXPECT_DOUBLE_EQ(psi.norm_squared(), 1.0);
  EXPECT_EQ(psi.memory_bytes(), 32u * 8u);
}

TEST(StateVector, XOnQubitQSetsBitQOfTheIndex) {
  StateVector<double> psi(6);
  psi.apply(x_gate(4));
  psi.apply(x_gate(1));
  EXPECT_EQ(psi.amplitude(0b010010), std::complex<double>(1));
}

TEST(StateVector, TheFirstQubitOfAGateIsTheMostSignificantMatrixBit) {
  // CNOT(control 0, target 3) on |q0=1>: flips q3.
  StateVector<double> psi(4);
  psi.apply(x_gate(0));
  psi.apply(cnot_gate(0, 3));
  EXPECT_EQ(psi.amplitude(0b1001), std::complex<double>(1));
  // With control and target swapped nothing happens to |q0=1, q3=1>... until q3 controls.
  psi.apply(cnot_gate(3, 0));
  EXPECT_EQ(psi.amplitude(0b1000), std::complex<double>(1));
}

TEST(StateVector, FsimOnOnePhotonAndOnTwoPhotonsMatchesHandComputedAmplitudes) {
  const double theta = 0.4, phi = 1.3;
  StateVector<double> one(2);
  one.apply(x_gate(0));  // |q1 q0> = |01>
  one.apply(fsim_gate(0, 1, theta, phi));
  EXPECT_NEAR(std::abs(one.amplitude(0b01) - Complex(std::cos(theta), 0)), 0, 1e-15);
  EXPECT_NEAR(std::abs(one.amplitude(0b10) - Complex(0, -std::sin(theta))), 0, 1e-15);
  StateVector<double> two(2);
  two.set_basis_state(0b11);
  two.apply(fsim_gate(0, 1, theta, phi));
  EXPECT_NEAR(std::abs(two.amplitude(0b11) - std::polar(1.0, -phi)), 0, 1e-15);
}

TEST(StateVector, RotationsFollowTheirDefinitions) {
  const double t = 0.7;
  StateVector<double> psi(1);
  psi.apply(rx_gate(0, t));
  EXPECT_NEAR(std::abs(psi.amplitude(1) - Complex(0, -std::sin(t / 2))), 0, 1e-15);
  EXPECT_NEAR(psi.expectation_z(0), std::cos(t), 1e-14);
  StateVector<double> y(1);
  y.apply(ry_gate(0, t));
  EXPECT_NEAR(std::abs(y.amplitude(1) - Complex(std::sin(t / 2), 0)), 0, 1e-15);
  StateVector<double> z(1);
  z.apply(h_gate(0));
  z.apply(rz_gate(0, t));
  EXPECT_NEAR(std::arg(z.amplitude(1) / z.amplitude(0)), t, 1e-14);
}

TEST(StateVector, AGateFollowedByItsAdjointIsTheIdentity) {
  std::mt19937_64 rng(5);
  const Dense psi = testing::random_state(8, rng);
  StateVector<double> state = from_dense<double>(psi, 8, {});
  const UnitaryGate gate = testing::random_gate(8, 3, rng);
  state.apply(gate);
  state.apply(adjoint(gate));
  EXPECT_LT(max_distance(to_dense(state), psi), 1e-13);
}

TEST(StateVector, RandomCircuitsConserveTheNorm) {
  std::mt19937_64 rng(9);
  StateVector<float> c64(18);
  StateVector<double> c128(18);
  const UnitaryCircuit circuit = testing::random_circuit(18, 40, 4, rng);
  c64.apply(circuit);
  c128.apply(circuit);
  EXPECT_NEAR(c64.norm_squared(), 1.0, 1e-5);
  EXPECT_NEAR(c128.norm_squared(), 1.0, 1e-13);
}

TEST(StateVector, ObservablesEqualDirectSumsOverTheAmplitudes) {
  std::mt19937_64 rng(21);
  for (int n : {3, 9}) {
    const Dense psi = testing::random_state(n, rng);
    StateVector<double> state = from_dense<double>(psi, n, {});
    const std::vector<double> occupation = state.occupations();
    const std::vector<double> pairs = state.pair_occupations();
    for (int j = 0; j < n; ++j) {
      double direct = 0;
      for (std::uint64_t i = 0; i < psi.size(); ++i) {
        direct += ((i >> j) & 1) ? std::norm(psi[i]) : 0.0;
      }
      EXPECT_NEAR(occupation[static_cast<std::size_t>(j)], direct, 1e-14);
      EXPECT_NEAR(state.expectation_z(j), 1 - 2 * direct, 1e-14);
      for (int k = 0; k < n; ++k) {
        double both = 0, zz = 0;
        for (std::uint64_t i = 0; i < psi.size(); ++i) {
          both += ((i >> j) & (i >> k) & 1) ? std::norm(psi[i]) : 0.0;
          zz += (((i >> j) ^ (i >> k)) & 1 ? -1.0 : 1.0) * std::norm(psi[i]);
        }
        EXPECT_NEAR(pairs[static_cast<std::size_t>(j * n + k)], both, 1e-14) << j << "," << k;
        EXPECT_NEAR(state.expectation_zz(j, k), zz, 1e-14);
      }
    }
  }
}

TEST(StateVector, InnerProductIsConjugateLinearInTheFirstArgument) {
  std::mt19937_64 rng(4);
  const Dense a = testing::random_state(7, rng), b = testing::random_state(7, rng);
  Complex direct = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    direct += std::conj(a[i]) * b[i];
  }
  StateVector<double> sa = from_dense<double>(a, 7, {}), sb = from_dense<double>(b, 7, {});
  EXPECT_LT(std::abs(sa.inner_product(sb) - direct), 1e-14);
  sa.scale(Complex(0, 2));
  EXPECT_LT(std::abs(sa.inner_product(sb) - Complex(0, -2) * direct), 1e-13);
}

TEST(StateVector, SamplesFollowTheBornRule) {
  // Amplitudes over 12 qubits with a few heavy outcomes.
  const int n = 12;
  Dense psi(std::size_t{1} << n);
  psi[5] = std::sqrt(0.5);
  psi[1000] = std::sqrt(0.3);
  psi[4095] = Complex(0, std::sqrt(0.2));
  StateVector<float> state = from_dense<float>(psi, n, {});
  std::mt19937_64 rng(17);
  const std::int64_t shots = 200000;
  const std::vector<std::uint64_t> samples = state.sample(shots, rng);
  ASSERT_EQ(samples.size(), static_cast<std::size_t>(shots));
  std::map<std::uint64_t, std::int64_t> counts;
  for (std::uint64_t s : samples) {
    ++counts[s];
  }
  ASSERT_EQ(counts.size(), 3u);
  for (auto [index, p] : std::map<std::uint64_t, double>{{5, 0.5}, {1000, 0.3}, {4095, 0.2}}) {
    const double sigma = std::sqrt(p * (1 - p) / shots);
    EXPECT_NEAR(static_cast<double>(counts[index]) / shots, p, 5 * sigma) << index;
  }
  // Random order: the first 1000 shots are not sorted.
  EXPECT_FALSE(std::is_sorted(samples.begin(), samples.begin() + 1000));
}

TEST(StateVector, BadGatesAndSizesAreRejected) {
  StateVector<float> psi(4);
  EXPECT_THROW(psi.apply(x_gate(4)), InternalError);
  EXPECT_THROW(psi.apply(UnitaryGate{{1, 1}, std::vector<Complex>(16), "twice"}), InternalError);
  EXPECT_THROW(StateVector<float>(0), InternalError);
  EXPECT_THROW(StateVector<float>(4, {.threads = 1, .isa = "sse9"}), InternalError);
}

}  // namespace
}  // namespace tessera::jobs::quantum
