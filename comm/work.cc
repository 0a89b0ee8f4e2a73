#include "comm/work.h"

#include <thread>

#include <fmt/format.h>


namespace tessera::comm {
namespace {

std::string format_timeout(Timeout timeout) {
  if (timeout.count() % 1000 == 0) {
    return fmt::format("{} s", timeout.count() / 1000);
  }
  return fmt::format("{} ms", timeout.count());
}

}  // namespace

WorkState::WorkState(CommSite site, Fingerprint what, Timeout timeout,
                     std::shared_ptr<CommHealth> health)
    : site_(std::move(site)),
      what_(what),
      timeout_(timeout),
      deadline_(Clock::now() + timeout),
      health_(std::move(health)) {}

WorkState::~WorkState() { unwatch(); }

void WorkState::watch_in(const std::shared_ptr<WatchList>& list) {
  watch_list_ = list;
  std::lock_guard lock(list->mu);
  watch_next_ = list->head;
  if (list->head != nullptr) {
    list->head->watch_prev_ = this;
  }
  list->head = this;
  watched_.store(true, std::memory_order_release);
}

void WorkState::unwatch() noexcept {
  if (!watched_.exchange(false, std::memory_order_acq_rel)) {
    return;
  }
  std::lock_guard lock(watch_list_->mu);
  if (watch_prev_ != nullptr) {
    watch_prev_->watch_next_ = watch_next_;
  } else {
    watch_list_->head = watch_next_;
  }
  if (watch_next_ != nullptr) {
    watch_next_->watch_prev_ = watch_prev_;
  }
}

void WorkState::finish(std::exception_ptr error) noexcept {
  {
    std::lock_guard lock(mu_);
    if (done_.load(std::memory_order_relaxed)) {
      return;
    }
    error_ = std::move(error);
    done_.store(true, std::memory_order_release);
  }
  cv_.notify_all();
  unwatch();
}

void WorkState::complete() noexcept { finish(nullptr); }

void WorkState::fail(std::exception_ptr error) noexcept { finish(std::move(error)); }

bool WorkState::is_completed() {
  if (!done_.load(std::memory_order_acquire) && polled()) {
    std::unique_lock lock(poll_mu_, std::try_to_lock);
    if (lock.owns_lock() && !done_.load(std::memory_order_acquire)) {
      poll();
    }
  }
  return done_.load(std::memory_order_acquire);
}

std::optional<TimeoutError> WorkState::expire() {
  if (done_.load(std::memory_order_acquire)) {
    return std::nullopt;
  }
  std::lock_guard poll_lock(poll_mu_);
  if (done_.load(std::memory_order_acquire)) {
    return std::nullopt;
  }
  const bool withdrawn = withdraw();
  TimeoutError error(
      site_,
      fmt::format("{} did not complete within {}: {}", what_.describe(), format_timeout(timeout_),
                  withdrawn
                      ? "no matching message arrived; the operation was withdrawn"
                      : "a peer rank never reached it, reached a different collective, or died "
                        "(runtime.comm_debug: true compares what each rank calls); this "
                        "communicator is now unusable"));
  {
    std::lock_guard lock(mu_);
    if (done_.load(std::memory_order_relaxed)) {
      return std::nullopt;
    }
    error_ = std::make_exception_ptr(error);
    done_.store(true, std::memory_order_release);
  }
  cv_.notify_all();
  unwatch();
  if (!withdrawn) {
    health_->poison(error.what());
  }
  return error;
}

void WorkState::wait(std::optional<Timeout> timeout) {
  const Clock::time_point until =
      timeout ? std::min(deadline_, Clock::now() + *timeout) : deadline_;
  if (polled()) {
    // Spin briefly (small messages complete within microseconds), then back off
    // so a waiting rank does not starve the ones it waits for.
    auto pause = std::chrono::microseconds(0);
    while (!is_completed()) {
      if (Clock::now() >= until) {
        break;
      }
      if (pause.count() > 0) {
        std::this_thread::sleep_for(pause);
      }
      pause = std::min(pause + std::chrono::microseconds(pause.count() < 50 ? 1 : 50),
                       std::chrono::microseconds(1000));
    }
  } else if (!done_.load(std::memory_order_acquire)) {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, until, [this] { return done_.load(std::memory_order_acquire); });
  }
  if (!done_.load(std::memory_order_acquire)) {
    if (std::optional<TimeoutError> error = expire()) {
      throw *error;
    }
  }
  // error_ was written before done_ was set and never changes afterwards.
  if (error_) {
    std::rethrow_exception(error_);
  }
}

void Work::wait(std::optional<Timeout> timeout) {
  if (state_) {
    state_->wait(timeout);
  }
}

bool Work::is_completed() { return !state_ || state_->is_completed(); }

}  // namespace tessera::comm
