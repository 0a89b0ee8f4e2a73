#pragma once

// PhotonBasis: the basis of the n-photon sector of N sites (hard-core
// photons: at most one per site), i.e. every N-bit occupation mask with n
// bits set, C(N, n) of them, in increasing order of the mask.
//
// The rank of a mask is its position in that order, computed without a table
// lookup by the combinatorial number system: for set bits p_0 < p_1 < ...,
// rank = sum_k C(p_k, k + 1). Unranking is an array read.

#include <cstdint>
#include <span>
#include <vector>

namespace tessera::jobs::quantum {

class PhotonBasis {
 public:
  // Up to 64 sites and a sector of at most 2^32 - 1 states. Throws
  // InternalError otherwise.
  PhotonBasis(int sites, int photons);

  int sites() const { return sites_; }
  int photons() const { return photons_; }
  std::uint64_t dimension() const { return states_.size(); }

  // The occupation mask of basis state `rank` (bit j = site j occupied).
  std::uint64_t state(std::uint64_t rank) const { return states_[rank]; }
  std::span<const std::uint64_t> states() const { return states_; }
  // The rank of `mask`, which must have exactly photons() bits set below
  // bit sites() (checked: InternalError).
  std::uint64_t rank(std::uint64_t mask) const;
  // rank() without the check.
  std::uint64_t rank_unchecked(std::uint64_t mask) const {
    std::uint64_t r = 0;
    int k = 1;
    for (std::uint64_t bits = mask; bits != 0; bits &= bits - 1, ++k) {
      r += choose_[static_cast<std::size_t>(__builtin_ctzll(bits)) * kColumns + static_cast<std::size_t>(k)];
    }
    return r;
  }

  // C(n, k) for n <= 64 (0 when k > n), as used by rank().
  static std::uint64_t binomial(int n, int k);

 private:
  static constexpr std::size_t kColumns = 65;
  int sites_;
  int photons_;
  std::vector<std::uint64_t> choose_;   // C(p, k) at p * kColumns + k
  std::vector<std::uint64_t> states_;
};

}  // namespace tessera::jobs::quantum
