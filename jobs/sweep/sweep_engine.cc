#include "jobs/sweep/sweep_engine.h"

#include <time.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "jobs/sweep/byte_stream.h"
#include "jobs/sweep/grid.h"
#include "jobs/sweep/results_file.h"
#include "jobs/sweep/results_journal.h"
#include "jobs/sweep/sweep_channel.h"
#include "jobs/sweep/sweep_state.h"
#include "runtime/error.h"
#include "runtime/progress.h"
#include "runtime/run_dir.h"

namespace tessera::jobs::sweep {
namespace {

using Clock = std::chrono::steady_clock;
using detail::SweepChannel;

struct ToMaster {
  bool has_result = false;
  std::size_t task = 0;
  std::int64_t chunk = 0;
  ChunkResult result;
  bool stop = false;  // the worker's rank received a stop signal
};

struct ToWorker {
  bool done = false;
  std::size_t task = 0;
  Chunk chunk;
};

std::string encode(const ToMaster& m) {
  detail::ByteWriter w;
  w.u64(m.has_result ? 1 : 0);
  w.u64(m.stop ? 1 : 0);
  if (m.has_result) {
    w.u64(m.task);
    w.i64(m.chunk);
    w.result(m.result);
  }
  return std::move(w.bytes());
}

ToMaster decode_to_master(std::string_view bytes) {
  detail::ByteReader r(bytes);
  ToMaster m;
  m.has_result = r.u64() != 0;
  m.stop = r.u64() != 0;
  if (m.has_result) {
    m.task = r.u64();
    m.chunk = r.i64();
    m.result = r.result();
  }
  return m;
}

std::string encode(const ToWorker& m) {
  detail::ByteWriter w;
  w.u64(m.done ? 1 : 0);
  w.u64(m.task);
  w.i64(m.chunk.index);
  w.i64(m.chunk.shots);
  w.u64(m.chunk.seed);
  return std::move(w.bytes());
}

ToWorker decode_to_worker(std::string_view bytes) {
  detail::ByteReader r(bytes);
  ToWorker m;
  m.done = r.u64() != 0;
  m.task = r.u64();
  m.chunk.index = r.i64();
  m.chunk.shots = r.i64();
  m.chunk.seed = r.u64();
  return m;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

ChunkResult run_one(SweepKernel& kernel, const Task& task, const Chunk& chunk) {
  const double start = thread_cpu_seconds();
  ChunkResult r = kernel.run_chunk(task, chunk);
  r.counts.seconds = thread_cpu_seconds() - start;
  return r;
}

// Between the dispatcher (rank 0's main thread) and rank 0's worker thread.
class LocalLink {
 public:
  void to_master(ToMaster m) {
    std::lock_guard lock(mutex_);
    up_.push_back(std::move(m));
  }
  std::optional<ToMaster> poll_master() {
    std::lock_guard lock(mutex_);
    if (up_.empty()) {
      return std::nullopt;
    }
    ToMaster m = std::move(up_.front());
    up_.pop_front();
    return m;
  }
  void to_worker(ToWorker m) {
    {
      std::lock_guard lock(mutex_);
      down_.push_back(m);
    }
    cv_.notify_one();
  }
  // nullopt once closed.
  std::optional<ToWorker> wait_worker() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return closed_ || !down_.empty(); });
    if (down_.empty()) {
      return std::nullopt;
    }
    ToWorker m = down_.front();
    down_.pop_front();
    return m;
  }
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    cv_.notify_all();
  }
  void fail(std::exception_ptr e) {
    std::lock_guard lock(mutex_);
    error_ = e;
  }
  std::exception_ptr error() {
    std::lock_guard lock(mutex_);
    return error_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<ToMaster> up_;
  std::deque<ToWorker> down_;
  bool closed_ = false;
  std::exception_ptr error_;
};

std::optional<Clock::time_point> time_limit(const runtime::JobContext& ctx) {
  const auto margin = ctx.spec.checkpoint.before_time_limit;
  if (margin.count() <= 0 || ctx.launch.job_end_time <= 0) {
    return std::nullopt;
  }
  const auto end = std::chrono::system_clock::time_point(std::chrono::seconds(ctx.launch.job_end_time));
  const auto left = end - std::chrono::system_clock::now() - std::chrono::duration_cast<std::chrono::seconds>(margin);
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(left);
}

