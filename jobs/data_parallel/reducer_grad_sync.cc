#include "jobs/data_parallel/reducer_grad_sync.h"

#include "runtime/error.h"

namespace tessera::jobs::data_parallel {

ReducerGradSync::ReducerGradSync(int world_size, train::Model& /*model*/, const DdpConfig& /*config*/) {
  if (world_size > 1) {
    throw ConfigError("data_parallel on several ranks needs comm's gradient reducer (not in this build yet)");
  }
}

void ReducerGradSync::before_backward(bool /*sync*/) {}
void ReducerGradSync::after_backward() {}

}  // namespace tessera::jobs::data_parallel
