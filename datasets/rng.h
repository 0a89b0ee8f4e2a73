#pragma once

// Deterministic random numbers for the data pipeline.
//
// Every random choice of the reader (shard order per epoch, resampled shard
// draws, the shuffle buffer) comes from these generators, seeded by
// derive_seed(seed, tags...). The sequences are fixed by this file alone, not
// by the standard library's implementation-defined distributions, so a run
// resumed on another machine or build makes the same choices.
//
// SplitMix64 (Steele, Lea, Flood: "Fast splittable pseudorandom number
// generators", OOPSLA 2014) mixes seeds; Xoshiro256** (Blackman, Vigna:
// "Scrambled linear pseudorandom number generators", 2021) generates streams.
// uniform() uses Lemire's nearly divisionless method ("Fast random integer
// generation in an interval", 2019), exact and unbiased.

#include <array>
#include <cstdint>
#include <initializer_list>
#include <utility>
#include <vector>

namespace tessera::datasets {

__extension__ using Uint128 = unsigned __int128;

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

  explicit Rng(std::uint64_t seed = 0) {
    std::uint64_t x = seed;
    for (auto& word : s_) {
      x += 0x9e3779b97f4a7c15ULL;
      word = splitmix64(x);
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

  // Uniform in [0, n); n > 0.
  std::uint64_t uniform(std::uint64_t n) {
    Uint128 m = static_cast<Uint128>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = -n % n;
      while (low < threshold) {
        m = static_cast<Uint128>(next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

  // Fisher-Yates shuffle of `v`.
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) {
      std::swap(v[i - 1], v[uniform(i)]);
    }
  }

  const State& state() const { return s_; }
  void set_state(const State& s) { s_ = s; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  State s_{};
};

}  // namespace tessera::datasets
