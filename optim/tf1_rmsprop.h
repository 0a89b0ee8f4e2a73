#pragma once

// Tf1RmsProp: RMSProp as TensorFlow 1's tf.train.RMSPropOptimizer runs it,
// the inner optimizer of the LocoProp reference code.
//
//   ms  <- decay * ms + (1 - decay) * g^2        (ms starts at ONES)
//   mom <- momentum * mom + lr * g / sqrt(ms + eps)   (eps inside the root)
//   w   <- w - mom
//
// LibTorch's RMSprop starts its square average at zero and adds eps outside
// the root, which changes the first steps by orders of magnitude (1/sqrt(1)
// vs 1/|g|), so the reference dynamics need this variant. Kind "rmsprop_tf1"
// in make_optimizer(): optim.alpha is the decay, optim.momentum the momentum,
// optim.eps (default 1e-5) the epsilon. Checkpointed by optimizer_state()
// as fields "ms" and "mom".

#include <torch/optim/optimizer.h>

namespace tessera::optim {

struct Tf1RmsPropOptions : public torch::optim::OptimizerCloneableOptions<Tf1RmsPropOptions> {
  explicit Tf1RmsPropOptions(double lr = 1e-3) : lr_(lr) {}
  TORCH_ARG(double, lr);
  TORCH_ARG(double, decay) = 0.9;
  TORCH_ARG(double, momentum) = 0.0;
  TORCH_ARG(double, eps) = 1e-10;

  double get_lr() const override { return lr(); }
  void set_lr(const double lr) override { this->lr(lr); }
};

struct Tf1RmsPropParamState
    : public torch::optim::OptimizerCloneableParamState<Tf1RmsPropParamState> {
  TORCH_ARG(torch::Tensor, ms);   // mean square, initialised to ones
  TORCH_ARG(torch::Tensor, mom);  // momentum accumulator, initialised to zeros
};

class Tf1RmsProp final : public torch::optim::Optimizer {
 public:
  Tf1RmsProp(std::vector<torch::optim::OptimizerParamGroup> groups, Tf1RmsPropOptions defaults);
  Tf1RmsProp(std::vector<torch::Tensor> params, Tf1RmsPropOptions defaults)
      : Tf1RmsProp({torch::optim::OptimizerParamGroup(std::move(params))}, std::move(defaults)) {}

  // Updates every parameter that has a gradient.
  torch::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace tessera::optim
