#include "jobs/register_jobs.h"

#include "jobs/data_parallel/data_parallel_job.h"
#include "jobs/layerwise/layerwise_job.h"
#include "jobs/locoprop/locoprop_job.h"
#include "jobs/moe/moe_job.h"
#include "jobs/photons/photons_job.h"
#include "jobs/qec/qec_job.h"

namespace tessera::jobs {

void register_jobs(runtime::JobRegistry& registry) {
  layerwise::register_layerwise(registry);
  photons::register_photons(registry);
  qec::register_qec(registry);
  data_parallel::register_data_parallel(registry);
  moe::register_moe(registry);
  locoprop::register_locoprop(registry);
}

}  // namespace tessera::jobs
