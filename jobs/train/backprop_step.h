#pragma once

// BackpropStep: the ordinary training step, as PyTorch DDP runs it.
//
//   zero grads; for each micro-batch: forward, loss (+ the model's aux loss),
//   backward of loss / k (no_sync on all but the last); wait for the gradient
//   all-reduce; clip to the global norm; optimizer step.
//
// Gradients are batch means, so k micro-batches of B/k equal one batch of B,
// and W ranks with B/W each equal one rank with B.

#include <torch/optim/optimizer.h>

#include "jobs/train/grad_sync.h"
#include "jobs/train/loss.h"
#include "jobs/train/model.h"
#include "jobs/train/step_runner.h"

namespace tessera::jobs::train {

struct BackpropOptions {
  LossKind loss = LossKind::kSoftmaxCrossEntropy;
  double clip_grad_norm = 0;  // 0: off
};

class BackpropStep final : public StepRunner {
 public:
  // Keeps references: all three outlive the step.
  BackpropStep(Model& model, torch::optim::Optimizer& optimizer, GradSync& sync,
               BackpropOptions options);

  StepResult step(std::span<const Batch> micro_batches, double lr) override;
  // Parameters and buffers under "model/<name>", the optimizer under "optimizer/...".
  void save(runtime::CheckpointState& state) override;
  void load(const runtime::Checkpoint& checkpoint) override;

 private:
  Model& model_;
  torch::optim::Optimizer& optimizer_;
  GradSync& sync_;
  BackpropOptions options_;
};

}  // namespace tessera::jobs::train
