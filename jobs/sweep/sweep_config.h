#pragma once

// SweepConfig: the `sweep:` section every sweep job kind has.
//
//   sweep:
//     grid:                      # a map of lists (their product), or a list of such maps
//       distance: [3, 5, 7]
//       p: [0.001, 0.002]
//     max_shots: 1000000         # per task
//     max_errors: 1000           # per task; 0: no error limit
//     first_chunk_shots: 1024    # chunk i has min(first * 2^i, max_chunk_shots) shots
//     max_chunk_shots: 1048576
//     flush_every: 10s           # results.h5 snapshot period
//
// Resuming follows checkpoint.resume: auto/required continue results.h5
// (finished tasks are skipped, unfinished ones continue from their counts,
// new grid points are added); never starts over (the old file is kept as
// results.h5.<time>.old).

#include <cstdint>

#include <yaml-cpp/yaml.h>

#include "jobs/sweep/sweep_kernel.h"
#include "runtime/config/fields.h"

namespace tessera::jobs::sweep {

struct SweepConfig {
  YAML::Node grid;                      // raw; expanded by grid.h
  std::int64_t max_shots = 1000000;     // per task
  std::int64_t max_errors = 0;          // per task; 0: none
  std::int64_t first_chunk_shots = 1024;
  std::int64_t max_chunk_shots = 1 << 20;
  config::Seconds flush_every{10};
  // Set by the job config before fields() so parsing can check every grid
  // point with the kind's describe() (errors then name the config file).
  const SweepKernel* kernel = nullptr;

  void fields(config::Fields& f);
  TaskLimits limits() const {
    return {max_shots, max_errors, first_chunk_shots, max_chunk_shots};
  }
};

}  // namespace tessera::jobs::sweep
