#pragma once

// Work: the handle every Communicator operation returns.
//
//   Work w = comm.all_reduce(grads, {.async = true});
//   ... compute ...
//   w.wait();                 // rethrows the operation's error, if any
//
// A Work is move-only and cheap. wait() blocks until the operation completes
// and rethrows its error: a CommError naming backend, op, sequence number and
// rank, or a TimeoutError when it did not finish within its timeout. It is
// equivalent to
//
//   while (!w.is_completed()) { if (past deadline) throw TimeoutError(...); }
//
// is_completed() never blocks; it returns true also when the operation
// failed (wait() then throws). Dropping a Work does not cancel or wait for the
// operation: its buffers stay in use until it completes. A default-constructed
// Work is complete. Synchronous calls (options.async == false) return a Work
// that is already complete, so `comm.barrier().wait()` reads naturally.
//
// WorkState is the completion state shared by the Work, the backend that
// completes it (possibly on another thread) and the watchdog; backends derive
// from it when completion must be polled from a library (MPI_Test,
// cudaEventQuery).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>

#include "comm/comm_health.h"
#include "comm/op.h"
#include "comm/watchdog.h"
#include "runtime/error.h"

namespace tessera::comm {

// Thrown inside a backend when an operation's deadline passes while it waits
// on its peers. The backend then leaves the operation pending: its waiter (or
// else the watchdog) expires it, so a timeout is always reported by whoever
// can act on it.
struct DeadlinePassed {};

class WorkState : public std::enable_shared_from_this<WorkState> {
 public:
  using Clock = std::chrono::steady_clock;

  // `site` and `what` name the operation in errors; `timeout` is measured from
  // now. `health` is the communicator's, poisoned when this op times out.
  WorkState(CommSite site, Fingerprint what, Timeout timeout, std::shared_ptr<CommHealth> health);
  virtual ~WorkState();
  WorkState(const WorkState&) = delete;
  WorkState& operator=(const WorkState&) = delete;

  // Backend side: the first of complete()/fail() wins, later calls are ignored.
  void complete() noexcept;
  void fail(std::exception_ptr error) noexcept;

  // Caller side (see Work).
  bool is_completed();
  void wait(std::optional<Timeout> timeout);

  // If the operation is still pending: fails it with a TimeoutError, poisons
  // the communicator (unless the backend could withdraw the operation, as MPI
  // can a pending recv), and returns that error. Used by wait() at the
  // deadline and by the watchdog.
  std::optional<TimeoutError> expire();

  const CommSite& site() const { return site_; }
  const Fingerprint& what() const { return what_; }
  Clock::time_point deadline() const { return deadline_; }
  Timeout timeout() const { return timeout_; }
  // recv from kAnySource: the sender, once complete; otherwise -1.
  int source_rank() const { return source_rank_.load(std::memory_order_acquire); }
  void set_source_rank(int rank) { source_rank_.store(rank, std::memory_order_release); }

  // Registers with a watchdog's list (once, by the front end, before the
  // operation starts).
  void watch_in(const std::shared_ptr<WatchList>& list);

 protected:
  // Polling backends override: test the library once and call complete() or
  // fail() when done. Called with the poll mutex held (one poller at a time).
  virtual void poll() {}
  virtual bool polled() const { return false; }
  // Tries to withdraw the still-pending operation (its buffers are then free
  // again and the communicator stays usable); true on success. Called with
  // the poll mutex held.
  virtual bool withdraw() noexcept { return false; }

 private:
  void finish(std::exception_ptr error) noexcept;
  void unwatch() noexcept;

  const CommSite site_;
  const Fingerprint what_;
  const Timeout timeout_;
  const Clock::time_point deadline_;
  const std::shared_ptr<CommHealth> health_;
  std::atomic<bool> done_{false};
  std::atomic<int> source_rank_{-1};
  std::mutex mu_;  // guards writing error_; waits on cv_
  std::condition_variable cv_;
  std::exception_ptr error_;  // written once, before done_ is set
  std::mutex poll_mu_;
  std::shared_ptr<WatchList> watch_list_;
  WorkState* watch_prev_ = nullptr;  // links in watch_list_, guarded by its mutex
  WorkState* watch_next_ = nullptr;
  std::atomic<bool> watched_{false};

  friend class Watchdog;
};

class [[nodiscard]] Work {
 public:
  Work() = default;
  explicit Work(std::shared_ptr<WorkState> state) : state_(std::move(state)) {}
  Work(Work&&) noexcept = default;
  Work& operator=(Work&&) noexcept = default;
  Work(const Work&) = delete;
  Work& operator=(const Work&) = delete;
  ~Work() = default;

  // Blocks until the operation completes; rethrows its error. With a timeout,
  // gives up after min(timeout, the op's own remaining time) with a
  // TimeoutError, and the operation counts as failed (its communicator is then
  // unusable). Without one, the op's own timeout applies.
  void wait(std::optional<Timeout> timeout = std::nullopt);
  // True once the operation finished, successfully or not. Never blocks.
  bool is_completed();
  // For a completed recv from kAnySource: the rank the message came from.
  // The peer rank for other recvs; -1 for other operations.
  int source_rank() const { return state_ ? state_->source_rank() : -1; }

 private:
  std::shared_ptr<WorkState> state_;
};

}  // namespace tessera::comm
