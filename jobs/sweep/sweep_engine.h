#pragma once

// SweepEngine: runs a parameter sweep over every rank of a job, resumably.
//
//   void MyJob::run(runtime::JobContext& ctx) {
//     MyKernel kernel(config_);                       // on every rank
//     sweep::SweepEngine engine(config_.sweep, kernel, ctx);
//     std::vector<sweep::TaskRecord> results = engine.run();   // collective
//     if (ctx.launch.rank == 0) { analyse(results); }           // grid tasks first
//   }
//
// What it does:
//  - Expands sweep.grid (grid.h); the kernel's describe() turns each point
//    into a task with a strong id (hash of the canonical parameters) and
//    limits() gives its budget. Two points describing the same task are a
//    ConfigError.
//  - Rank 0 runs the dispatcher on its main thread and a worker on a second
//    thread; every other rank is a worker. Workers ask for a chunk, run it
//    (kernel.run_chunk), send the result back and get the next, so fast and
//    slow tasks balance. Chunk sizes and seeds are fixed per task
//    (sweep_state.h), so counts do not depend on the number of ranks.
//  - Durability: results.h5 in the run directory is the sweep's state. Every
//    finished chunk is appended to results.journal at once; every
//    sweep.flush_every (and at the end) results.h5 is rewritten atomically
//    with results.csv (sinter's columns) and the journal is emptied. A kill
//    loses only chunks still running.
//  - Resume (checkpoint.resume auto/required): results.h5 and the journal are
//    read back; finished tasks are skipped, unfinished ones continue from the
//    next chunk, new grid points start, tasks no longer in the grid are kept
//    in the file. resume: never moves the old files aside.
//  - Stop: SIGTERM/SIGUSR1/SIGINT on any rank, or checkpoint.before_time_limit
//    under Slurm: no new chunks start, running ones finish and are saved, the
//    file is flushed, run() returns on every rank with stopped() true and the
//    launcher exits with code 3 (a marker checkpoint records the stop).
//  - Progress on rank 0 every runtime.progress_every: tasks done/total,
//    shots/s, errors, ETA. Metrics: sweep/shots, sweep/errors,
//    sweep/tasks_finished at every snapshot.
//
//  - Collective kernels (SweepKernel::collective(), e.g. photons with one
//    state vector over all ranks): every chunk runs on all ranks together,
//    one after another, on each rank's main thread; resume and stop work
//    the same way.
//
// Collective: every rank constructs the engine and calls run() once.

#include <cstdint>
#include <string>
#include <vector>

#include "jobs/sweep/sweep_config.h"
#include "jobs/sweep/sweep_kernel.h"
#include "jobs/sweep/task_record.h"
#include "runtime/job.h"

namespace tessera::jobs::sweep {

class SweepEngine {
 public:
  SweepEngine(const SweepConfig& config, SweepKernel& kernel, runtime::JobContext& context);

  // Runs the sweep. Returns every record on rank 0 (this grid's tasks first,
  // in grid order), nothing elsewhere.
  std::vector<TaskRecord> run();

  // The tasks of this run's grid, in order (every rank).
  const std::vector<Task>& tasks() const { return tasks_; }
  // Whether a stop signal or the time limit ended run() early.
  bool stopped() const { return stopped_; }

 private:
  const SweepConfig& config_;
  SweepKernel& kernel_;
  runtime::JobContext& context_;
  std::vector<Task> tasks_;
  bool stopped_ = false;
};

}  // namespace tessera::jobs::sweep
