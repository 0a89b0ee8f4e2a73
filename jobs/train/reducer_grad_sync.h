#pragma once

// ReducerGradSync: comm's GradientReducer (DDP semantics: bucketed
// all-reduces launched from autograd hooks during the backward pass, waited
// for when backward ends) as the trainer's GradSync. Micro-batches other
// than the last run under the reducer's no_sync().
//
// Data-parallel training builds the reducer over the whole model and the
// world; MoE builds one with parameter groups and wraps it the same way.

#include <optional>

#include "comm/torch/gradient_reducer.h"
#include "jobs/train/grad_sync.h"

namespace tessera::jobs::train {

class ReducerGradSync final : public GradSync {
 public:
  // Keeps a reference: `reducer` outlives this.
  explicit ReducerGradSync(comm::GradientReducer& reducer) : reducer_(reducer) {}

  void before_backward(bool sync) override {
    if (sync) {
      no_sync_.reset();
    } else if (!no_sync_) {
      no_sync_.emplace(reducer_);
    }
  }

  // The reducer has already waited at the end of backward; report how long.
  double after_backward() override {
    no_sync_.reset();
    return reducer_.exposed_seconds();
  }

 private:
  comm::GradientReducer& reducer_;
  std::optional<comm::GradientReducer::NoSync> no_sync_;
};

}  // namespace tessera::jobs::train
