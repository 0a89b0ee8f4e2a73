#pragma once

// CommHealth: whether a communicator can still be used.
//
// Shared by a communicator, its pending operations and the watchdog. Once an
// operation has timed out (or a peer has failed) the ranks no longer agree on
// where they are in the collective sequence, so the communicator refuses every
// later operation with an error that names the first failure. Backends that
// can interrupt their library (NCCL's ncclCommAbort) or tell their peers
// (the local backend aborts its in-process world) install an abort hook,
// called once, with the reason, on the first failure.

#include <atomic>
#include <functional>
#include <mutex>
#include <string>

namespace tessera::comm {

class CommHealth {
 public:
  // True until poison() is called.
  bool ok() const { return healthy_.load(std::memory_order_acquire); }
  // The first failure's description ("" while healthy).
  std::string reason() const {
    std::lock_guard lock(mu_);
    return reason_;
  }
  // Records the first failure and runs the abort hook once. Later calls keep
  // the first reason.
  void poison(std::string reason) noexcept;
  void set_abort_hook(std::function<void(const std::string& reason)> hook) {
    std::lock_guard lock(mu_);
    abort_hook_ = std::move(hook);
  }

 private:
  std::atomic<bool> healthy_{true};
  mutable std::mutex mu_;
  std::string reason_;
  std::function<void(const std::string&)> abort_hook_;
};

}  // namespace tessera::comm
