#pragma once

// MoeStep: one optimizer step of the MoE language model, and its state in
// checkpoints.
//
//   zero grads; per micro-batch: forward, next-byte cross-entropy + the MoE
//   layers' aux and z losses, backward of total / k (no_sync on all but the
//   last); wait for the gradient all-reduces (experts over the
//   expert-data-parallel group, the rest over the world); clip to the global
//   norm (expert norms summed over the expert-parallel group, added once);
//   optimizer step.
//
// Metrics per step (StepResult.extra, "moe/..."): aux and z losses, dropped
// fraction, router entropy, time in all-to-all vs expert compute, and per
// layer the share of this rank's token copies each expert received
// ("moe/l<layer>/e<expert>": the tokens-per-expert histogram).
//
// Checkpoints: non-expert parameters and their optimizer state are
// replicated arrays; expert parameters and their optimizer state are shards
// of arrays indexed by global expert id ("model/block0_moe.expert_w1" is
// [experts, d, f]), so a run with another ep_size reads its own experts.

#include <torch/optim/optimizer.h>

#include "comm/communicator.h"
#include "jobs/moe/moe_lm.h"
#include "jobs/train/grad_sync.h"
#include "jobs/train/step_runner.h"

namespace tessera::jobs::moe {

class MoeStep final : public train::StepRunner {
 public:
  // Keeps references; all outlive the step. `ep` may be null (one rank).
  MoeStep(MoeLm& model, torch::optim::Optimizer& optimizer, train::GradSync& sync, comm::Communicator* ep,
          double clip_grad_norm);

  train::StepResult step(std::span<const train::Batch> micro_batches, double lr) override;
  void save(runtime::CheckpointState& state) override;
  void load(const runtime::Checkpoint& checkpoint) override;

 private:
  double clip();

  MoeLm& model_;
  torch::optim::Optimizer& optimizer_;
  train::GradSync& sync_;
  comm::Communicator* ep_;
  double clip_grad_norm_;
};

}  // namespace tessera::jobs::moe
