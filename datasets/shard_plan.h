#pragma once

// ShardPlan: which shards each (rank, worker) reads in each epoch — a pure
// function of (seed, epoch, pass, rank, world, worker), so every rank computes
// its part alone and a resumed run makes the same choices.
//
//  - Order: with shard_shuffle, the shard list is permuted per (epoch, pass)
//    from the seed; otherwise it keeps the written order.
//  - Split by shard: rank r takes positions r, r+W, r+2W, ... of that order
//    (re-dealt every epoch). Split by sample: every rank takes every shard and
//    keeps the samples whose index in the shard is r mod W.
//  - Workers: worker k of K takes the rank's shards k, k+K, ...
//  - Passes: when a rank must wrap around (samples_per_rank, equalize pad, or
//    samples skipped as bad), pass 1, 2, ... are further deals of the same
//    epoch.
//  - Resampled: worker k's i-th shard is drawn uniformly with replacement.
//
// Immutable after construction; safe to share between threads.

#include <cstdint>
#include <vector>

#include "datasets/data_config.h"

namespace tessera::datasets {

struct Place {
  int rank = 0;              // this rank
  int world = 1;             // ranks
  std::uint64_t seed = 1;    // the job's seed
};

class ShardPlan {
 public:
  ShardPlan(std::uint32_t shards, Place place, int workers, bool shard_shuffle, bool resampled, SplitMode split);

  bool split_by_sample() const { return by_sample_; }

  // The rank's shards in (epoch, pass), in reading order.
  std::vector<std::uint32_t> rank_shards(std::int64_t epoch, std::int64_t pass) const;

  // Worker `worker`'s shards in (epoch, pass), in reading order (not for
  // resampled plans).
  std::vector<std::uint32_t> worker_shards(std::int64_t epoch, std::int64_t pass, int worker) const;

  // Worker `worker`'s `index`-th shard draw in `epoch` (resampled plans).
  std::uint32_t resampled_shard(std::int64_t epoch, int worker, std::uint64_t index) const;

  bool resampled() const { return resampled_; }

  // Whether the sample with this index in its shard belongs to this rank.
  bool keeps(std::uint64_t ordinal) const {
    return !by_sample_ || ordinal % static_cast<std::uint64_t>(place_.world) == static_cast<std::uint64_t>(place_.rank);
  }

  // Samples rank `rank` reads in (epoch, pass 0), from per-shard counts.
  std::uint64_t rank_samples(std::int64_t epoch, int rank, const std::vector<std::uint64_t>& counts) const;

 private:
  std::vector<std::uint32_t> order(std::int64_t epoch, std::int64_t pass) const;

  std::uint32_t shards_;
  Place place_;
  int workers_;
  bool shard_shuffle_;
  bool resampled_;
  bool by_sample_;
};

}  // namespace tessera::datasets
