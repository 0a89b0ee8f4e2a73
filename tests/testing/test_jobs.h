#pragma once

#include "runtime/job_registry.h"

namespace tessera::testing {

// Job kinds that exist only in the test CLI (`tessera_test`):
//   test_count  counts steps on every rank, logs metrics and a progress line.
void register_test_jobs(runtime::JobRegistry& registry);

}  // namespace tessera::testing
