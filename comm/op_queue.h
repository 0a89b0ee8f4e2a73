#pragma once

// OpQueue: runs a communicator's operations one at a time, in issue order.
//
// A synchronous operation issued while nothing is queued or running runs on
// the caller's thread (no hand-off, so a small blocking call costs what the
// library call costs). Everything else runs on one worker thread, started on
// first use: asynchronous operations, and synchronous ones issued behind
// them. The worker is what makes asynchronous operations progress while the
// caller computes.
//
// Thread-safe. Tasks must not throw (they report through their WorkState).

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "comm/work.h"

namespace tessera::comm {

class OpQueue {
 public:
  struct Task {
    std::function<void()> run;         // must not throw
    std::shared_ptr<WorkState> state;  // failed if the task is dropped
  };

  OpQueue() = default;
  ~OpQueue() { shutdown(); }
  OpQueue(const OpQueue&) = delete;
  OpQueue& operator=(const OpQueue&) = delete;

  // Runs `task` in order: inline when `inline_ok` and the queue is idle,
  // otherwise on the worker (returns at once).
  void submit(Task task, bool inline_ok);

  // Runs `fn` (which must not throw) on the calling thread if nothing is
  // queued or running, and returns true; false (nothing run) otherwise. The
  // synchronous fast path: no task object, no allocation.
  template <class F>
  bool run_if_idle(F&& fn) {
    std::unique_lock lock(shared_->mu);
    if (shared_->busy || !shared_->tasks.empty()) {
      return false;
    }
    shared_->busy = true;
    lock.unlock();
    fn();
    lock.lock();
    shared_->busy = false;
    const bool more = !shared_->tasks.empty();
    lock.unlock();
    if (more) {
      shared_->cv.notify_all();
    }
    return true;
  }

  // For a communicator whose operations can no longer finish (a timeout left
  // the worker inside a library call): fails queued tasks' states with
  // `error`, and lets the destructor detach the worker instead of joining it.
  void abandon(const std::exception_ptr& error);

  // Runs what is queued and joins the worker; after abandon(), detaches a
  // worker that is still inside a task instead. Returns true when no task is
  // running any more (owners may then free what tasks use). Owners call it
  // before tearing down. Idempotent; submit() must not be called afterwards.
  bool shutdown();

 private:
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Task> tasks;
    bool busy = false;  // a task is running (inline or on the worker)
    bool stop = false;
    bool abandoned = false;
  };
  static void work(const std::shared_ptr<Shared>& shared);

  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
  std::thread worker_;
};

}  // namespace tessera::comm
