#pragma once

// CommConfig: what every communicator of a job shares, from the runtime
// section of the job's YAML (runtime.comm_timeout, runtime.comm_debug).

#include <chrono>
#include <functional>

#include "runtime/error.h"

namespace tessera::comm {

// Called by the watchdog when an operation is stuck past its timeout and
// nobody surfaced the error. It runs on the watchdog thread.
using TimeoutHandler = std::function<void(const TimeoutError&)>;

// Logs the error on this rank and ends every rank of the job at once
// (MPI_Abort under MPI, else exit): a stuck collective cannot be unwound.
void end_job_on_timeout(const TimeoutError& error);

struct CommConfig {
  // Every operation gives up after this unless its options say otherwise.
  std::chrono::milliseconds timeout = std::chrono::minutes(10);
  // Before each collective, ranks compare what they are about to call
  // (op, dtype, count, root, sequence number) and fail with an error naming
  // the ranks that disagree instead of hanging or mixing up data.
  bool debug = false;
  // What the watchdog does with a stuck operation.
  TimeoutHandler on_timeout = end_job_on_timeout;
  // How long past its deadline the watchdog lets an operation's waiter report
  // the timeout itself before stepping in.
  std::chrono::milliseconds watchdog_grace = std::chrono::seconds(1);
};

}  // namespace tessera::comm
