#include "jobs/quantum/photon_basis.h"

#include <algorithm>
#include <bit>

#include "runtime/error.h"

namespace tessera::jobs::quantum {

std::uint64_t PhotonBasis::binomial(int n, int k) {
  TESSERA_CHECK(n >= 0 && n <= 64, "C({}, {}) (n must be in [0, 64])", n, k);
  if (k < 0 || k > n) {
    return 0;
  }
  // Pascal's triangle: every entry up to row 64 fits in 64 bits (the largest, C(64, 32), is 1.8e18).
  std::vector<std::uint64_t> row(static_cast<std::size_t>(k) + 1, 0);
  row[0] = 1;
  for (int i = 1; i <= n; ++i) {
    for (int j = std::min(i, k); j > 0; --j) {
      row[static_cast<std::size_t>(j)] += row[static_cast<std::size_t>(j) - 1];
    }
  }
  return row[static_cast<std::size_t>(k)];
}

PhotonBasis::PhotonBasis(int sites, int photons) : sites_(sites), photons_(photons) {
  TESSERA_CHECK(sites >= 1 && sites <= 64, "{} sites (1..64)", sites);
  TESSERA_CHECK(photons >= 0 && photons <= sites, "{} photons on {} sites", photons, sites);
  const std::uint64_t dim = binomial(sites, photons);
  TESSERA_CHECK(dim < (std::uint64_t{1} << 32), "the {}-photon sector of {} sites has {} states (max 2^32 - 1)",
                photons, sites, dim);
  choose_.assign(kColumns * kColumns, 0);
  for (std::size_t p = 0; p < kColumns; ++p) {
    choose_[p * kColumns] = 1;
    for (std::size_t k = 1; k <= p; ++k) {
      choose_[p * kColumns + k] = choose_[(p - 1) * kColumns + k - 1] + choose_[(p - 1) * kColumns + k];
    }
  }
  states_.reserve(dim);
  if (photons == 0) {
    states_.push_back(0);
    return;
  }
  // Gosper's hack: the next larger integer with the same number of bits set.
  std::uint64_t mask = (photons == 64) ? ~std::uint64_t{0} : (std::uint64_t{1} << photons) - 1;
  for (std::uint64_t i = 0; i < dim; ++i) {
    states_.push_back(mask);
    if (i + 1 == dim) {
      break;
    }
    const std::uint64_t lowest = mask & (~mask + 1);
    const std::uint64_t ripple = mask + lowest;
    mask = ripple | (((ripple ^ mask) >> 2) / lowest);
  }
}

std::uint64_t PhotonBasis::rank(std::uint64_t mask) const {
  TESSERA_CHECK(std::popcount(mask) == photons_ && (sites_ == 64 || (mask >> sites_) == 0),
                "mask {:#x} is not a {}-photon state of {} sites", mask, photons_, sites_);
  return rank_unchecked(mask);
}

}  // namespace tessera::jobs::quantum
