#pragma once

// Batches from a split held in memory, in the order of PyTorch's
// DistributedSampler: every epoch one permutation of the whole split, drawn
// from (seed, epoch) and identical on every rank; global batch s of the epoch
// is positions [s*G, (s+1)*G) of it, and rank r of W takes the contiguous
// slice [r*G/W, (r+1)*G/W) of that batch. The union over ranks of a step's
// batches is therefore the same global batch on any world size, which is what
// makes an N-rank run follow the 1-rank run step by step. Partial last
// batches are dropped, so every rank has the same batch count.
//
// The position is (epoch, batch), so a resume continues exactly, on any
// world size.

#include <cstdint>
#include <string>
#include <string_view>

#include <ATen/core/Tensor.h>

#include "jobs/train/batch_source.h"
#include "jobs/train/sample_format.h"

namespace tessera::jobs::train {

// A whole split: inputs [N, ...] (uint8 or float) and labels [N] (int64, or
// undefined for unlabelled data).
struct MemoryDataset {
  at::Tensor inputs;
  at::Tensor labels;

  std::int64_t size() const { return inputs.defined() ? inputs.size(0) : 0; }
};

struct MemorySourceOptions {
  std::int64_t global_batch = 1;  // samples per step over all ranks (divisible by world)
  int rank = 0;
  int world = 1;
  bool shuffle = true;            // a fresh permutation every epoch, else the stored order
  std::uint64_t seed = 1;         // permutation seed (same on every rank)
  SampleFormat format;
};

class MemorySource final : public BatchSource {
 public:
  // Throws ConfigError when the batch does not divide over the ranks or the
  // split holds less than one global batch.
  MemorySource(MemoryDataset data, MemorySourceOptions options);

  Batch next() override;
  std::int64_t batches_per_epoch() const override { return batches_per_epoch_; }
  std::string state() const override;
  bool state_is_global() const override { return true; }
  void restore(std::string_view state) override;

  std::int64_t epoch() const { return epoch_; }

 private:
  void start_epoch();

  MemoryDataset data_;
  MemorySourceOptions options_;
  std::int64_t batches_per_epoch_;
  std::int64_t epoch_ = 0;
  std::int64_t batch_ = 0;   // next batch within the epoch
  at::Tensor order_;         // this epoch's permutation (int64)
};

// This rank's contiguous part of a split, in batches of `batch` samples.
class MemoryEvalSource final : public EvalSource {
 public:
  MemoryEvalSource(MemoryDataset data, std::int64_t batch, int rank, int world, SampleFormat format);
  void for_each_batch(const std::function<void(const Batch&)>& visit) override;

 private:
  MemoryDataset data_;
  std::int64_t batch_;
  std::int64_t begin_;
  std::int64_t end_;
  SampleFormat format_;
};

}  // namespace tessera::jobs::train
