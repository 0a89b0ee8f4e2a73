#include "datasets/open_shard.h"
#include "datasets/sample_stream.h"

#include <algorithm>
#include <atomic>
#include <limits>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include <cereal/archives/binary.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "datasets/shard_reader.h"
#include "runtime/error.h"

namespace tessera::datasets {
namespace {

constexpr std::uint64_t kShuffleTag = 0x53485546ULL;  // "SHUF"

std::uint64_t fnv1a(std::uint64_t h, std::string_view bytes) {
  for (char c : bytes) {
    h = (h ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  }
  return h;
}

// Counts the samples of every shard, on up to `threads` threads.
std::vector<std::uint64_t> count_all(const std::vector<std::string>& urls, const DataConfig& config,
                                     const ShardReaderOptions& options, int threads) {
  std::vector<std::uint64_t> counts(urls.size(), 0);
  std::vector<std::exception_ptr> errors(urls.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < urls.size(); i = next++) {
      try {
        counts[i] = count_samples(urls[i], config.source, options);
      } catch (const DataError& e) {
        if (config.on_error == OnError::kRaise) {
          errors[i] = std::current_exception();
        } else {
          spdlog::warn("counting samples: {} (counted as 0; on_error: skip)", e.what());
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::min<int>(threads, static_cast<int>(urls.size())); ++t) {
    pool.emplace_back(work);
  }
  work();
  for (std::thread& t : pool) {
    t.join();
  }
  for (const std::exception_ptr& e : errors) {
    if (e) {
      std::rethrow_exception(e);
    }
  }
  return counts;
}

}  // namespace

SampleStream::SampleStream(const DataConfig& config, std::vector<std::string> urls, Place place)
    : config_(config), urls_(std::move(urls)), place_(place) {
  if (urls_.empty()) {
    throw ConfigError("a data stream needs at least one shard");
  }
  if (urls_.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw ConfigError(fmt::format("{} shards (limit 2^32 - 1)", urls_.size()));
  }
  TESSERA_CHECK(place_.world >= 1 && place_.rank >= 0 && place_.rank < place_.world, "bad place {}/{}",
                place_.rank, place_.world);

  std::vector<std::string> missing;
  for (const std::string& url : urls_) {
    std::string path = local_path(url);
    std::error_code ec;
    if (!path.empty() && !std::filesystem::is_regular_file(path, ec)) {
      missing.push_back(url);
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (std::size_t i = 0; i < std::min<std::size_t>(missing.size(), 20); ++i) {
      list += (i == 0 ? "" : ", ") + missing[i];
    }
    if (missing.size() > 20) {
      list += fmt::format(", and {} more", missing.size() - 20);
    }
    std::string what = fmt::format("{} of {} shards missing: {}", missing.size(), urls_.size(), list);
    if (config_.on_error == OnError::kRaise) {
      throw DataError(missing.front(), "", 0, what);
    }
    spdlog::warn("{} (they will be skipped; on_error: skip)", what);
  }

  plan_ = std::make_unique<ShardPlan>(static_cast<std::uint32_t>(urls_.size()), place_, config_.workers,
                                      config_.shard_shuffle, config_.resampled, config_.split);
  shared_.config = &config_;
  shared_.plan = plan_.get();
  shared_.reader_options = ShardReaderOptions{.case_sensitive = config_.case_sensitive, .strict = config_.strict};
  shards_hash_ = 0xcbf29ce484222325ULL;
  for (const std::string& url : urls_) {
    shared_.urls.push_back(std::make_shared<const std::string>(url));
    shards_hash_ = fnv1a(shards_hash_, url);
    shards_hash_ = fnv1a(shards_hash_, std::string_view("\0", 1));
  }

  const bool limited_by_counts = place_.world > 1 && config_.equalize != Equalize::kNone &&
                                 config_.epoch.samples_per_rank == 0 && !config_.resampled;
  if (limited_by_counts) {
    counts_ = count_all(urls_, config_, shared_.reader_options, config_.workers);
  }
}

SampleStream::~SampleStream() { stop_workers(); }

void SampleStream::stop_workers() { workers_.clear(); }

void SampleStream::start_workers() {
  stop_workers();
  for (int w = 0; w < config_.workers; ++w) {
    workers_.push_back(cursors_[static_cast<std::size_t>(w)].exhausted
                           ? nullptr
                           : std::make_unique<ShardWorker>(shared_, w, epoch_, pass_, cursors_[static_cast<std::size_t>(w)]));
  }
}

void SampleStream::compute_limit() {
  limit_ = 0;
  wrap_ = false;
  if (config_.epoch.samples_per_rank > 0) {
    limit_ = static_cast<std::uint64_t>(config_.epoch.samples_per_rank);
    wrap_ = true;
    return;
  }
  if (place_.world == 1 || config_.equalize == Equalize::kNone) {
    return;
  }
  std::uint64_t low = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t high = 0;
  int empty_rank = -1;
  for (int r = 0; r < place_.world; ++r) {
    std::uint64_t n = plan_->rank_samples(epoch_, r, counts_);
    low = std::min(low, n);
    high = std::max(high, n);
    if (n == 0 && empty_rank < 0) {
      empty_rank = r;
    }
  }
  limit_ = config_.equalize == Equalize::kDrop ? low : high;
  wrap_ = true;
  if (limit_ == 0 || empty_rank >= 0) {
    throw ConfigError(fmt::format(
        "data: rank {} of {} gets no samples in epoch {} ({} shards, split {}); use more shards, "
        "split: sample, or epoch.samples_per_rank",
        empty_rank, place_.world, epoch_, urls_.size(), plan_->split_by_sample() ? "by sample" : "by shard"));
  }
  if (high > low) {
    spdlog::debug("data: epoch {}: rank shares {}..{} samples, every rank takes {} (equalize {})", epoch_, low,
                  high, limit_, config_.equalize == Equalize::kDrop ? "drop" : "pad");
  }
}

std::optional<std::uint64_t> SampleStream::samples_per_epoch() const {
  if (config_.epoch.samples_per_rank > 0) {
    return static_cast<std::uint64_t>(config_.epoch.samples_per_rank);
  }
  if (limit_ > 0) {
    return limit_;
  }
  if (!counts_.empty() && !config_.resampled) {
    return plan_->rank_samples(std::max<std::int64_t>(epoch_, 0), place_.rank, counts_);
  }
  return std::nullopt;
}

void SampleStream::start_epoch(std::int64_t epoch) {
  stop_workers();
  epoch_ = epoch;
  failed_ = false;
  taken_ = 0;
  pass_ = 0;
  pass_taken_ = 0;
  next_worker_ = 0;
  merge_done_ = false;
  shuffle_started_ = false;
  buffer_.clear();
  buffer_bytes_ = 0;
  rng_ = runtime::Rng(runtime::derive_seed(place_.seed, {kShuffleTag, static_cast<std::uint64_t>(epoch),
                                       static_cast<std::uint64_t>(place_.rank)}));
  compute_limit();
  cursors_.assign(static_cast<std::size_t>(config_.workers), WorkerCursor{});
  running_ = true;
  start_workers();
}

bool SampleStream::take(Sample& sample) {
  if (merge_done_) {
    return false;
  }
  if (limit_ > 0 && taken_ >= limit_) {
    merge_done_ = true;
    stop_workers();
    return false;
  }
  const auto k = static_cast<std::uint32_t>(workers_.size());
  for (;;) {
    // The next reader in turn that has not finished.
    std::uint32_t w = k;
    for (std::uint32_t i = 0; i < k; ++i) {
      const std::uint32_t candidate = (next_worker_ + i) % k;
      if (workers_[candidate]) {
        w = candidate;
        break;
      }
    }
    if (w == k) {
      // Every reader is done with this pass: wrap around if the epoch needs more.
      if (!wrap_ || (limit_ > 0 && taken_ >= limit_) || pass_taken_ == 0) {
        break;
      }
      ++pass_;
      pass_taken_ = 0;
      ++stats_.wrapped_passes;
      cursors_.assign(static_cast<std::size_t>(config_.workers), WorkerCursor{});
      next_worker_ = 0;
      start_workers();
      continue;
    }
    WorkerItem& item = workers_[w]->front();
    stats_.skipped_samples += item.skipped_samples;
    stats_.skipped_shards += item.skipped_shards;
    cursors_[w] = item.after;
    next_worker_ = (w + 1) % k;
    if (item.kind == WorkerItem::Kind::kError) {
      failed_ = true;
      std::exception_ptr error = item.error;
      stop_workers();
      std::rethrow_exception(error);
    }
    if (item.kind == WorkerItem::Kind::kEnd) {
      workers_[w].reset();
      continue;
    }
    sample = std::move(item.sample);
    workers_[w]->pop();
    ++taken_;
    ++pass_taken_;
    ++stats_.samples;
    stats_.bytes += sample.bytes();
    return true;
  }
  merge_done_ = true;
  stop_workers();
  if (limit_ > 0 && taken_ < limit_) {
    failed_ = true;
    throw DataError(urls_.front(), "", 0,
                    fmt::format("rank {} found only {} readable samples in epoch {}, {} needed (every pass of its "
                                "shards was empty or bad)",
                                place_.rank, taken_, epoch_, limit_));
  }
  return false;
}

bool SampleStream::next(Sample& sample) {
  if (failed_) {
    throw Error("the data stream failed earlier; restart it with start_epoch() or restore_state()");
  }
  if (!running_) {
    return false;
  }
  if (config_.shuffle == 0) {
    if (take(sample)) {
      return true;
    }
    running_ = false;
    return false;
  }
  const auto capacity = static_cast<std::size_t>(config_.shuffle);
  auto add = [&]() {
    if (!buffer_.empty() && buffer_bytes_ >= config_.shuffle_bytes) {
      return false;
    }
    Sample s;
    if (!take(s)) {
      return false;
    }
    buffer_bytes_ += s.bytes();
    buffer_.push_back(std::move(s));
    return true;
  };
  if (!shuffle_started_) {
    const auto initial = config_.shuffle_initial > 0 ? static_cast<std::size_t>(config_.shuffle_initial) : capacity;
    while (buffer_.size() < initial && add()) {
    }
    shuffle_started_ = true;
  } else {
    for (int i = 0; i < 2 && buffer_.size() < capacity && add(); ++i) {
    }
  }
  if (buffer_.empty()) {
    running_ = false;
    return false;
  }
  const std::size_t pick = rng_.below(buffer_.size());
  std::swap(buffer_[pick], buffer_.back());
  sample = std::move(buffer_.back());
  buffer_.pop_back();
  buffer_bytes_ -= sample.bytes();
  return true;
}

std::uint64_t SampleStream::settings_hash() const {
  std::string s = fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", config_.shuffle, config_.shuffle_initial,
                              config_.shuffle_bytes, config_.shard_shuffle, config_.resampled,
                              config_.epoch.samples_per_rank, static_cast<int>(config_.equalize),
                              static_cast<int>(config_.split), config_.strict, config_.case_sensitive,
                              static_cast<int>(config_.on_error));
  for (const FieldSpec& f : config_.outputs) {
    s += "|" + f.name;
    for (const std::string& e : f.exts) {
      s += ";" + e;
    }
  }
  return fnv1a(0xcbf29ce484222325ULL, s);
}

std::string SampleStream::save_state() const {
  TESSERA_CHECK(!failed_, "save_state() on a failed data stream");
  StreamState st;
  st.shards_hash = shards_hash_;
  st.shards = static_cast<std::uint32_t>(urls_.size());
  st.rank = place_.rank;
  st.world = place_.world;
  st.workers = config_.workers;
  st.seed = place_.seed;
  st.settings_hash = settings_hash();
  st.epoch = epoch_;
  st.running = running_;
  st.limit = limit_;
  st.wrap = wrap_;
  st.pass = pass_;
  st.pass_taken = pass_taken_;
  st.taken = taken_;
  st.next_worker = next_worker_;
  st.merge_done = merge_done_;
  st.shuffle_started = shuffle_started_;
  st.rng = rng_.state();
  st.cursors = cursors_;
  st.buffer.reserve(buffer_.size());
  for (const Sample& s : buffer_) {
    st.buffer.push_back(s.location);
  }
  st.stats = stats_;
  std::ostringstream out;
  {
    cereal::BinaryOutputArchive archive(out);
    archive(st);
  }
  return std::move(out).str();
}

std::vector<Sample> SampleStream::reread(const std::vector<SampleLocation>& locations) const {
  std::vector<Sample> out(locations.size());
  // Group by shard, read each shard forward once from its first wanted sample.
  std::map<std::uint32_t, std::vector<std::size_t>> by_shard;
  for (std::size_t i = 0; i < locations.size(); ++i) {
    if (locations[i].shard >= urls_.size()) {
      throw CheckpointError("", fmt::format("data state names shard {} of {}", locations[i].shard, urls_.size()));
    }
    by_shard[locations[i].shard].push_back(i);
  }
  for (auto& [shard, slots] : by_shard) {
    std::sort(slots.begin(), slots.end(), [&](std::size_t a, std::size_t b) {
      return locations[a].offset < locations[b].offset;
    });
    std::unique_ptr<ShardReader> reader;
    Sample s;
    for (std::size_t slot : slots) {
      const SampleLocation& want = locations[slot];
      if (!reader || reader->position().offset > want.offset) {
        // First sample of this shard, or the same sample twice (a pass repeats it).
        reader = open_shard_reader(shared_.urls[shard], shard, config_.source, shared_.reader_options,
                                   ShardPosition{want.offset, want.ordinal, {}});
      }
      for (;;) {
        const bool wanted_next = reader->position().offset == want.offset;
        if (!reader->next(s, wanted_next)) {
          throw DataError(urls_[shard], "", want.offset, "shard ended before a sample of the saved shuffle buffer");
        }
        if (wanted_next) {
          break;
        }
      }
      if (s.location.ordinal != want.ordinal) {
        throw DataError(urls_[shard], s.key, want.offset,
                        fmt::format("sample index {} where the saved state has {}: the shard changed since the "
                                    "checkpoint",
                                    s.location.ordinal, want.ordinal));
      }
      decode_outputs(config_.outputs, s);
      out[slot] = std::move(s);
      s = Sample{};
    }
  }
  return out;
}

void SampleStream::restore_state(std::string_view state) {
  StreamState st;
  try {
    std::istringstream in{std::string(state)};
    cereal::BinaryInputArchive archive(in);
    archive(st);
  } catch (const std::exception& e) {
    throw CheckpointError("", fmt::format("unreadable data loader state ({} bytes): {}", state.size(), e.what()));
  }
  if (st.magic != StreamState::kMagic) {
    throw CheckpointError("", "the blob is not a data loader state");
  }
  auto refuse = [](const std::string& what) {
    throw CheckpointError("", "the data loader state was saved " + what + "; resume with the same data config");
  };
  if (st.shards != urls_.size() || st.shards_hash != shards_hash_) {
    refuse(fmt::format("for other shards ({} then, {} now)", st.shards, urls_.size()));
  }
  if (st.world != place_.world || st.rank != place_.rank) {
    refuse(fmt::format("on rank {} of {} (this is rank {} of {})", st.rank, st.world, place_.rank, place_.world));
  }
  if (st.workers != config_.workers) {
    refuse(fmt::format("with {} workers ({} now)", st.workers, config_.workers));
  }
  if (st.seed != place_.seed) {
    refuse(fmt::format("with seed {} ({} now)", st.seed, place_.seed));
  }
  if (st.settings_hash != settings_hash()) {
    refuse("with other shuffle/split/equalize/fields settings");
  }
  if (st.cursors.size() != static_cast<std::size_t>(config_.workers) || st.next_worker >= st.cursors.size()) {
    throw CheckpointError("", "inconsistent data loader state");
  }
  stop_workers();
  epoch_ = st.epoch;
  running_ = st.running;
  failed_ = false;
  limit_ = st.limit;
  wrap_ = st.wrap;
  pass_ = st.pass;
  pass_taken_ = st.pass_taken;
  taken_ = st.taken;
  next_worker_ = st.next_worker;
  merge_done_ = st.merge_done;
  shuffle_started_ = st.shuffle_started;
  rng_.set_state(st.rng);
  cursors_ = st.cursors;
  stats_ = st.stats;
  buffer_ = reread(st.buffer);
  buffer_bytes_ = 0;
  for (const Sample& s : buffer_) {
    buffer_bytes_ += s.bytes();
  }
  if (running_ && !merge_done_) {
    start_workers();
  }
}

}  // namespace tessera::datasets
