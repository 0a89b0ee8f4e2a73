#pragma once

// Job: one kind of work tessera runs from YAML (data_parallel, qec, ...).
//
// A job kind provides a config struct deriving from JobConfig (its own YAML
// sections, declared with fields()) and a Job built from that config. The
// launcher creates the job on every rank and calls run() with the context.

#include <string>
#include <vector>

#include "runtime/checkpoint/checkpoint_store.h"
#include "runtime/config/fields.h"
#include "runtime/coordinator.h"
#include "runtime/job_spec.h"
#include "runtime/launch_info.h"
#include "runtime/metrics_writer.h"
#include "runtime/run_dir.h"
#include "runtime/stop_signal.h"

namespace tessera::runtime {

class JobConfig {
 public:
  virtual ~JobConfig() = default;
  // Declares the kind's own top-level sections (see config/fields.h).
  virtual void fields(config::Fields& f) = 0;
  // Config keys (dotted prefixes, e.g. "train.epochs") that may differ
  // between a checkpoint and the run resuming from it, beyond checkpoint.*,
  // output.*, runtime.* and name. Any other difference refuses the resume.
  virtual std::vector<std::string> resume_may_change() const { return {}; }
};

// What a running job gets from the launcher. Everything is owned by main and
// outlives the job.
struct JobContext {
  const JobSpec& spec;          // the common header (seed, runtime, checkpoint, output)
  const LaunchInfo& launch;     // rank, size, local rank, host, launcher
  Coordinator& coordinator;     // control-plane collectives
  const RunDir& run_dir;        // where outputs go
  MetricsWriter& metrics;       // scalar series (writes on rank 0, ignored elsewhere)
  CheckpointStore& checkpoints; // resumed() state; save() at step boundaries (checkpoint_store.h)
  StopSignal& stop;             // should_stop(step) at step boundaries (stop_signal.h)
};

class Job {
 public:
  virtual ~Job() = default;
  // Runs the job to completion on this rank, or until context.stop says to
  // stop (after saving a checkpoint). Throws on failure; the launcher then
  // ends every rank.
  virtual void run(JobContext& context) = 0;
};

}  // namespace tessera::runtime
