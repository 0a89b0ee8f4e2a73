#pragma once

// SampleStream: the torch-free reading pipeline of one rank — shard plan,
// reader threads, deterministic merge, limit, shuffle buffer — with exact
// save/restore. The Loader (loader.h) batches its samples into tensors.
//
// Per epoch, on rank r of W:
//   1. ShardPlan deals the shards of this epoch to the rank and its K reader
//      threads (reshuffled from (seed, epoch) unless shard_shuffle is off).
//   2. Each thread reads, groups and decodes its shards in order.
//   3. The stream takes one sample from each thread in turn (round robin; a
//      thread that has finished is passed over). This order depends only on
//      the data, never on thread timing, so every run — and every resumed
//      run — sees the same sequence.
//   4. At most `limit` samples are taken (equalize / samples_per_rank): every
//      rank takes the same number. When all of the rank's threads are done
//      with their deal before that, the rank wraps around: pass 1, 2, ... of
//      the epoch deal the shards again (a new order) to the same threads.
//   5. A shuffle buffer (seeded from (seed, epoch, rank)) reorders them.
//
// save_state() captures the stream between two next() calls; restore_state()
// on a stream built with the same shards, config and place continues with
// exactly the samples, in exactly the order, that the original would have
// delivered. Not thread-safe: one consumer thread calls everything.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "datasets/data_config.h"
#include "runtime/rng.h"
#include "datasets/sample.h"
#include "datasets/shard_plan.h"
#include "datasets/shard_worker.h"
#include "datasets/stream_state.h"

namespace tessera::datasets {

class SampleStream {
 public:
  // Reads `urls` with `config`'s settings (its train/eval specs are not
  // used) on `place`. Local shards are checked at once: every missing one is
  // named in one DataError (on_error: raise) or a warning (skip). When the
  // epoch length needs them, samples per shard are counted here.
  SampleStream(const DataConfig& config, std::vector<std::string> urls, Place place);
  ~SampleStream();
  SampleStream(const SampleStream&) = delete;
  SampleStream& operator=(const SampleStream&) = delete;

  // Starts epoch `epoch` (stopping any epoch in progress).
  void start_epoch(std::int64_t epoch);

  // The next sample of the epoch; false at its end. Throws DataError
  // (on_error: raise), after which the stream stays failed.
  bool next(Sample& sample);

  std::int64_t epoch() const { return epoch_; }
  // Samples this rank takes per epoch, when fixed (several ranks, or
  // samples_per_rank); else the shards' total for one rank when counted.
  std::optional<std::uint64_t> samples_per_epoch() const;
  // Samples per shard, when counted (same order as urls()).
  const std::vector<std::uint64_t>& shard_counts() const { return counts_; }

  std::string save_state() const;
  // Throws CheckpointError when the state is malformed or was saved by a
  // stream over other shards, ranks, workers, seed or settings.
  void restore_state(std::string_view state);

  const StreamStats& stats() const { return stats_; }
  const std::vector<std::string>& urls() const { return urls_; }
  const ShardPlan& plan() const { return *plan_; }

 private:
  void stop_workers();
  void start_workers();
  bool take(Sample& sample);
  void compute_limit();
  std::uint64_t settings_hash() const;
  // Reads the samples at `locations` again (restore).
  std::vector<Sample> reread(const std::vector<SampleLocation>& locations) const;

  DataConfig config_;
  std::vector<std::string> urls_;
  Place place_;
  std::unique_ptr<ShardPlan> plan_;
  WorkerShared shared_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t shards_hash_ = 0;

  std::int64_t epoch_ = -1;
  bool running_ = false;
  bool failed_ = false;
  std::uint64_t limit_ = 0;
  bool wrap_ = false;
  std::int64_t pass_ = 0;
  std::uint64_t pass_taken_ = 0;
  std::uint64_t taken_ = 0;
  std::uint32_t next_worker_ = 0;
  bool merge_done_ = false;
  std::vector<WorkerCursor> cursors_;
  std::vector<std::unique_ptr<ShardWorker>> workers_;

  bool shuffle_started_ = false;
  runtime::Rng rng_;
  std::vector<Sample> buffer_;
  std::uint64_t buffer_bytes_ = 0;

  StreamStats stats_;
};

}  // namespace tessera::datasets
