#pragma once

// Rng: tessera's one random stream for everything that must be reproducible
// bit for bit — the data reader's shard orders and shuffle buffer, the
// stabilizer simulator's Pauli frames, the QNN jobs' initial angles and shots.
// The sequences are fixed by this file alone, not by the standard library's
// implementation-defined distributions, so a run resumed on another machine
// or build makes the same choices.
//
// xoshiro256** (Blackman, Vigna: "Scrambled linear pseudorandom number
// generators", ACM TOMS 2021): small state, one 64-bit word per call, strong
// in every bit (the frame simulator uses whole words as 64 random bits).
// Seeded through SplitMix64 (Steele, Lea, Flood, OOPSLA 2014) so nearby seeds
// give unrelated streams; derive_seed() names independent streams by tags.
// below() is Lemire's nearly divisionless method ("Fast random integer
// generation in an interval", 2019), exact and unbiased.
//
// Not thread-safe; one per thread. state()/set_state() checkpoint a stream.

#include <array>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

namespace tessera::runtime {

// One SplitMix64 step: a well-mixed 64-bit function of `x`.
inline std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// A seed for one stream, e.g. derive_seed(seed, {kShuffleTag, epoch, rank}).
// Different tag lists give independent-looking seeds.
inline std::uint64_t derive_seed(std::uint64_t seed, std::initializer_list<std::uint64_t> tags) {
  std::uint64_t h = splitmix64(seed);
  for (std::uint64_t t : tags) {
    h = splitmix64(h ^ splitmix64(t + 0x632be59bd9b4e019ULL));
  }
  return h;
}

class Rng {
 public:
  using State = std::array<std::uint64_t, 4>;

  // The state words are the first four outputs of SplitMix64 from `seed`.
  explicit Rng(std::uint64_t seed = 0) {
    for (std::uint64_t& word : s_) {
      word = splitmix64(seed);
      seed += 0x9e3779b97f4a7c15ULL;
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

  // Uniform in [0, n); n > 0.
  std::uint64_t below(std::uint64_t n) {
    __extension__ using Wide = unsigned __int128;
    Wide m = static_cast<Wide>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = -n % n;
      while (low < threshold) {
        m = static_cast<Wide>(next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

  // Trials before the next success of a Bernoulli(p) sequence, i.e. a
  // geometric variate on {0, 1, ...}; `log1m_p` is log(1 - p). Saturates at
  // 2^62 when p is tiny.
  std::uint64_t geometric(double log1m_p) {
    const double u = 1.0 - uniform();  // (0, 1]
    const double skips = std::floor(std::log(u) / log1m_p);
    return skips < 0x1.0p62 ? static_cast<std::uint64_t>(skips) : (std::uint64_t{1} << 62);
  }

  // Fisher-Yates shuffle of `v`.
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) {
      std::swap(v[i - 1], v[below(i)]);
    }
  }

  const State& state() const { return s_; }
  void set_state(const State& s) { s_ = s; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  State s_{};
};

}  // namespace tessera::runtime
