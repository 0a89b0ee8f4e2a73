#pragma once

#include "runtime/job_registry.h"

namespace tessera::jobs {

// Adds every job kind of this build to `registry`. Each job folder provides a
// register_<kind>() function that this calls.
void register_jobs(runtime::JobRegistry& registry);

}  // namespace tessera::jobs
