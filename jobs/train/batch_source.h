#pragma once

// Where a trainer gets its batches.
//
// BatchSource yields this rank's share of each global training batch. Every
// rank yields the same number of batches per epoch, so no rank waits on a
// collective another rank never reaches. Its position is saved in
// checkpoints (state()) and restored exactly (restore()).
//
// EvalSource walks this rank's part of an evaluation split once per call;
// parts may differ in size between ranks (the trainer reduces sums).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "jobs/train/batch.h"

namespace tessera::jobs::train {

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // This rank's share of the next global batch (epochs roll over by themselves).
  virtual Batch next() = 0;
  // Global batches per epoch (equal on every rank).
  virtual std::int64_t batches_per_epoch() const = 0;
  // The position, as opaque bytes for a checkpoint.
  virtual std::string state() const = 0;
  // True when state() is the same on every rank and fits any world size (a
  // global position); false when it is this rank's own (per-rank streams).
  virtual bool state_is_global() const = 0;
  // Continues exactly where state() was taken. Throws CheckpointError for
  // bytes it cannot use.
  virtual void restore(std::string_view state) = 0;
};

class EvalSource {
 public:
  virtual ~EvalSource() = default;
  // Calls `visit` with each batch of this rank's part of the split.
  virtual void for_each_batch(const std::function<void(const Batch&)>& visit) = 0;
};

}  // namespace tessera::jobs::train
