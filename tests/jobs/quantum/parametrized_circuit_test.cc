// Parametrized circuits and their gradients: batched evaluation against one
// state at a time, adjoint gradients against central finite differences and
// the parameter-shift rule (exact mode), the fast shifted expectations
// against resimulating every shifted circuit, frozen parameters, and the
// statistics of shot sampling.

#include "jobs/quantum/parametrized_circuit.h"

#include <cmath>
#include <numbers>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "jobs/quantum/adjoint_gradient.h"
#include "jobs/quantum/parameter_shift.h"
#include "jobs/quantum/shot_sampling.h"
#include "jobs/quantum/state_batch.h"
#include "runtime/error.h"

namespace tessera::jobs::quantum {
namespace {

// Layers of random Pauli rotations and a CZ ladder, with fixed non-Clifford
// gates mixed in so that insertion points are not always at layer ends.
ParametrizedCircuit random_circuit(int qubits, int layers, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> axis(0, 2);
  ParametrizedCircuit c(qubits);
  for (int l = 0; l < layers; ++l) {
    for (int q = 0; q < qubits; ++q) {
      c.add_rotation(q, static_cast<Axis>(axis(rng)));
    }
    if (l == 1) {
      c.add_gate(fsim_gate(0, 1, 0.3, 0.7));
      c.add_rotation(1, Axis::kY);  // right before more gates on qubit 1
      c.add_gate(h_gate(1));
    }
    for (int q = 0; q + 1 < qubits; ++q) {
      c.add_gate(cz_gate(q, q + 1));
    }
  }
  return c;
}

std::vector<double> random_angles(int n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> angle(-std::numbers::pi, std::numbers::pi);
  std::vector<double> out(static_cast<std::size_t>(n));
  for (double& a : out) {
    a = angle(rng);
  }
  return out;
}

std::vector<ProductState> random_inputs(int qubits, int count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> angle(0, std::numbers::pi);
  std::vector<ProductState> out(static_cast<std::size_t>(count));
  for (ProductState& p : out) {
    for (int q = 0; q < qubits; ++q) {
      const double t = angle(rng);
      const double phase = angle(rng);
      p.push_back({Complex(std::cos(t / 2), 0), std::polar(std::sin(t / 2), phase)});
    }
  }
  return out;
}

// <Z_readout> of one input, simulated gate by gate with no batching or fusion.
double plain_expectation(
    const ParametrizedCircuit& c,
    std::span<const double> theta,
    const ProductState& input,
    int readout) {
  StateBatch<double> one(c.num_qubits(), 1);
  one.set_product_state(0, input);
  one.apply(c.bind(theta));
  return one.expectation_z(readout)[0];
}

TEST(ParametrizedCircuit, BindsEachRotationToItsOwnParameter) {
  ParametrizedCircuit c(2);
  EXPECT_EQ(c.add_rotation(0, Axis::kX), 0);
  c.add_gate(cz_gate(0, 1));
  EXPECT_EQ(c.add_rotation(1, Axis::kZ), 1);
  EXPECT_EQ(c.num_parameters(), 2);
  EXPECT_EQ(c.op_of(1), 2u);
  const std::vector<double> theta{0.5, -0.25};
  const UnitaryCircuit bound = c.bind(theta);
  ASSERT_EQ(bound.gates.size(), 3u);
  EXPECT_EQ(bound.gates[0].matrix, rx_gate(0, 0.5).matrix);
  EXPECT_EQ(bound.gates[2].matrix, rz_gate(1, -0.25).matrix);
  EXPECT_THROW(c.add_rotation(2, Axis::kY), InternalError);
}

TEST(ParametrizedCircuit, PiShiftIsTheRotationTimesMinusITheAxisPauli) {
  for (Axis axis : {Axis::kX, Axis::kY, Axis::kZ}) {
    const UnitaryGate shifted = rotation_gate(0, axis, 0.7 + std::numbers::pi);
    const UnitaryGate r = rotation_gate(0, axis, 0.7);
    const UnitaryGate p = pauli_gate(0, axis);
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 2; ++j) {
        const Complex product =
            Complex(0, -1) * (r.at(i, 0) * p.at(0, j) + r.at(i, 1) * p.at(1, j));
        EXPECT_NEAR(std::abs(shifted.at(i, j) - product), 0, 1e-15) << axis_name(axis);
      }
    }
  }
}

TEST(StateBatch, EverySlotEvolvesLikeAStateOfItsOwn) {
  const ParametrizedCircuit c = random_circuit(4, 3, 1);
  const std::vector<double> theta = random_angles(c.num_parameters(), 2);
  const std::vector<ProductState> inputs = random_inputs(4, 11, 3);
  for (int slots : {1, 4, 64}) {
    for (int fuse : {0, 2, 3}) {
      const std::vector<double> z = expectation_values<double>(
          c, theta, inputs, 2, {.max_slots = slots, .fuse_qubits = fuse});
      ASSERT_EQ(z.size(), inputs.size());
      for (std::size_t b = 0; b < inputs.size(); ++b) {
        EXPECT_NEAR(z[b], plain_expectation(c, theta, inputs[b], 2), 1e-12)
            << slots << " slots, fuse " << fuse;
      }
    }
  }
}

