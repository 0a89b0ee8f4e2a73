#pragma once

#include "runtime/job_registry.h"

namespace tessera::testing {

// Job kinds that exist only in the test CLI (`tessera_test`):
//   test_count  counts steps on every rank, logs metrics and a progress line.
//   test_state  a deterministic stand-in for a training job: every step it
//               updates real arrays of every checkpoint kind (local,
//               replicated, shard) from per-rank and shared RNGs, saves and
//               resumes them with the RNG states and a data-position blob,
//               honours stop signals, and writes its final state to
//               <run>/final/rank-RRRRR.bin for bitwise comparisons.
void register_test_jobs(runtime::JobRegistry& registry);

}  // namespace tessera::testing
