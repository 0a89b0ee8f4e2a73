#pragma once

// Job: one kind of work tessera runs from YAML (data_parallel, qec, ...).
//
// A job kind provides a config struct deriving from JobConfig (its own YAML
// sections, declared with fields()) and a Job built from that config. The
// launcher creates the job on every rank and calls run() with the context.

#include "runtime/config/fields.h"
#include "runtime/coordinator.h"
#include "runtime/job_spec.h"
#include "runtime/launch_info.h"
#include "runtime/metrics_writer.h"
#include "runtime/run_dir.h"

namespace tessera::runtime {

class JobConfig {
 public:
  virtual ~JobConfig() = default;
  // Declares the kind's own top-level sections (see config/fields.h).
  virtual void fields(config::Fields& f) = 0;
};

// What a running job gets from the launcher. Everything is owned by main and
// outlives the job.
struct JobContext {
  const JobSpec& spec;          // the common header (seed, runtime, checkpoint, output)
  const LaunchInfo& launch;     // rank, size, local rank, host, launcher
  Coordinator& coordinator;     // control-plane collectives
  const RunDir& run_dir;        // where outputs go
  MetricsWriter& metrics;       // scalar series (writes on rank 0, ignored elsewhere)
};

class Job {
 public:
  virtual ~Job() = default;
  // Runs the job to completion on this rank. Throws on failure; the launcher
  // then ends every rank.
  virtual void run(JobContext& context) = 0;
};

}  // namespace tessera::runtime
