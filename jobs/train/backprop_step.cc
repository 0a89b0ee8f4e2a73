#include "jobs/train/backprop_step.h"

#include <torch/nn/utils/clip_grad.h>

#include "jobs/train/module_state.h"
#include "optim/optimizer_factory.h"

namespace tessera::jobs::train {

BackpropStep::BackpropStep(Model& model, torch::optim::Optimizer& optimizer, GradSync& sync,
                           BackpropOptions options)
    : model_(model), optimizer_(optimizer), sync_(sync), options_(options) {}

StepResult BackpropStep::step(std::span<const Batch> micro_batches, double lr) {
  StepResult result;
  optim::set_lr(optimizer_, lr);
  optimizer_.zero_grad();
  const auto k = static_cast<double>(micro_batches.size());
  torch::Tensor loss_sum;
  torch::Tensor aux_sum;
  for (std::size_t i = 0; i < micro_batches.size(); ++i) {
    const Batch& batch = micro_batches[i];
    torch::Tensor loss = compute_loss(options_.loss, model_.forward(batch.input), batch.target);
    torch::Tensor total = loss;
    if (torch::Tensor aux = model_.aux_loss(); aux.defined()) {
      total = total + aux;
      aux_sum = aux_sum.defined() ? aux_sum + aux.detach() : aux.detach();
    }
    sync_.before_backward(i + 1 == micro_batches.size());
    (micro_batches.size() == 1 ? total : total / k).backward();
    loss_sum = loss_sum.defined() ? loss_sum + loss.detach() : loss.detach();
  }
  result.comm_seconds = sync_.after_backward();
  if (options_.clip_grad_norm > 0) {
    const double norm = torch::nn::utils::clip_grad_norm_(model_.parameters(), options_.clip_grad_norm);
    result.extra.emplace_back("grad_norm", norm);
  }
  optimizer_.step();
  result.loss = loss_sum.item<double>() / k;
  if (aux_sum.defined()) {
    result.extra.emplace_back("aux_loss", aux_sum.item<double>() / k);
  }
  return result;
}

void BackpropStep::save(runtime::CheckpointState& state) {
  save_module(state, "model", model_);
  save_optimizer(state, "optimizer", optimizer_);
}

void BackpropStep::load(const runtime::Checkpoint& checkpoint) {
  load_module(checkpoint, "model", model_);
  load_optimizer(checkpoint, "optimizer", optimizer_);
}

}  // namespace tessera::jobs::train
