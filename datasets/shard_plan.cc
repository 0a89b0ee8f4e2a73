#include "datasets/shard_plan.h"

#include <numeric>

#include "runtime/rng.h"
#include "runtime/error.h"

namespace tessera::datasets {
namespace {

constexpr std::uint64_t kOrderTag = 0x5348415244ULL;     // "SHARD"
constexpr std::uint64_t kResampleTag = 0x52455341ULL;    // "RESA"

}  // namespace

ShardPlan::ShardPlan(std::uint32_t shards, Place place, int workers, bool shard_shuffle, bool resampled,
                     SplitMode split)
    : shards_(shards), place_(place), workers_(workers), shard_shuffle_(shard_shuffle), resampled_(resampled) {
  TESSERA_CHECK(shards > 0 && workers > 0 && place.world > 0, "empty plan");
  by_sample_ = split == SplitMode::kSample ||
               (split == SplitMode::kAuto && !resampled && shards < static_cast<std::uint32_t>(place.world));
}

std::vector<std::uint32_t> ShardPlan::order(std::int64_t epoch, std::int64_t pass) const {
  std::vector<std::uint32_t> o(shards_);
  std::iota(o.begin(), o.end(), 0U);
  if (shard_shuffle_) {
    runtime::Rng rng(runtime::derive_seed(place_.seed, {kOrderTag, static_cast<std::uint64_t>(epoch), static_cast<std::uint64_t>(pass)}));
    rng.shuffle(o);
  }
  return o;
}

std::vector<std::uint32_t> ShardPlan::rank_shards(std::int64_t epoch, std::int64_t pass) const {
  std::vector<std::uint32_t> o = order(epoch, pass);
  if (by_sample_) {
    return o;
  }
  std::vector<std::uint32_t> mine;
  for (std::size_t i = static_cast<std::size_t>(place_.rank); i < o.size(); i += static_cast<std::size_t>(place_.world)) {
    mine.push_back(o[i]);
  }
  return mine;
}

std::vector<std::uint32_t> ShardPlan::worker_shards(std::int64_t epoch, std::int64_t pass, int worker) const {
  TESSERA_CHECK(!resampled_, "worker_shards() on a resampled plan");
  std::vector<std::uint32_t> rank = rank_shards(epoch, pass);
  std::vector<std::uint32_t> mine;
  for (std::size_t i = static_cast<std::size_t>(worker); i < rank.size(); i += static_cast<std::size_t>(workers_)) {
    mine.push_back(rank[i]);
  }
  return mine;
}

std::uint32_t ShardPlan::resampled_shard(std::int64_t epoch, int worker, std::uint64_t index) const {
  runtime::Rng rng(runtime::derive_seed(place_.seed, {kResampleTag, static_cast<std::uint64_t>(epoch),
                                    static_cast<std::uint64_t>(place_.rank), static_cast<std::uint64_t>(worker),
                                    index}));
  return static_cast<std::uint32_t>(rng.below(shards_));
}

std::uint64_t ShardPlan::rank_samples(std::int64_t epoch, int rank, const std::vector<std::uint64_t>& counts) const {
  const auto world = static_cast<std::uint64_t>(place_.world);
  const auto r = static_cast<std::uint64_t>(rank);
  std::uint64_t total = 0;
  if (by_sample_) {
    for (std::uint64_t c : counts) {
      total += c > r ? (c - r + world - 1) / world : 0;
    }
    return total;
  }
  std::vector<std::uint32_t> o = order(epoch, 0);
  for (std::size_t i = static_cast<std::size_t>(rank); i < o.size(); i += static_cast<std::size_t>(place_.world)) {
    total += counts[o[i]];
  }
  return total;
}

}  // namespace tessera::datasets