std::vector<TaskRecord> load_previous(const runtime::JobContext& ctx, bool* had_file) {
  const auto path = ctx.run_dir.results_file();
  *had_file = std::filesystem::exists(path);
  if (!*had_file) {
    return {};
  }
  ResultsMetadata meta;
  std::vector<TaskRecord> records = read_results(path, &meta);
  if (meta.job != ctx.spec.job) {
    throw ConfigError(fmt::format("{} holds a '{}' sweep, not '{}': use another output.dir or resume: never",
                                  path.string(), meta.job, ctx.spec.job));
  }
  return records;
}

class Dispatcher {
 public:
  Dispatcher(const SweepConfig& config, SweepKernel& kernel, runtime::JobContext& ctx, const std::vector<Task>& tasks,
             SweepChannel& channel)
      : config_(config), kernel_(kernel), ctx_(ctx), channel_(channel), results_(ctx.run_dir.results_file()),
        journal_path_(ctx.run_dir.root() / "results.journal") {
    const std::string& resume = ctx.spec.checkpoint.resume;
    if (resume == "never") {
      const std::string stamp = std::to_string(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()));
      for (const auto& p : {results_, journal_path_}) {
        if (std::filesystem::exists(p)) {
          std::filesystem::path old = p;
          old += "." + stamp + ".old";
          std::filesystem::rename(p, old);
          spdlog::info("checkpoint.resume = never: moved {} aside to {}", p.filename().string(),
                       old.filename().string());
        }
      }
    }
    bool had_file = false;
    std::vector<TaskRecord> previous = load_previous(ctx, &had_file);
    state_.emplace(tasks, std::move(previous), ctx.spec.seed);
    const std::size_t replayed = ResultsJournal::replay(journal_path_, [this](const std::string& id, std::int64_t c,
                                                                              ChunkResult r) {
      state_->replay(id, c, std::move(r));
    });
    if (had_file || replayed > 0) {
      spdlog::info("sweep: resuming from {} ({} journaled chunks replayed): {}/{} tasks finished",
                   results_.filename().string(), replayed, state_->finished_tasks(), tasks.size());
    }
    snapshot();  // holds everything the journal had, so it can start empty
    journal_.emplace(journal_path_);
    journal_->clear();
  }

  // Collective kernels: every rank runs each chunk together, in order; the
  // other ranks only report stop signals back.
  std::vector<TaskRecord> run_collective(bool* stopped) {
    bool stopping = false;
    const auto deadline = time_limit(ctx_);
    runtime::Progress progress("tasks", static_cast<std::int64_t>(state_->tasks().size()),
                               ctx_.spec.runtime.progress_every, true);
    auto last_flush = Clock::now();
    for (;;) {
      if (!stopping && (ctx_.stop.received_signal() != 0 || (deadline && Clock::now() >= *deadline))) {
        stopping = true;
        spdlog::info("sweep: {}; stopping after this chunk",
                     ctx_.stop.received_signal() != 0 ? "stop signal received" : "time limit reached");
      }
      ToWorker order;
      std::optional<Assignment> next = stopping ? std::nullopt : state_->next();
      order.done = !next.has_value();
      if (next) {
        order.task = next->task;
        order.chunk = next->chunk;
      }
      for (int worker = 1; worker < channel_.size(); ++worker) {
        channel_.send(worker, SweepChannel::kToWorker, encode(order));
      }
      if (order.done) {
        break;
      }
      ChunkResult result = run_one(kernel_, state_->tasks()[order.task], order.chunk);
      if (state_->complete(order.task, order.chunk.index, result)) {
        journal_->append(state_->tasks()[order.task].id, order.chunk.index, result);
      }
      for (int worker = 1; worker < channel_.size(); ++worker) {
        if (decode_to_master(channel_.recv(worker, SweepChannel::kToMaster)).stop && !stopping) {
          stopping = true;
          spdlog::info("sweep: rank {} received a stop signal; stopping", worker);
        }
      }
      if (Clock::now() - last_flush >= config_.flush_every) {
        snapshot();
        journal_->clear();
        last_flush = Clock::now();
      }
      progress.update(static_cast<std::int64_t>(state_->finished_tasks()));
    }
    snapshot();
    journal_->clear();
    progress.finish(static_cast<std::int64_t>(state_->finished_tasks()));
    *stopped = stopping && !state_->all_finished();
    return state_->records();
  }

  std::vector<TaskRecord> run(bool* stopped) {
    const int workers = channel_.size();
    int may_send = workers - 1;  // remote workers that will send before they hear from us
    std::deque<int> idle;
    int finished_workers = 0;
    bool stopping = false;
    const auto deadline = time_limit(ctx_);
    runtime::Progress progress("tasks", static_cast<std::int64_t>(state_->tasks().size()),
                               ctx_.spec.runtime.progress_every, true);
    const Counts at_start = state_->grid_counts();
    const auto start = Clock::now();
    auto last_flush = start;

    std::jthread local([this] { local_worker(); });
    auto handle = [&](int worker, ToMaster m) {
      if (m.has_result && state_->complete(m.task, m.chunk, m.result)) {
        journal_->append(state_->tasks()[m.task].id, m.chunk, m.result);
      }
      if (m.stop && !stopping) {
        stopping = true;
        spdlog::info("sweep: rank {} received a stop signal; finishing the chunks in flight", worker);
      }
      idle.push_back(worker);
    };
    while (finished_workers < workers) {
      bool busy = false;
      while (auto m = link_.poll_master()) {
        handle(0, std::move(*m));
        busy = true;
      }
      while (auto m = channel_.try_recv(SweepChannel::kToMaster, may_send > 0)) {
        --may_send;
        handle(m->first, decode_to_master(m->second));
        busy = true;
      }
      if (auto e = link_.error()) {
        std::rethrow_exception(e);
      }
      if (!stopping && (ctx_.stop.received_signal() != 0 || (deadline && Clock::now() >= *deadline))) {
        stopping = true;
        spdlog::info("sweep: {}; finishing the chunks in flight",
                     ctx_.stop.received_signal() != 0 ? "stop signal received" : "time limit reached");
      }
      while (!idle.empty()) {
        const int worker = idle.front();
        ToWorker reply;
        if (stopping || state_->all_finished()) {
          reply.done = true;
          ++finished_workers;
        } else if (auto a = state_->next()) {
          reply.task = a->task;
          reply.chunk = a->chunk;
        } else {
          break;  // wait for results
        }
        idle.pop_front();
        if (worker == 0) {
          link_.to_worker(reply);
        } else {
          may_send += reply.done ? 0 : 1;
          channel_.send(worker, SweepChannel::kToWorker, encode(reply));
        }
        busy = true;
      }
      const auto now = Clock::now();
      if (now - last_flush >= config_.flush_every) {
        snapshot();
        journal_->clear();
        last_flush = now;
      }
      const Counts c = state_->grid_counts();
      const double elapsed = std::chrono::duration<double>(now - start).count();
      progress.update(static_cast<std::int64_t>(state_->finished_tasks()),
                      fmt::format("shots {} ({:.3g}/s) | errors {} | chunks running {}", c.shots,
                                  elapsed > 0 ? static_cast<double>(c.shots - at_start.shots) / elapsed : 0.0,
                                  c.errors, state_->in_flight()));
      if (!busy) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    }
    link_.close();
    local.join();
    if (auto e = link_.error()) {
      std::rethrow_exception(e);
    }
    snapshot();
    journal_->clear();
    const Counts c = state_->grid_counts();
    progress.finish(static_cast<std::int64_t>(state_->finished_tasks()),
                    fmt::format("shots {} | errors {}", c.shots, c.errors));
    *stopped = stopping && !state_->all_finished();
    return state_->records();
  }

 private:
  void local_worker() {
    try {
      link_.to_master(ToMaster{});
      while (auto m = link_.wait_worker()) {
        if (m->done) {
          return;
        }
        ToMaster up;
        up.has_result = true;
        up.task = m->task;
        up.chunk = m->chunk.index;
        up.result = run_one(kernel_, state_->tasks()[m->task], m->chunk);
        link_.to_master(std::move(up));
      }
    } catch (...) {
      link_.fail(std::current_exception());
    }
  }

  void snapshot() {
    const std::vector<TaskRecord> records = state_->records();
    write_results(results_, records, ResultsMetadata{ctx_.spec.job, ctx_.spec.job.empty() ? "" : config_yaml()});
    runtime::write_file_atomically(ctx_.run_dir.root() / "results.csv", results_csv(records));
    const Counts c = state_->grid_counts();
    ++snapshots_;
    ctx_.metrics.append(snapshots_, "sweep/shots", static_cast<double>(c.shots));
    ctx_.metrics.append(snapshots_, "sweep/errors", static_cast<double>(c.errors));
    ctx_.metrics.append(snapshots_, "sweep/tasks_finished", static_cast<double>(state_->finished_tasks()));
  }

  std::string config_yaml() const {
    std::error_code ec;
    if (!std::filesystem::exists(ctx_.run_dir.config_file(), ec)) {
      return {};
    }
    std::ifstream in(ctx_.run_dir.config_file());
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  const SweepConfig& config_;
  SweepKernel& kernel_;
  runtime::JobContext& ctx_;
  SweepChannel& channel_;
  std::filesystem::path results_;
  std::filesystem::path journal_path_;
  std::optional<SweepState> state_;
  std::optional<ResultsJournal> journal_;
  LocalLink link_;
  std::int64_t snapshots_ = 0;
};