TEST(StateBatch, ProductStatesAreKroneckerProductsQubitZeroLowest) {
  StateBatch<double> b(2, 3);
  const ProductState s{
      {Complex(0, 0), Complex(1, 0)},
      {Complex(0.6, 0), Complex(0, 0.8)}};  // |1> (x) (0.6|0> + 0.8i|1>)
  b.set_product_state(2, s);
  EXPECT_NEAR(std::abs(b.slot(2)[1] - Complex(0.6, 0)), 0, 1e-15);  // q0 = 1, q1 = 0
  EXPECT_NEAR(std::abs(b.slot(2)[3] - Complex(0, 0.8)), 0, 1e-15);  // q0 = 1, q1 = 1
  EXPECT_EQ(b.slot(2)[0], Complex(0));
  EXPECT_EQ(b.slot(0)[0], Complex(1));  // untouched slots stay |00>
  EXPECT_NEAR(b.expectation_z(0)[2], -1, 1e-15);
  EXPECT_NEAR(b.expectation_z(1)[2], 0.36 - 0.64, 1e-15);
}

// The central claim of the exact mode: three independent gradients agree.
TEST(Gradients, ParameterShiftEqualsFiniteDifferencesAndAdjoint) {
  const ParametrizedCircuit c = random_circuit(4, 4, 7);
  const std::vector<double> theta = random_angles(c.num_parameters(), 8);
  const std::vector<ProductState> inputs = random_inputs(4, 3, 9);
  const int readout = 3;
  const GradientResult adjoint = adjoint_gradients<double>(c, theta, inputs, readout);
  const ShiftedExpectations shift =
      shifted_expectations_by_resimulation<double>(c, theta, inputs, readout);
  ASSERT_EQ(shift.parameters.size(), static_cast<std::size_t>(c.num_parameters()));
  const double h = 1e-5;
  double largest = 0;
  for (std::size_t b = 0; b < inputs.size(); ++b) {
    EXPECT_NEAR(adjoint.values[b], plain_expectation(c, theta, inputs[b], readout), 1e-12);
    for (int k = 0; k < c.num_parameters(); ++k) {
      std::vector<double> up = theta, down = theta;
      up[static_cast<std::size_t>(k)] += h;
      down[static_cast<std::size_t>(k)] -= h;
      const double fd = (plain_expectation(c, up, inputs[b], readout) -
                         plain_expectation(c, down, inputs[b], readout)) /
                        (2 * h);
      const double ps = shift.gradient(b, static_cast<std::size_t>(k));
      EXPECT_NEAR(ps, fd, 1e-8) << "input " << b << " parameter " << k;
      EXPECT_NEAR(adjoint.gradient(b, k), ps, 1e-12) << "input " << b << " parameter " << k;
      largest = std::max(largest, std::abs(ps));
    }
  }
  EXPECT_GT(largest, 0.05) << "the test circuit should have gradients worth comparing";
}

TEST(Gradients, FastShiftedExpectationsEqualResimulatedOnes) {
  const ParametrizedCircuit c = random_circuit(5, 3, 11);
  const std::vector<double> theta = random_angles(c.num_parameters(), 12);
  const std::vector<ProductState> inputs = random_inputs(5, 7, 13);
  std::vector<char> trainable(static_cast<std::size_t>(c.num_parameters()), 0);
  for (std::size_t k = 0; k < trainable.size(); k += 3) {
    trainable[k] = 1;
  }
  for (const std::span<const char> mask :
       {std::span<const char>(), std::span<const char>(trainable)}) {
    // Few slots, so the suffix batches split across insertion points and inputs.
    const EvaluationOptions options{.max_slots = 4, .fuse_qubits = 2};
    const ShiftedExpectations fast =
        shifted_expectations<double>(c, theta, inputs, 1, mask, options);
    const ShiftedExpectations slow =
        shifted_expectations_by_resimulation<double>(c, theta, inputs, 1, mask);
    ASSERT_EQ(fast.parameters, slow.parameters);
    for (std::size_t i = 0; i < fast.plus.size(); ++i) {
      EXPECT_NEAR(fast.plus[i], slow.plus[i], 1e-12);
      EXPECT_NEAR(fast.minus[i], slow.minus[i], 1e-12);
    }
    // complex64 follows within single precision.
    const ShiftedExpectations single =
        shifted_expectations<float>(c, theta, inputs, 1, mask, options);
    for (std::size_t i = 0; i < fast.plus.size(); ++i) {
      EXPECT_NEAR(single.plus[i], slow.plus[i], 2e-5);
      EXPECT_NEAR(single.minus[i], slow.minus[i], 2e-5);
    }
  }
}

