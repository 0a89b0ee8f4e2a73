#pragma once

// ShardWorker: one reader thread of a SampleStream. It walks its deal of
// shards (from ShardPlan), groups and decodes samples, and queues them with
// the cursor just past each, so the consumer always knows where to resume.
//
// The queue is bounded in samples and bytes: a slow consumer stalls the
// thread, never grows memory. Bad data follows the stream's on_error policy:
// raise queues the error in order (the consumer sees it after the samples
// before it), skip counts it, warns once per shard, and goes on. Counts of
// skipped data ride on the next queued item, so counters advance exactly as
// the consumer advances.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "datasets/data_config.h"
#include "datasets/sample.h"
#include "datasets/shard_plan.h"
#include "datasets/stream_state.h"

namespace tessera::datasets {

// What every worker of a stream shares (owned by the stream, immutable while
// workers run).
struct WorkerShared {
  const DataConfig* config = nullptr;
  const ShardPlan* plan = nullptr;
  std::vector<std::shared_ptr<const std::string>> urls;
  ShardReaderOptions reader_options;
};

struct WorkerItem {
  enum class Kind { kSample, kEnd, kError };
  Kind kind = Kind::kSample;
  Sample sample;
  WorkerCursor after;                  // the worker's cursor once this item is taken
  std::uint64_t skipped_samples = 0;   // skipped since the previous item
  std::uint64_t skipped_shards = 0;
  std::exception_ptr error;
};

// Fills in sample.values from the sample's fields per `outputs`. Throws
// DataError for a missing field or a decoding failure.
void decode_outputs(const std::vector<FieldSpec>& outputs, Sample& sample);

class ShardWorker {
 public:
  // Starts the thread at `start` in (epoch, pass). It ends (a kEnd item)
  // when its deal of the pass is done; resampled workers never end.
  ShardWorker(const WorkerShared& shared, int worker, std::int64_t epoch, std::int64_t pass, WorkerCursor start);
  // Stops and joins the thread.
  ~ShardWorker();
  ShardWorker(const ShardWorker&) = delete;
  ShardWorker& operator=(const ShardWorker&) = delete;

  // The next item in order (waits for it). Valid until pop().
  WorkerItem& front();
  void pop();

 private:
  void run();
  void produce();
  void push(WorkerItem item, bool flush);
  void flush_chunk();

  const WorkerShared& shared_;
  int worker_;
  std::int64_t epoch_;
  std::int64_t pass_;
  WorkerCursor cursor_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<WorkerItem> queue_;       // shared with the consumer
  std::uint64_t queue_bytes_ = 0;
  std::atomic<bool> stop_ = false;  // written under mutex_

  std::vector<WorkerItem> chunk_;      // the thread's items not yet queued
  std::uint64_t chunk_bytes_ = 0;
  std::chrono::steady_clock::time_point chunk_started_;
  std::deque<WorkerItem> local_;       // the consumer's items taken from the queue

  std::thread thread_;
};

}  // namespace tessera::datasets