void remote_worker(SweepKernel& kernel, const std::vector<Task>& tasks, SweepChannel& channel,
                   const runtime::JobContext& ctx) {
  channel.send(0, SweepChannel::kToMaster, encode(ToMaster{}));
  for (;;) {
    const ToWorker m = decode_to_worker(channel.recv(0, SweepChannel::kToWorker));
    if (m.done) {
      return;
    }
    TESSERA_CHECK(m.task < tasks.size(), "task {} of {}", m.task, tasks.size());
    ToMaster up;
    up.has_result = true;
    up.task = m.task;
    up.chunk = m.chunk.index;
    up.result = run_one(kernel, tasks[m.task], m.chunk);
    up.stop = ctx.stop.received_signal() != 0;
    channel.send(0, SweepChannel::kToMaster, encode(up));
  }
}

// A collective kernel's ranks other than 0: run what rank 0 runs.
void collective_worker(SweepKernel& kernel, const std::vector<Task>& tasks, SweepChannel& channel,
                       const runtime::JobContext& ctx) {
  for (;;) {
    const ToWorker m = decode_to_worker(channel.recv(0, SweepChannel::kToWorker));
    if (m.done) {
      return;
    }
    TESSERA_CHECK(m.task < tasks.size(), "task {} of {}", m.task, tasks.size());
    (void)run_one(kernel, tasks[m.task], m.chunk);
    ToMaster up;
    up.stop = ctx.stop.received_signal() != 0;
    channel.send(0, SweepChannel::kToMaster, encode(up));
  }
}

}  // namespace

