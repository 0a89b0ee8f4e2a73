#include "comm/watchdog.h"

#include <vector>

#include <spdlog/spdlog.h>

#include "comm/work.h"

namespace tessera::comm {

Watchdog::Watchdog(TimeoutHandler handler, std::chrono::milliseconds grace,
                   std::chrono::milliseconds tick)
    : handler_(std::move(handler)), grace_(grace), tick_(tick), thread_([this] { run(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Watchdog::watch(const std::shared_ptr<WorkState>& state) { state->watch_in(list_); }

void Watchdog::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, tick_, [this] { return stop_; });
    if (stop_) {
      break;
    }
    lock.unlock();
    scan();
    lock.lock();
  }
}

void Watchdog::scan() {
  const auto now = WorkState::Clock::now();
  std::vector<std::shared_ptr<WorkState>> overdue;
  {
    std::lock_guard lock(list_->mu);
    for (const WatchList::Entry& entry : list_->entries) {
      if (now > entry.deadline + grace_) {
        // Moved out at once: a state must never be destroyed under the lock.
        if (std::shared_ptr<WorkState> state = entry.state.lock()) {
          overdue.push_back(std::move(state));
        }
      }
    }
  }
  for (const std::shared_ptr<WorkState>& state : overdue) {
    std::optional<TimeoutError> error = state->expire();
    if (!error) {
      continue;  // finished (or reported by its waiter) meanwhile
    }
    spdlog::error("watchdog: {}", error->what());
    if (handler_) {
      handler_(*error);
    }
  }
}

}  // namespace tessera::comm
