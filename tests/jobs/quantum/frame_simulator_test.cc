#include "jobs/quantum/frame_simulator.h"

#include <gtest/gtest.h>

#include <cmath>

#include "jobs/quantum/detector_error_model.h"
#include "jobs/quantum/repetition_code.h"

namespace tessera::jobs::quantum {
namespace {

TEST(FrameSimulator, NoiselessCircuitsFireNoDetectorAndFlipNoObservable) {
  for (Basis basis : {Basis::kZ, Basis::kX}) {
    for (int d : {2, 3, 6}) {
      for (int r : {1, 4}) {
        for (bool reduce : {true, false}) {
          StabilizerCircuit c = make_repetition_code_circuit({.distance = d, .rounds = r, .basis = basis});
          FrameSimulator sim(c, {.batch_shots = 128, .reduce_frame = reduce});
          runtime::Rng rng(7);
          DetectionEvents events;
          for (int batch = 0; batch < 3; ++batch) {
            sim.sample(100, rng, events);
            ASSERT_EQ(events.shots, 100u);
            EXPECT_TRUE(events.detectors.empty()) << "d=" << d << " r=" << r << " basis " << basis_name(basis);
            for (std::uint64_t obs : events.observables) {
              EXPECT_EQ(obs, 0u);
            }
          }
        }
      }
    }
  }
}

TEST(FrameSimulator, KeepsOnlyTheFrameComponentTheCircuitCanMeasure) {
  auto mode = [](Basis basis, bool reduce) {
    return FrameSimulator(make_repetition_code_circuit({.distance = 3, .rounds = 2, .basis = basis}),
                          {.reduce_frame = reduce})
        .mode();
  };
  EXPECT_EQ(mode(Basis::kZ, true), FrameMode::kXOnly);
  EXPECT_EQ(mode(Basis::kX, true), FrameMode::kZOnly);
  EXPECT_EQ(mode(Basis::kZ, false), FrameMode::kFull);
  EXPECT_EQ(FrameSimulator(StabilizerCircuit::from_stim("R 0\nH 0\nM 0\n")).mode(), FrameMode::kFull);
}

TEST(FrameSimulator, RandomisesTheUnmeasuredComponentSoAnticommutingMeasurementsAreRandom) {
  // |0> measured in X is a fair coin: the observable flips in about half the shots.
  StabilizerCircuit c = StabilizerCircuit::from_stim("R 0\nMX 0\nOBSERVABLE_INCLUDE(0) rec[-1]\n");
  FrameSimulator sim(c, {.batch_shots = 1024});
  runtime::Rng rng(3);
  DetectionEvents events;
  sim.sample(1024, rng, events);
  int flips = 0;
  for (std::uint64_t obs : events.observables) {
    flips += static_cast<int>(obs);
  }
  EXPECT_NEAR(flips, 512, 5 * 16);
}

TEST(FrameSimulator, CertainErrorsPropagateThroughGates) {
  StabilizerCircuit c = StabilizerCircuit::from_stim(
      "R 0 1 2\nX_ERROR(1) 0\nCX 0 1\nH 2\nZ_ERROR(1) 2\nH 2\nM 0 1 2\n"
      "DETECTOR rec[-3]\nDETECTOR rec[-2]\nDETECTOR rec[-1]\nDETECTOR rec[-3] rec[-2]\n");
  FrameSimulator sim(c, {.batch_shots = 64});
  runtime::Rng rng(1);
  DetectionEvents events;
  sim.sample(64, rng, events);
  for (std::size_t s = 0; s < 64; ++s) {
    std::vector<std::uint32_t> fired(events.fired(s).begin(), events.fired(s).end());
    EXPECT_EQ(fired, (std::vector<std::uint32_t>{0, 1, 2}));
  }
}

TEST(FrameSimulator, SameSeedSameEventsOtherSeedOtherEvents) {
  StabilizerCircuit c = make_repetition_code_circuit(
      {.distance = 5, .rounds = 5, .noise = RepetitionCodeNoise::uniform(0.01)});
  FrameSimulator sim(c);
  DetectionEvents a;
  DetectionEvents b;
  runtime::Rng r1(42);
  runtime::Rng r2(42);
  runtime::Rng r3(43);
  sim.sample(1000, r1, a);
  sim.sample(1000, r2, b);
  EXPECT_EQ(a.offsets, b.offsets);
  EXPECT_EQ(a.detectors, b.detectors);
  EXPECT_EQ(a.observables, b.observables);
  sim.sample(1000, r3, b);
  EXPECT_NE(a.detectors, b.detectors);
}

// Detection fraction per detector (and the observable's flip fraction) against
// the model's prediction, within 5 standard deviations, for both bases and
// both frame modes.
TEST(FrameSimulator, DetectionFractionsMatchTheErrorModel) {
  constexpr std::size_t kBatches = 128;
  constexpr std::size_t kBatch = 1024;
  const double n = static_cast<double>(kBatches * kBatch);
  for (Basis basis : {Basis::kZ, Basis::kX}) {
    RepetitionCode code{.distance = 3, .rounds = 4, .basis = basis,
                        .noise = RepetitionCodeNoise::uniform(0.02)};
    code.noise.before_measure_flip_probability = 0.03;  // make the knobs distinguishable
    StabilizerCircuit c = make_repetition_code_circuit(code);
    DetectorErrorModel model = DetectorErrorModel::from_circuit(c);
    const std::vector<double> expected = model.detector_probabilities();
    const double expected_obs = model.observable_probability(0);
    for (bool reduce : {true, false}) {
      FrameSimulator sim(c, {.batch_shots = kBatch, .reduce_frame = reduce});
      runtime::Rng rng(reduce ? 11 : 12);
      DetectionEvents events;
      std::vector<double> count(model.num_detectors(), 0);
      double obs = 0;
      for (std::size_t b = 0; b < kBatches; ++b) {
        sim.sample(kBatch, rng, events);
        for (std::uint32_t d : events.detectors) {
          count[d] += 1;
        }
        for (std::uint64_t o : events.observables) {
          obs += static_cast<double>(o & 1);
        }
      }
      for (std::size_t d = 0; d < count.size(); ++d) {
        const double sigma = std::sqrt(expected[d] * (1 - expected[d]) / n);
        EXPECT_NEAR(count[d] / n, expected[d], 5 * sigma)
            << "detector " << d << " basis " << basis_name(basis) << (reduce ? " reduced" : " full");
      }
      const double sigma = std::sqrt(expected_obs * (1 - expected_obs) / n);
      EXPECT_NEAR(obs / n, expected_obs, 5 * sigma);
    }
  }
}

}  // namespace
}  // namespace tessera::jobs::quantum