TEST(Gradients, FrozenParametersGetNoGradientAndNoShifts) {
  const ParametrizedCircuit c = random_circuit(3, 3, 21);
  const std::vector<double> theta = random_angles(c.num_parameters(), 22);
  const std::vector<ProductState> inputs = random_inputs(3, 2, 23);
  std::vector<char> trainable(static_cast<std::size_t>(c.num_parameters()), 0);
  trainable[1] = trainable[4] = 1;
  const GradientResult all = adjoint_gradients<double>(c, theta, inputs, 0);
  const GradientResult some = adjoint_gradients<double>(c, theta, inputs, 0, trainable);
  for (std::size_t b = 0; b < inputs.size(); ++b) {
    for (int k = 0; k < c.num_parameters(); ++k) {
      EXPECT_NEAR(
          some.gradient(b, k),
          trainable[static_cast<std::size_t>(k)] ? all.gradient(b, k) : 0.0,
          1e-12);
    }
  }
  const ShiftedExpectations shifted = shifted_expectations<double>(c, theta, inputs, 0, trainable);
  EXPECT_EQ(shifted.parameters, (std::vector<int>{1, 4}));
  EXPECT_EQ(shifted.plus.size(), 4u);
}

TEST(ShotSampling, EstimatesHaveTheBinomialMeanAndVariance) {
  std::mt19937_64 rng(31);
  const int shots = 10;
  const int trials = 200000;
  for (double exact : {-0.6, 0.0, 0.9}) {
    double sum = 0, sum2 = 0;
    for (int t = 0; t < trials; ++t) {
      const double e = sample_expectation(exact, shots, rng);
      EXPECT_NEAR(std::round((e + 1) * shots / 2), (e + 1) * shots / 2, 1e-12)
          << "estimates are k/shots steps";
      sum += e;
      sum2 += e * e;
    }
    const double mean = sum / trials;
    const double variance = sum2 / trials - mean * mean;
    const double expected_variance = (1 - exact * exact) / shots;
    // Five standard errors of the mean; the variance to 3 % (its standard error is < 0.5 % here).
    EXPECT_NEAR(mean, exact, 5 * std::sqrt(expected_variance / trials)) << exact;
    EXPECT_NEAR(variance, expected_variance, 0.03 * expected_variance + 1e-12) << exact;
  }
  EXPECT_EQ(sample_expectation(0.25, 0, rng), 0.25) << "shots = 0 is the exact value";
  EXPECT_EQ(sample_expectation(1.0 + 1e-9, 7, rng), 1.0) << "rounding past 1 is clamped";
}

TEST(ShotSampling, MatchesSamplingWholeBitstrings) {
  // The marginal of qubit r in Born-rule samples of the full state has the
  // same Bernoulli parameter the binomial shortcut uses.
  const ParametrizedCircuit c = random_circuit(3, 2, 41);
  const std::vector<double> theta = random_angles(c.num_parameters(), 42);
  StateVector<double> psi(3);
  psi.apply(c.bind(theta));
  const int readout = 1;
  const double p_plus = (1 + psi.expectation_z(readout)) / 2;
  std::mt19937_64 rng(43);
  const std::int64_t n = 100000;
  std::int64_t plus = 0;
  for (std::uint64_t s : psi.sample(n, rng)) {
    plus += ((s >> readout) & 1) == 0 ? 1 : 0;
  }
  const double sigma = std::sqrt(p_plus * (1 - p_plus) / static_cast<double>(n));
  EXPECT_NEAR(static_cast<double>(plus) / static_cast<double>(n), p_plus, 5 * sigma);
  std::int64_t binomial_plus = 0;
  for (int t = 0; t < 1000; ++t) {
    binomial_plus += sample_plus_count(2 * p_plus - 1, 100, rng);
  }
  EXPECT_NEAR(static_cast<double>(binomial_plus) / 100000.0, p_plus, 5 * sigma);
}

TEST(ShotSampling, ShiftRuleOnShotsIsAnUnbiasedGradientWithKnownVariance) {
  const ParametrizedCircuit c = random_circuit(3, 2, 51);
  const std::vector<double> theta = random_angles(c.num_parameters(), 52);
  const std::vector<ProductState> inputs = random_inputs(3, 1, 53);
  const ShiftedExpectations s = shifted_expectations<double>(c, theta, inputs, 2);
  const std::size_t k = 4;
  const double fp = s.plus[s.index(0, k)], fm = s.minus[s.index(0, k)];
  std::mt19937_64 rng(54);
  const int shots = 10, trials = 200000;
  double sum = 0, sum2 = 0;
  for (int t = 0; t < trials; ++t) {
    const double g = (sample_expectation(fp, shots, rng) - sample_expectation(fm, shots, rng)) / 2;
    sum += g;
    sum2 += g * g;
  }
  const double variance = ((1 - fp * fp) + (1 - fm * fm)) / (4.0 * shots);
  EXPECT_NEAR(sum / trials, s.gradient(0, k), 5 * std::sqrt(variance / trials));
  EXPECT_NEAR(sum2 / trials - (sum / trials) * (sum / trials), variance, 0.03 * variance);
}

}  // namespace
}  // namespace tessera::jobs::quantum