SweepEngine::SweepEngine(const SweepConfig& config, SweepKernel& kernel, runtime::JobContext& context)
    : config_(config), kernel_(kernel), context_(context) {
  std::unordered_map<std::string, std::size_t> seen;
  for (const GridPoint& point : expand_grid(config.grid)) {
    Task t;
    t.index = tasks_.size();
    try {
      t.description = kernel.describe(point.params);
    } catch (const ConfigError& e) {
      throw ConfigError(fmt::format("sweep.grid{}: point {}: {}",
                                    point.line > 0 ? fmt::format(" (line {})", point.line) : "",
                                    point.params.dump(), e.what()));
    }
    t.id = strong_id(context.spec.job, t.description.params);
    t.limits = kernel.limits(t.description, config.limits());
    auto [it, inserted] = seen.emplace(t.id, t.index);
    if (!inserted) {
      throw ConfigError(fmt::format("sweep.grid: points {} and {} are the same task ({})",
                                    tasks_[it->second].description.params.dump(), t.description.params.dump(),
                                    t.id));
    }
    tasks_.push_back(std::move(t));
  }
}

std::vector<TaskRecord> SweepEngine::run() {
  detail::SweepChannel channel(context_);  // collective
  std::vector<TaskRecord> records;
  bool stopped = false;
  if (channel.rank() == 0) {
    spdlog::info("sweep: {} tasks over {} rank{}{}", tasks_.size(), channel.size(), channel.size() == 1 ? "" : "s",
                 kernel_.collective() ? ", each task on all of them" : "");
    Dispatcher dispatcher(config_, kernel_, context_, tasks_, channel);
    records = kernel_.collective() ? dispatcher.run_collective(&stopped) : dispatcher.run(&stopped);
  } else if (kernel_.collective()) {
    collective_worker(kernel_, tasks_, channel, context_);
  } else {
    remote_worker(kernel_, tasks_, channel, context_);
  }
  // Every rank agrees whether the sweep was stopped (a signal anywhere, or
  // rank 0 stopped early); a stopped sweep leaves a marker checkpoint so the
  // launcher reports the stop (exit code 3) and requeues if asked.
  const std::int64_t step = std::max(1, context_.spec.checkpoint.stop_check_every);
  const bool any_stopped = context_.coordinator.all_reduce_max(stopped ? 1 : 0) != 0;
  if (context_.stop.should_stop(step) || any_stopped) {
    stopped_ = true;
    runtime::CheckpointState marker(step);
    marker.set_metadata("sweep", "stopped; the results are in results.h5, which the next run continues");
    context_.checkpoints.save(std::move(marker));
  }
  return records;
}

}  // namespace tessera::jobs::sweep
