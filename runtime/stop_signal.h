#pragma once

// StopSignal: stopping a job cleanly when the cluster asks for it.
//
// SIGTERM (Slurm's preemption, `scancel`, the time limit), SIGUSR1 (what
// `sbatch --signal=USR1@90` sends) and SIGINT (Ctrl-C) only set a flag; a
// second SIGINT aborts the process at once. A job calls should_stop(step) at
// every step boundary; every `check_every` steps the ranks agree with one
// tiny all-reduce whether any rank saw a signal, or whether the time-limit
// deadline has passed, so all ranks stop after the same step. The job then
// saves a checkpoint and returns; the launcher exits with kExitStopped (3).
//
//   for (std::int64_t step = first; step < total; ++step) {
//     work();
//     if (ctx.stop.should_stop(step + 1)) { save(step + 1); return; }
//   }
//
// The flag is set from the moment the launcher installs the handlers, so a
// signal during set-up or resume is seen at the first step boundary. Jobs
// that cannot agree at step boundaries (a sweep's dispatcher) may poll
// received_signal() and agree their own way. A job kind that never looks
// keeps running until it ends (or Slurm / mpirun send SIGKILL). One instance
// per process (it owns the signal handlers; the previous handlers come back
// when it is destroyed). The handlers are async-signal-safe: lock-free
// atomics and _exit() only.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "runtime/coordinator.h"

namespace tessera::runtime {

enum class StopReason : std::int64_t {
  kNone = 0,
  kTimeLimit = 1,  // the deadline before the Slurm job's end has passed
  kSignal = 2,     // some rank received SIGTERM, SIGUSR1 or SIGINT
};

struct StopOptions {
  int check_every = 1;  // steps between agreements (1: every step)
  // Stop at the first agreement after this time (from before_time_limit).
  std::optional<std::chrono::system_clock::time_point> deadline;
};

class StopSignal {
 public:
  // Installs the handlers. Throws InternalError if another StopSignal lives.
  StopSignal(Coordinator& coordinator, StopOptions options);
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  // Collective at step boundaries: every rank calls it after the same steps,
  // with the same `step`. Returns true, on every rank alike, once the ranks
  // agreed to stop (and from then on, without further collectives).
  bool should_stop(std::int64_t step);

  // The agreement so far (kNone until should_stop() returned true).
  bool stopping() const { return reason_ != StopReason::kNone; }
  StopReason reason() const { return reason_; }
  // The step after which the ranks agreed to stop (-1 before).
  std::int64_t stop_step() const { return stop_step_; }
  // The signal this rank received (0: none). Local; no collective. For jobs
  // that agree on stopping by their own messages (the sweep engine).
  int received_signal() const;
  // "SIGTERM on some rank" / "the time limit (deadline 2024-05-01 12:00:00 UTC)".
  std::string describe() const;

 private:
  Coordinator& coordinator_;
  StopOptions options_;
  StopReason reason_ = StopReason::kNone;
  std::int64_t stop_step_ = -1;
};

// "SIGTERM", "SIGUSR1", "SIGINT", or "signal N".
std::string signal_name(int signal);

}  // namespace tessera::runtime
