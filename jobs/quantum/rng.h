#pragma once

// Rng: the random stream of the stabilizer simulator, xoshiro256** (Blackman &
// Vigna, "Scrambled linear pseudorandom number generators", ACM TOMS 2021).
// Small state, one 64-bit word per call, and statistically strong in every
// bit, which matters because the frame simulator uses whole words as 64 random
// bits. Seeded through splitmix64 so nearby seeds give unrelated streams.
//
// Not thread-safe; one per thread. Deterministic: the same seed gives the same
// stream on every machine.

#include <cmath>
#include <cstdint>

namespace tessera::jobs::quantum {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    for (std::uint64_t& word : s_) {
      seed += 0x9E3779B97F4A7C15ull;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      word = z ^ (z >> 31);
    }
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Uniform in [0, n) (Lemire's multiply-shift; bias below 2^-64 * n).
  std::uint64_t below(std::uint64_t n) {
    __extension__ using Wide = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<Wide>(next()) * n) >> 64);
  }

  // Trials before the next success of a Bernoulli(p) sequence, i.e. a
  // geometric variate on {0, 1, ...}; `log1m_p` is log(1 - p). Saturates at
  // 2^62 when p is tiny.
  std::uint64_t geometric(double log1m_p) {
    const double u = 1.0 - uniform();  // (0, 1]
    const double skips = std::floor(std::log(u) / log1m_p);
    return skips < 0x1.0p62 ? static_cast<std::uint64_t>(skips) : (std::uint64_t{1} << 62);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::uint64_t s_[4];
};

}  // namespace tessera::jobs::quantum
