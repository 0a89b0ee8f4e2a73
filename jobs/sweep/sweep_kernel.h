#pragma once

// SweepKernel: what a job kind plugs into the sweep engine (sweep_engine.h).
//
// A sweep is a grid of parameter points (YAML, see grid.h). Each point the
// kernel accepts becomes a Task with a stable id (a hash of its canonical
// parameters, so the same point in a later run, or in a changed grid, is the
// same task). A task runs as a sequence of chunks; chunk i has a fixed size
// and a fixed seed derived from (run seed, task id, i), so a task's result is
// the same whichever rank runs which chunk and however often the sweep was
// interrupted.
//
//   class MyKernel final : public sweep::SweepKernel {
//     sweep::TaskDescription describe(const nlohmann::json& point) const override {
//       // validate, fill defaults; throw ConfigError("...") on a bad point
//       return {.params = canonical, .decoder = "", .metadata = canonical};
//     }
//     sweep::ChunkResult run_chunk(const sweep::Task& task, const sweep::Chunk& chunk) override {
//       sweep::ChunkResult r;
//       r.counts.shots = chunk.shots;              // work done
//       r.arrays["occupation"] = {{cycles, sites}, values};
//       return r;                                  // seconds are filled by the engine
//     }
//   };
//
// Single-run tasks (photons: one simulation; layerwise: one training run)
// return limits with max_shots = 1 from limits(), and run their whole work in
// chunk 0 with shots = 1.
//
// Thread-safety: run_chunk is called from one thread per rank at a time (on
// rank 0 from a worker thread, not the main thread), for any task in any
// order; it must not use MPI or the Coordinator. describe() and limits() run
// on every rank before the sweep starts. A kernel may cache per-task state
// (built models, decoders) between chunks.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "jobs/sweep/task_result.h"

namespace tessera::jobs::sweep {

// How much work a task gets. Stops at the first chunk boundary where
// shots >= max_shots or (max_errors > 0 and) errors >= max_errors.
struct TaskLimits {
  std::int64_t max_shots = 1;
  std::int64_t max_errors = 0;          // 0: no error limit
  std::int64_t first_chunk_shots = 1;   // chunk sizes double from here ...
  std::int64_t max_chunk_shots = 1;     // ... up to this
};

struct TaskDescription {
  nlohmann::json params;    // canonical parameters: the task's identity (hashed into its id)
  std::string decoder;      // for sinter's `decoder` column ("" if not applicable)
  nlohmann::json metadata;  // sinter's `json_metadata` (usually = params)
};

struct Task {
  std::size_t index = 0;     // position in this run's task list
  std::string id;            // strong id: 32 hex digits
  TaskDescription description;
  TaskLimits limits;
};

struct Chunk {
  std::int64_t index = 0;    // 0, 1, 2, ... within the task
  std::int64_t shots = 0;    // work units to do
  std::uint64_t seed = 0;    // derived from (run seed, task id, index)
};

class SweepKernel {
 public:
  virtual ~SweepKernel() = default;
  virtual TaskDescription describe(const nlohmann::json& point) const = 0;
  // The task's limits; `configured` comes from the sweep: section.
  virtual TaskLimits limits(const TaskDescription& task, const TaskLimits& configured) const {
    (void)task;
    return configured;
  }
  virtual ChunkResult run_chunk(const Task& task, const Chunk& chunk) = 0;
  // True when a chunk is collective over every rank (photons: one state
  // vector spread over all ranks). The engine then runs each chunk on all
  // ranks at once, one chunk after another, from each rank's main thread,
  // and run_chunk may communicate on the kernel's own communicator (never
  // MPI_COMM_WORLD or the Coordinator). Every rank must return the same result.
  virtual bool collective() const { return false; }
};

}  // namespace tessera::jobs::sweep
