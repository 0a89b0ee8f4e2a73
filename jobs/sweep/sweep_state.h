#pragma once

// SweepState: the bookkeeping of a sweep on rank 0, without any I/O or MPI,
// so scheduling and resume rules are testable on their own.
//
// Chunk plan (fixed per task, independent of results and of who runs what):
//   size(i) = min(first_chunk_shots * 2^i, max_chunk_shots), the last chunk
//   cut so the sizes add up to max_shots; seed(i) = hash(run seed, task id, i).
// A task's result is the sum of its chunks 0 .. K-1, K the first count at
// which the limits are reached (shots >= max_shots, or errors >= max_errors
// when that is > 0). Chunks finished out of order wait in `pending` until the
// gap closes; chunks past K (handed out before the task was known to be done)
// are dropped. So the counts of a task are the same however the work was
// spread over ranks and however often the sweep was interrupted.
//
// Dispatch: the next chunk goes to the unfinished task with the fewest chunks
// in flight (then the lowest index), skipping tasks whose in-flight work is
// already expected to reach max_errors.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "jobs/sweep/sweep_kernel.h"
#include "jobs/sweep/task_record.h"

namespace tessera::jobs::sweep {

// Shots of chunk `index` under `limits` (0 when the plan has no such chunk).
std::int64_t chunk_shots(const TaskLimits& limits, std::int64_t index);
std::uint64_t chunk_seed(std::uint64_t run_seed, const std::string& task_id, std::int64_t index);
bool limits_reached(const TaskLimits& limits, const Counts& counts);

struct Assignment {
  std::size_t task = 0;  // index into tasks()
  Chunk chunk;
};

class SweepState {
 public:
  // `tasks`: this run's grid, in order. `previous`: records read back from
  // results.h5 (and the journal); those of grid tasks continue, the others are
  // kept untouched.
  SweepState(std::vector<Task> tasks, std::vector<TaskRecord> previous, std::uint64_t run_seed);

  const std::vector<Task>& tasks() const { return tasks_; }

  // The next chunk to run, or nullopt when none can start now (all finished,
  // or waiting for results).
  std::optional<Assignment> next();
  // A chunk came back. Returns false when it was already counted or its task
  // had finished (the result is then dropped).
  bool complete(std::size_t task, std::int64_t chunk, ChunkResult result);
  // The same for a journal record (a task id, possibly outside this grid).
  bool replay(const std::string& task_id, std::int64_t chunk, ChunkResult result);

  bool all_finished() const;
  std::size_t in_flight() const;
  std::size_t finished_tasks() const;
  // Over this grid's tasks, pending chunks included.
  Counts grid_counts() const;
  // Grid tasks in grid order, then the other records of the file.
  std::vector<TaskRecord> records() const;

 private:
  struct Progress {
    std::size_t record = 0;       // index into records_
    std::int64_t next_issue = 0;  // next chunk index to hand out
    std::set<std::int64_t> in_flight;
  };

  bool absorb(TaskRecord& record, const TaskLimits* limits, std::int64_t chunk, ChunkResult result);
  void skip_done(Progress& p);

  std::vector<Task> tasks_;
  std::vector<TaskRecord> records_;
  std::vector<Progress> progress_;  // per task
  std::uint64_t run_seed_;
};

}  // namespace tessera::jobs::sweep
