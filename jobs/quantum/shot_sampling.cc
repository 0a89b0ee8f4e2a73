#include "jobs/quantum/shot_sampling.h"

#include <algorithm>

#include "runtime/error.h"

namespace tessera::jobs::quantum {

std::int64_t sample_plus_count(double exact, std::int64_t shots, std::mt19937_64& rng) {
  TESSERA_CHECK(shots >= 1, "{} shots (must be >= 1)", shots);
  const double p = std::clamp((1.0 + exact) / 2.0, 0.0, 1.0);
  std::binomial_distribution<std::int64_t> plus(shots, p);
  return plus(rng);
}

double sample_expectation(double exact, std::int64_t shots, std::mt19937_64& rng) {
  if (shots == 0) {
    return exact;
  }
  const std::int64_t plus = sample_plus_count(exact, shots, rng);
  return static_cast<double>(2 * plus - shots) / static_cast<double>(shots);
}

}  // namespace tessera::jobs::quantum
