#include "jobs/quantum/detector_error_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>

#include "jobs/quantum/repetition_code.h"
#include "runtime/error.h"
#include "tests/jobs/quantum/reference_propagation.h"

namespace tessera::jobs::quantum {
namespace {

using testing::NoiseSite;
using testing::Outcome;

// Pauli outcomes of a channel with their probabilities.
std::vector<std::pair<unsigned, double>> outcomes(const NoiseSite& s) {
  switch (s.gate) {
    case Gate::kXError:
      return {{1u, s.probability}};
    case Gate::kZError:
      return {{2u, s.probability}};
    case Gate::kDepolarize1:
      return {{1u, s.probability / 3}, {2u, s.probability / 3}, {3u, s.probability / 3}};
    default: {
      std::vector<std::pair<unsigned, double>> all;
      for (unsigned code = 1; code < 16; ++code) {
        all.emplace_back(code, s.probability / 15);
      }
      return all;
    }
  }
}

Outcome symptoms(const ErrorMechanism& m, std::uint64_t num_detectors) {
  Outcome o;
  o.detectors.assign(num_detectors, 0);
  for (std::uint32_t d : m.detectors) {
    o.detectors[d] = 1;
  }
  o.observables = m.observables;
  return o;
}

// The exact distribution of (detectors, observables) by walking every
// combination of faults of every channel through the naive propagator.
std::map<Outcome, double> distribution_by_enumeration(const StabilizerCircuit& c) {
  const std::vector<NoiseSite> sites = testing::noise_sites(c);
  std::map<Outcome, double> dist;
  std::map<std::size_t, unsigned> faults;
  std::function<void(std::size_t, double)> visit = [&](std::size_t i, double prob) {
    if (i == sites.size()) {
      dist[testing::propagate(c, faults)] += prob;
      return;
    }
    visit(i + 1, prob * (1 - sites[i].probability));
    for (auto [code, q] : outcomes(sites[i])) {
      faults[i] = code;
      visit(i + 1, prob * q);
      faults.erase(i);
    }
  };
  visit(0, 1.0);
  return dist;
}

// The exact distribution of the model: independent mechanisms, XORed.
std::map<Outcome, double> distribution_of_model(const DetectorErrorModel& model) {
  Outcome none;
  none.detectors.assign(model.num_detectors(), 0);
  std::map<Outcome, double> dist{{none, 1.0}};
  for (const ErrorMechanism& m : model.mechanisms()) {
    const Outcome flip = symptoms(m, model.num_detectors());
    std::map<Outcome, double> next;
    for (const auto& [o, p] : dist) {
      next[o] += p * (1 - m.probability);
      Outcome x = o;
      for (std::size_t d = 0; d < x.detectors.size(); ++d) {
        x.detectors[d] ^= flip.detectors[d];
      }
      x.observables ^= flip.observables;
      next[x] += p * m.probability;
    }
    dist = std::move(next);
  }
  return dist;
}

void expect_same_distribution(const StabilizerCircuit& c) {
  const std::map<Outcome, double> enumerated = distribution_by_enumeration(c);
  const std::map<Outcome, double> modelled = distribution_of_model(DetectorErrorModel::from_circuit(c));
  double total = 0;
  for (const auto& [o, p] : enumerated) {
    total += p;
    auto it = modelled.find(o);
    const double q = it == modelled.end() ? 0.0 : it->second;
    EXPECT_NEAR(p, q, 1e-12);
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
  for (const auto& [o, q] : modelled) {
    if (enumerated.find(o) == enumerated.end()) {
      EXPECT_NEAR(q, 0.0, 1e-12);
    }
  }
}

TEST(DetectorErrorModel, MatchesExhaustiveEnumerationWithAllFourNoiseChannels) {
  // d=2, r=1: 13 noise sites, 524288 fault combinations.
  expect_same_distribution(make_repetition_code_circuit(
      {.distance = 2, .rounds = 1, .noise = RepetitionCodeNoise::uniform(0.03)}));
}

TEST(DetectorErrorModel, MatchesExhaustiveEnumerationOverSeveralRoundsInTheXBasis) {
  RepetitionCode code{.distance = 2, .rounds = 2, .basis = Basis::kX};
  code.noise.before_round_data_depolarization = 0.05;
  code.noise.before_measure_flip_probability = 0.02;
  code.noise.after_reset_flip_probability = 0.04;
  expect_same_distribution(make_repetition_code_circuit(code));
}

TEST(DetectorErrorModel, EachMechanismFlipsWhatPropagatingItsFaultFlips) {
  for (Basis basis : {Basis::kZ, Basis::kX}) {
    StabilizerCircuit c = make_repetition_code_circuit(
        {.distance = 4, .rounds = 3, .basis = basis, .noise = RepetitionCodeNoise::uniform(0.01)});
    const DetectorErrorModel model = DetectorErrorModel::from_circuit(c);
    // Build the model by hand: every single fault through the naive propagator.
    std::map<Outcome, double> expected;
    const std::vector<NoiseSite> sites = testing::noise_sites(c);
    for (std::size_t i = 0; i < sites.size(); ++i) {
      for (auto [code, unused] : outcomes(sites[i])) {
        (void)unused;
        const double q = sites[i].gate == Gate::kDepolarize1
                             ? depolarize1_independent_probability(sites[i].probability)
                         : sites[i].gate == Gate::kDepolarize2
                             ? depolarize2_independent_probability(sites[i].probability)
                             : sites[i].probability;
        Outcome o = testing::propagate(c, {{i, code}});
        if (std::find(o.detectors.begin(), o.detectors.end(), 1) == o.detectors.end() && o.observables == 0) {
          continue;
        }
        double& p = expected[o];
        p = p * (1 - q) + q * (1 - p);
      }
    }
    ASSERT_EQ(model.mechanisms().size(), expected.size());
    for (const ErrorMechanism& m : model.mechanisms()) {
      auto it = expected.find(symptoms(m, model.num_detectors()));
      ASSERT_NE(it, expected.end());
      EXPECT_NEAR(m.probability, it->second, 1e-15);
      EXPECT_LE(m.detectors.size(), 2u) << "the repetition code's model is graphlike";
    }
  }
}

TEST(DetectorErrorModel, MeasurementFlipsLinkConsecutiveRoundsOfOneMeasureQubit) {
  const int d = 4;
  const int r = 3;
  RepetitionCode code{.distance = d, .rounds = r};
  code.noise.before_measure_flip_probability = 0.01;
  const DetectorErrorModel model = DetectorErrorModel::from_circuit(make_repetition_code_circuit(code));
  std::vector<ErrorMechanism> expected;
  auto det = [](int round, int j) { return static_cast<std::uint32_t>(round * (d - 1) + j); };
  for (int t = 0; t < r; ++t) {
    for (int j = 0; j < d - 1; ++j) {
      expected.push_back({0.01, {det(t, j), det(t + 1, j)}, 0});
    }
  }
  // Final data flips: the last-round detectors beside the data qubit; the
  // last data qubit is the observable.
  expected.push_back({0.01, {det(r, 0)}, 0});
  for (int q = 1; q < d - 1; ++q) {
    expected.push_back({0.01, {det(r, q - 1), det(r, q)}, 0});
  }
  expected.push_back({0.01, {det(r, d - 2)}, 1});
  std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) {
    return std::tie(a.detectors, a.observables) < std::tie(b.detectors, b.observables);
  });
  EXPECT_EQ(model.mechanisms(), expected);
}

TEST(DetectorErrorModel, CoordinatesFollowShiftCoordsAndTextUsesStimSyntax) {
  RepetitionCode code{.distance = 3, .rounds = 3};
  code.noise.before_measure_flip_probability = 0.125;
  const DetectorErrorModel model = DetectorErrorModel::from_circuit(make_repetition_code_circuit(code));
  ASSERT_EQ(model.detector_coordinates().size(), 8u);
  EXPECT_EQ(model.detector_coordinates()[0], (std::vector<double>{1, 0}));
  EXPECT_EQ(model.detector_coordinates()[5], (std::vector<double>{3, 2}));
  EXPECT_EQ(model.detector_coordinates()[7], (std::vector<double>{3, 3}));
  const std::string text = model.to_stim();
  EXPECT_THAT(text, ::testing::HasSubstr("error(0.125) D0 D2\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("error(0.125) D7 L0\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("detector(3, 3) D7\n"));
}

TEST(DetectorErrorModel, RejectsDetectorsThatAreRandomWithoutNoise) {
  try {
    DetectorErrorModel::from_circuit(StabilizerCircuit::from_stim("RX 0\nM 0\nDETECTOR(5) rec[-1]\n"));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("detector D0 (5) is not deterministic"));
  }
  EXPECT_THROW(DetectorErrorModel::from_circuit(StabilizerCircuit::from_stim("M 0\nDETECTOR rec[-2]\n")),
               ConfigError);
}

}  // namespace
}  // namespace tessera::jobs::quantum
