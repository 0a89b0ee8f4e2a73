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
    for (WorkState* state = list_->head; state != nullptr; state = state->watch_next_) {
      if (now > state->deadline() + grace_) {
        // Null when the state is being destroyed (it then waits for this lock
        // to unlink itself). Kept until after the lock: a state must never be
        // destroyed under it.
        if (std::shared_ptr<WorkState> owned = state->weak_from_this().lock()) {
          overdue.push_back(std::move(owned));
        }
      }
    }
  }
  for (const std::shared_ptr<WorkState>& state : overdue) {
    std::optional<TimeoutError> error = state->expire();
    if (!error) {
      continue;  // finished (or reported by its waiter) meanwhile
    }
    if (handler_) {
      handler_(*error);  // the default logs it and ends the job
    } else {
      spdlog::error("watchdog: {}", error->what());
    }
  }
}

}  // namespace tessera::comm
