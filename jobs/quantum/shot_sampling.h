#pragma once

// Shot noise: what a quantum computer returns instead of an expectation value.
//
// Measuring qubit r of a state gives +1 (|0>) with probability
// (1 + <Z_r>)/2 and -1 otherwise, independently per shot, so the sum over
// `shots` shots is binomial and the estimate
//   (n_plus - n_minus) / shots
// has mean <Z_r> and variance (1 - <Z_r>^2) / shots. Sampling the binomial
// from the exact expectation is the same in distribution as sampling whole
// bitstrings (StateVector::sample) and reading bit r, at a fraction of the cost.

#include <cstdint>
#include <random>

namespace tessera::jobs::quantum {

// The estimate of <Z> from `shots` shots (>= 1); `shots` = 0 returns `exact`
// itself (infinitely many shots). `exact` outside [-1, 1] (rounding) is clamped.
double sample_expectation(double exact, std::int64_t shots, std::mt19937_64& rng);

// The number of +1 outcomes among `shots` shots.
std::int64_t sample_plus_count(double exact, std::int64_t shots, std::mt19937_64& rng);

}  // namespace tessera::jobs::quantum
