#include "jobs/train/memory_source.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::jobs::train {

MemorySource::MemorySource(MemoryDataset data, MemorySourceOptions options)
    : data_(std::move(data)), options_(std::move(options)) {
  if (options_.global_batch % options_.world != 0) {
    throw ConfigError(fmt::format("data.batch_size = {} (must be divisible by the {} ranks)",
                                  options_.global_batch, options_.world));
  }
  batches_per_epoch_ = data_.size() / options_.global_batch;
  if (batches_per_epoch_ == 0) {
    throw ConfigError(fmt::format("data.batch_size = {} (the split holds only {} samples)",
                                  options_.global_batch, data_.size()));
  }
  start_epoch();
}

void MemorySource::start_epoch() {
  if (!options_.shuffle) {
    order_ = at::arange(data_.size(), at::kLong);
    return;
  }
  // One generator per epoch from (seed, epoch): the permutation of epoch e
  // does not depend on how the run got there (resume, world size).
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(
      options_.seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(epoch_) + 1);
  order_ = at::randperm(data_.size(), generator, at::kLong);
}

Batch MemorySource::next() {
  if (batch_ == batches_per_epoch_) {
    ++epoch_;
    batch_ = 0;
    start_epoch();
  }
  const std::int64_t share = options_.global_batch / options_.world;
  const std::int64_t start = batch_ * options_.global_batch + options_.rank * share;
  ++batch_;
  at::Tensor index = order_.narrow(0, start, share);
  at::Tensor labels = data_.labels.defined() ? data_.labels.index_select(0, index) : at::Tensor();
  return options_.format.make_batch(data_.inputs.index_select(0, index), labels);
}

std::string MemorySource::state() const { return fmt::format("memory epoch {} batch {}", epoch_, batch_); }

void MemorySource::restore(std::string_view state) {
  long long epoch = 0;
  long long batch = 0;
  const std::string text(state);
  if (std::sscanf(text.c_str(), "memory epoch %lld batch %lld", &epoch, &batch) != 2 || epoch < 0 ||
      batch < 0 || batch > batches_per_epoch_) {
    throw CheckpointError({}, fmt::format("data position '{}' does not fit this in-memory split", text));
  }
  epoch_ = epoch;
  batch_ = batch;
  start_epoch();
}

MemoryEvalSource::MemoryEvalSource(MemoryDataset data, std::int64_t batch, int rank, int world,
                                   SampleFormat format)
    : data_(std::move(data)), batch_(std::max<std::int64_t>(1, batch)), format_(format) {
  const std::int64_t n = data_.size();
  begin_ = n * rank / world;
  end_ = n * (rank + 1) / world;
}

void MemoryEvalSource::for_each_batch(const std::function<void(const Batch&)>& visit) {
  for (std::int64_t start = begin_; start < end_; start += batch_) {
    const std::int64_t count = std::min(batch_, end_ - start);
    at::Tensor labels = data_.labels.defined() ? data_.labels.narrow(0, start, count) : at::Tensor();
    visit(format_.make_batch(data_.inputs.narrow(0, start, count), labels));
  }
}

}  // namespace tessera::jobs::train
