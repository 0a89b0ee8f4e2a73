#pragma once

// ReducerGradSync: the trainer's GradSync over comm's gradient reducer.
// (Interim: one rank only, until comm's reducer lands.)

#include "jobs/data_parallel/data_parallel_config.h"
#include "jobs/train/grad_sync.h"
#include "jobs/train/model.h"

namespace tessera::jobs::data_parallel {

class ReducerGradSync final : public train::GradSync {
 public:
  ReducerGradSync(int world_size, train::Model& model, const DdpConfig& config);
  void before_backward(bool sync) override;
  void after_backward() override;
};

}  // namespace tessera::jobs::data_parallel
