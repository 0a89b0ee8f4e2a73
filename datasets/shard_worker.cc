#include "datasets/open_shard.h"
#include "datasets/shard_worker.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "datasets/decode.h"
#include "datasets/shard_reader.h"
#include "runtime/error.h"

namespace tessera::datasets {
namespace {

// Thrown inside the worker to unwind when the stream stops it.
struct Stopped {};

// A reader that delivers nothing for this many shards in a row gives up
// (resampled streams never end otherwise).
constexpr std::uint64_t kMaxEmptyShardsInARow = 1000;

}  // namespace

void decode_outputs(const std::vector<FieldSpec>& outputs, Sample& sample) {
  sample.values.clear();
  sample.values.reserve(outputs.size());
  for (const FieldSpec& spec : outputs) {
    const SampleField* field = nullptr;
    for (const std::string& ext : spec.exts) {
      if ((field = sample.find(ext)) != nullptr) {
        break;
      }
    }
    if (field == nullptr) {
      std::string exts;
      for (const std::string& ext : spec.exts) {
        exts += (exts.empty() ? "." : " or .") + ext;
      }
      throw DataError(*sample.url, sample.key, sample.location.offset,
                      fmt::format("sample has no {} member for output '{}'", exts, spec.name));
    }
    sample.values.push_back(decode_field(sample, *field));
  }
}

ShardWorker::ShardWorker(const WorkerShared& shared, int worker, std::int64_t epoch, std::int64_t pass,
                         WorkerCursor start)
    : shared_(shared), worker_(worker), epoch_(epoch), pass_(pass), cursor_(std::move(start)) {
  thread_ = std::thread([this] { run(); });
}

ShardWorker::~ShardWorker() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

WorkerItem& ShardWorker::front() {
  if (local_.empty()) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !queue_.empty(); });
    std::swap(local_, queue_);
    queue_bytes_ = 0;
    lock.unlock();
    changed_.notify_all();
  }
  return local_.front();
}

void ShardWorker::pop() { local_.pop_front(); }

void ShardWorker::flush_chunk() {
  if (chunk_.empty()) {
    return;
  }
  const DataConfig& config = *shared_.config;
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] {
    return stop_ || queue_.empty() ||
           (queue_.size() < static_cast<std::size_t>(config.prefetch) && queue_bytes_ < config.prefetch_bytes);
  });
  if (stop_) {
    throw Stopped{};
  }
  for (WorkerItem& item : chunk_) {
    queue_.push_back(std::move(item));
  }
  queue_bytes_ += chunk_bytes_;
  chunk_.clear();
  chunk_bytes_ = 0;
  lock.unlock();
  changed_.notify_all();
}

void ShardWorker::push(WorkerItem item, bool flush) {
  if (chunk_.empty()) {
    chunk_started_ = std::chrono::steady_clock::now();
  }
  const std::size_t bytes = item.sample.bytes();
  chunk_.push_back(std::move(item));
  chunk_bytes_ += bytes;
  if (stop_.load(std::memory_order_relaxed)) {
    throw Stopped{};
  }
  // Items go to the consumer in chunks (one lock and one wake-up per chunk,
  // not per sample); a chunk is sent when full, large, or 20 ms old, so slow
  // sources still deliver promptly.
  const DataConfig& config = *shared_.config;
  const std::size_t chunk_items = std::clamp<std::size_t>(static_cast<std::size_t>(config.prefetch) / 4, 1, 64);
  const std::uint64_t chunk_bytes = std::min<std::uint64_t>(config.prefetch_bytes / 4, 1 << 20);
  if (flush || chunk_.size() >= chunk_items || chunk_bytes_ >= chunk_bytes ||
      std::chrono::steady_clock::now() - chunk_started_ > std::chrono::milliseconds(20)) {
    flush_chunk();
  }
}

void ShardWorker::run() {
  try {
    produce();
  } catch (const Stopped&) {
    // The stream no longer wants items.
  } catch (...) {
    WorkerItem item;
    item.kind = WorkerItem::Kind::kError;
    item.error = std::current_exception();
    item.after = cursor_;
    try {
      push(std::move(item), /*flush=*/true);
    } catch (const Stopped&) {
    }
  }
}

void ShardWorker::produce() {
  const DataConfig& config = *shared_.config;
  const ShardPlan& plan = *shared_.plan;
  const bool skip_bad = config.on_error == OnError::kSkip;
  std::uint64_t skipped_samples = 0;
  std::uint64_t skipped_shards = 0;
  std::uint64_t empty_in_a_row = 0;
  const std::vector<std::uint32_t> deal =
      plan.resampled() ? std::vector<std::uint32_t>{} : plan.worker_shards(epoch_, pass_, worker_);

  auto make_item = [&](WorkerItem::Kind kind) {
    WorkerItem item;
    item.kind = kind;
    item.after = cursor_;
    item.skipped_samples = std::exchange(skipped_samples, 0);
    item.skipped_shards = std::exchange(skipped_shards, 0);
    return item;
  };

  while (!cursor_.exhausted) {
    std::uint32_t shard = 0;
    if (plan.resampled()) {
      shard = plan.resampled_shard(epoch_, worker_, cursor_.index);
    } else {
      if (cursor_.index >= deal.size()) {
        cursor_.exhausted = true;
        push(make_item(WorkerItem::Kind::kEnd), /*flush=*/true);
        return;
      }
      shard = deal[cursor_.index];
    }

    const std::shared_ptr<const std::string>& url = shared_.urls[shard];
    bool warned = false;
    auto warn = [&](const DataError& e, std::string_view what) {
      if (!warned) {
        spdlog::warn("skipping {} ({} on_error: skip; further problems in this shard are counted silently): {}",
                     what, *url, e.what());
        warned = true;
      }
    };
    std::uint64_t delivered = 0;
    try {
      auto reader = open_shard_reader(url, shard, config.source, shared_.reader_options, cursor_.position);
      for (;;) {
        const std::uint64_t ordinal = cursor_.position.ordinal;
        const bool keep = plan.keeps(ordinal);
        WorkerItem item;
        try {
          if (!reader->next(item.sample, keep)) {
            break;
          }
          cursor_.position = reader->position();
          if (!keep) {
            continue;
          }
          decode_outputs(config.outputs, item.sample);
        } catch (const DataError& e) {
          if (!skip_bad || reader->broken()) {
            throw;
          }
          cursor_.position = reader->position();
          if (keep) {
            ++skipped_samples;
            warn(e, "a bad sample");
          }
          continue;
        }
        ++delivered;
        WorkerItem ready = make_item(WorkerItem::Kind::kSample);
        ready.sample = std::move(item.sample);
        push(std::move(ready), /*flush=*/false);
      }
      reader->finish();
    } catch (const DataError& e) {
      if (!skip_bad) {
        throw;
      }
      ++skipped_shards;
      warn(e, "the rest of a shard");
    }
    empty_in_a_row = delivered > 0 ? 0 : empty_in_a_row + 1;
    if (plan.resampled() && empty_in_a_row >= kMaxEmptyShardsInARow) {
      throw DataError(*url, "", 0, fmt::format("{} shards in a row gave no usable sample", empty_in_a_row));
    }
    ++cursor_.index;
    cursor_.position = ShardPosition{};
  }
}

}  // namespace tessera::datasets
