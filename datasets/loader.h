#pragma once

// Loader: batches of tensors for one rank of a training job, from WebDataset
// shards. This is what jobs use:
//
//   datasets::Loader loader(config.data, config.data.train,
//                           {.rank = rank, .world = size, .seed = spec.seed}, epoch);
//   while (std::optional<datasets::Batch> b = loader.next()) {
//     at::Tensor x = b->tensors.at("image");   // [B, 28, 28] uint8
//     at::Tensor y = b->tensors.at("label");   // [B] int64
//   }
//   loader.start_epoch(epoch + 1);
//
// Every rank gets the same number of batches per epoch when the config makes
// the epoch length equal (see DataConfig: equalize, epoch.samples_per_rank);
// batches_per_epoch() says how many.
//
// Exact resume: save_state() returns an opaque blob (cereal binary) for the
// rank's checkpoint; a Loader built with the same config and place, after
// restore_state(blob), yields exactly the batches the saved one would have
// yielded next — same samples, same order — with shuffling and several
// reader threads. The state also carries the counters of stats().
//
// Bad data: with on_error: raise, next() throws a DataError naming the shard,
// member and offset; with skip, stats().skipped_samples / skipped_shards
// count what was dropped (log them as metrics).
//
// Not thread-safe: one thread (the job's) calls everything; reading runs on
// `workers` background threads per rank.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "datasets/batch.h"
#include "datasets/data_config.h"
#include "datasets/sample_stream.h"
#include "datasets/shard_plan.h"

namespace tessera::datasets {

class Loader {
 public:
  // Reads the shards of `spec` (config.train or config.eval, or any shard
  // spec) on `place`, starting `epoch`. Throws ConfigError (no fields, a bad
  // spec) or DataError (missing shards, counting failures).
  Loader(const DataConfig& config, const std::string& spec, Place place, std::int64_t epoch = 0);

  // The next batch of the epoch, or nullopt at its end.
  std::optional<Batch> next();

  // Starts another epoch (any epoch number; the shard order and shuffle
  // follow from (seed, epoch)).
  void start_epoch(std::int64_t epoch);
  std::int64_t epoch() const { return stream_->epoch(); }
  // Batches per epoch on this rank, when known (the same on every rank when
  // the epoch length is equalized).
  std::optional<std::int64_t> batches_per_epoch() const;
  // Batches returned so far in this epoch.
  std::int64_t batch_index() const { return batch_index_; }

  std::string save_state() const;
  // Throws CheckpointError (a blob from another config, rank or world size).
  void restore_state(std::string_view state);

  const StreamStats& stats() const { return stream_->stats(); }

  // A hook run on every batch before next() returns it (augmentation,
  // normalisation). Runs on the caller's thread.
  void set_transform(std::function<void(Batch&)> transform) { transform_ = std::move(transform); }

  SampleStream& stream() { return *stream_; }

 private:
  DataConfig config_;
  std::unique_ptr<SampleStream> stream_;
  std::int64_t batch_index_ = 0;
  std::vector<Sample> pending_;
  std::function<void(Batch&)> transform_;
};

}  // namespace tessera::datasets
