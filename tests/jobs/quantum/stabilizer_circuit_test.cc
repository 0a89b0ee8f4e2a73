#include "jobs/quantum/stabilizer_circuit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "jobs/quantum/repetition_code.h"
#include "runtime/error.h"

namespace tessera::jobs::quantum {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The layout of `stim gen --code repetition_code --task memory --distance 3
// --rounds 3` with all four noise flags at 0.001.
constexpr const char* kDistance3Rounds3 = R"(R 0 1 2 3 4
X_ERROR(0.001) 0 1 2 3 4
TICK
DEPOLARIZE1(0.001) 0 2 4
CX 0 1 2 3
DEPOLARIZE2(0.001) 0 1 2 3
TICK
CX 2 1 4 3
DEPOLARIZE2(0.001) 2 1 4 3
TICK
X_ERROR(0.001) 1 3
MR 1 3
X_ERROR(0.001) 1 3
DETECTOR(1, 0) rec[-2]
DETECTOR(3, 0) rec[-1]
REPEAT 2 {
    TICK
    DEPOLARIZE1(0.001) 0 2 4
    CX 0 1 2 3
    DEPOLARIZE2(0.001) 0 1 2 3
    TICK
    CX 2 1 4 3
    DEPOLARIZE2(0.001) 2 1 4 3
    TICK
    X_ERROR(0.001) 1 3
    MR 1 3
    X_ERROR(0.001) 1 3
    SHIFT_COORDS(0, 1)
    DETECTOR(1, 0) rec[-2] rec[-4]
    DETECTOR(3, 0) rec[-1] rec[-3]
}
X_ERROR(0.001) 0 2 4
M 0 2 4
DETECTOR(1, 1) rec[-2] rec[-3] rec[-5]
DETECTOR(3, 1) rec[-1] rec[-2] rec[-4]
OBSERVABLE_INCLUDE(0) rec[-1]
)";

TEST(RepetitionCode, MatchesStimsGeneratedLayout) {
  RepetitionCode code{.distance = 3, .rounds = 3, .noise = RepetitionCodeNoise::uniform(0.001)};
  EXPECT_EQ(make_repetition_code_circuit(code).to_stim(), kDistance3Rounds3);
}

TEST(RepetitionCode, CountsQubitsMeasurementsDetectorsAndObservables) {
  for (int d : {2, 3, 7}) {
    for (int r : {1, 5}) {
      StabilizerCircuit c = make_repetition_code_circuit({.distance = d, .rounds = r});
      EXPECT_EQ(c.num_qubits(), static_cast<std::uint32_t>(2 * d - 1));
      EXPECT_EQ(c.num_measurements(), static_cast<std::uint64_t>((d - 1) * r + d));
      EXPECT_EQ(c.num_detectors(), static_cast<std::uint64_t>((d - 1) * (r + 1)));
      EXPECT_EQ(c.num_observables(), 1u);
      EXPECT_EQ(c.max_lookback(), static_cast<std::uint32_t>(2 * d - 1));
    }
  }
}

TEST(RepetitionCode, PhaseFlipCodeIsTheHadamardConjugate) {
  RepetitionCode code{.distance = 3, .rounds = 2, .basis = Basis::kX,
                      .noise = RepetitionCodeNoise::uniform(0.01)};
  const std::string text = make_repetition_code_circuit(code).to_stim();
  EXPECT_THAT(text, HasSubstr("RX 0 1 2 3 4\nZ_ERROR(0.01) 0 1 2 3 4\n"));
  EXPECT_THAT(text, HasSubstr("CX 1 0 3 2\n"));   // control and target swapped
  EXPECT_THAT(text, HasSubstr("MRX 1 3\n"));
  EXPECT_THAT(text, HasSubstr("MX 0 2 4\n"));
  EXPECT_THAT(text, Not(HasSubstr("X_ERROR")));
}

TEST(RepetitionCode, LeavesOutChannelsWithZeroProbability) {
  RepetitionCode code{.distance = 3, .rounds = 2};
  code.noise.before_measure_flip_probability = 0.01;
  const std::string text = make_repetition_code_circuit(code).to_stim();
  EXPECT_THAT(text, Not(HasSubstr("DEPOLARIZE")));
  EXPECT_THAT(text, HasSubstr("X_ERROR(0.01) 1 3\nMR 1 3\nDETECTOR"));
}

TEST(RepetitionCode, RejectsDistanceBelowTwoAndNoRounds) {
  EXPECT_THROW(make_repetition_code_circuit({.distance = 1, .rounds = 3}), ConfigError);
  EXPECT_THROW(make_repetition_code_circuit({.distance = 3, .rounds = 0}), ConfigError);
  RepetitionCode bad{.distance = 3, .rounds = 1, .noise = RepetitionCodeNoise::uniform(0.9)};
  EXPECT_THROW(make_repetition_code_circuit(bad), ConfigError);
}

TEST(StabilizerCircuit, StimTextRoundTrips) {
  StabilizerCircuit c = StabilizerCircuit::from_stim(kDistance3Rounds3);
  EXPECT_EQ(c.to_stim(), kDistance3Rounds3);
  EXPECT_TRUE(c == make_repetition_code_circuit(
                       {.distance = 3, .rounds = 3, .noise = RepetitionCodeNoise::uniform(0.001)}));
}

TEST(StabilizerCircuit, ParserAcceptsCommentsAliasesAndBlankLines) {
  StabilizerCircuit c = StabilizerCircuit::from_stim("# a comment\n\nR 0 1\ncnot 0 1  # inline\nM 1\n");
  EXPECT_EQ(c.to_stim(), "R 0 1\nCX 0 1\nM 1\n");
}

TEST(StabilizerCircuit, ParserErrorsNameTheLine) {
  try {
    StabilizerCircuit::from_stim("R 0\nCX 0\n");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("line 2"));
    EXPECT_THAT(e.what(), HasSubstr("even number of targets"));
  }
  EXPECT_THROW(StabilizerCircuit::from_stim("S 0\n"), ConfigError);            // unsupported gate
  EXPECT_THROW(StabilizerCircuit::from_stim("M 0\nDETECTOR rec[0]\n"), ConfigError);
  EXPECT_THROW(StabilizerCircuit::from_stim("REPEAT 2 {\nTICK\n"), ConfigError);  // not closed
  EXPECT_THROW(StabilizerCircuit::from_stim("X_ERROR(1.5) 0\n"), ConfigError);
}

}  // namespace
}  // namespace tessera::jobs::quantum
