#include "datasets/loader.h"

#include <sstream>

#include <cereal/archives/binary.hpp>
#include <cereal/types/string.hpp>
#include <fmt/format.h>

#include "datasets/shard_spec.h"
#include "runtime/error.h"

namespace tessera::datasets {
namespace {

struct LoaderState {
  static constexpr std::uint32_t kMagic = 0x544c4431;  // "TLD1"
  std::uint32_t magic = kMagic;
  std::int64_t batch_index = 0;
  std::string stream;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(magic, batch_index, stream);
  }
};

}  // namespace

Loader::Loader(const DataConfig& config, const std::string& spec, Place place, std::int64_t epoch)
    : config_(config) {
  if (config_.outputs.empty()) {
    throw ConfigError("data.fields is empty: name the outputs, e.g. fields: {image: npy, label: cls}");
  }
  if (spec.empty()) {
    throw ConfigError("data: no shard spec given (data.train / data.eval)");
  }
  stream_ = std::make_unique<SampleStream>(config_, expand_shard_spec(spec), place);
  start_epoch(epoch);
}

void Loader::start_epoch(std::int64_t epoch) {
  batch_index_ = 0;
  stream_->start_epoch(epoch);
}

std::optional<std::int64_t> Loader::batches_per_epoch() const {
  std::optional<std::uint64_t> samples = stream_->samples_per_epoch();
  if (!samples) {
    return std::nullopt;
  }
  const auto b = static_cast<std::uint64_t>(config_.batch_size);
  return static_cast<std::int64_t>(config_.drop_last ? *samples / b : (*samples + b - 1) / b);
}

std::optional<Batch> Loader::next() {
  pending_.resize(static_cast<std::size_t>(config_.batch_size));
  std::size_t n = 0;
  while (n < pending_.size() && stream_->next(pending_[n])) {
    ++n;
  }
  if (n == 0 || (n < pending_.size() && config_.drop_last)) {
    pending_.clear();
    return std::nullopt;
  }
  pending_.resize(n);
  Batch batch = collate(config_.outputs, pending_);
  batch.epoch = stream_->epoch();
  batch.index = batch_index_++;
  pending_.clear();
  if (transform_) {
    transform_(batch);
  }
  return batch;
}

std::string Loader::save_state() const {
  LoaderState st;
  st.batch_index = batch_index_;
  st.stream = stream_->save_state();
  std::ostringstream out;
  {
    cereal::BinaryOutputArchive archive(out);
    archive(st);
  }
  return std::move(out).str();
}

void Loader::restore_state(std::string_view state) {
  LoaderState st;
  try {
    std::istringstream in{std::string(state)};
    cereal::BinaryInputArchive archive(in);
    archive(st);
  } catch (const std::exception& e) {
    throw CheckpointError("", fmt::format("unreadable data loader state ({} bytes): {}", state.size(), e.what()));
  }
  if (st.magic != LoaderState::kMagic) {
    throw CheckpointError("", "the blob is not a data loader state");
  }
  stream_->restore_state(st.stream);
  batch_index_ = st.batch_index;
}

}  // namespace tessera::datasets
