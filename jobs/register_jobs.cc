#include "jobs/register_jobs.h"

namespace tessera::jobs {

void register_jobs(runtime::JobRegistry& registry) {
  (void)registry;  // job kinds add their register_<kind>(registry) call here
}

}  // namespace tessera::jobs
