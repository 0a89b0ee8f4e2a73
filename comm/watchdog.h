#pragma once

// Watchdog: turns operations that never finish into errors that end the job.
//
// Every operation a Communicator starts is watched. A waiter sees its own
// operation's deadline pass and gets a TimeoutError from Work::wait(); the
// watchdog covers the rest: a thread that is stuck inside a blocking library
// call, or asynchronous work nobody waits on. When an operation is still
// pending `grace` after its deadline, the watchdog fails it with a
// TimeoutError naming backend, op, sequence number, element count and rank,
// poisons its communicator, and calls the timeout handler, whose default
// (comm_config.h) logs the error and ends every rank of the job.
//
// One watchdog thread serves a communicator and every sub-communicator split
// from it. It wakes every `tick` and holds its list lock only while scanning.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "comm/comm_config.h"

namespace tessera::comm {

class WorkState;

// The operations one watchdog watches. Shared by the watchdog and the
// operations, so either may go first.
// An intrusive list through the states themselves (no allocation per op);
// a state unlinks itself when it finishes or is destroyed.
class WatchList {
 public:
  std::mutex mu;
  WorkState* head = nullptr;
};

class Watchdog {
 public:
  explicit Watchdog(TimeoutHandler handler,
                    std::chrono::milliseconds grace = std::chrono::seconds(1),
                    std::chrono::milliseconds tick = std::chrono::milliseconds(50));
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void watch(const std::shared_ptr<WorkState>& state);

 private:
  void run();
  void scan();

  TimeoutHandler handler_;
  std::chrono::milliseconds grace_;
  std::chrono::milliseconds tick_;
  std::shared_ptr<WatchList> list_ = std::make_shared<WatchList>();
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace tessera::comm
