#pragma once

// LocoPropJob: LocoProp-S / LocoProp-M local-loss training (and its backprop
// baseline with the same optimizer) from YAML, on the shared Trainer.
//
// Every rank builds the same DenseStack from the seed; rank 0's parameters
// are broadcast; each rank takes its share (batch_size / world) of every
// global batch; LocoPropStep does the rest (locoprop_step.h). CPU only.

#include "jobs/locoprop/locoprop_config.h"
#include "runtime/job.h"
#include "runtime/job_registry.h"

namespace tessera::jobs::locoprop {

class LocoPropJob final : public runtime::Job {
 public:
  explicit LocoPropJob(const LocoPropConfig& config) : config_(config) {}
  void run(runtime::JobContext& context) override;

 private:
  LocoPropConfig config_;
};

// Adds the `locoprop` and `locoprop_sweep` job kinds.
void register_locoprop(runtime::JobRegistry& registry);

}  // namespace tessera::jobs::locoprop
