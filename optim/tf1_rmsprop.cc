#include "optim/tf1_rmsprop.h"

#include <torch/autograd.h>
#include <torch/types.h>

namespace tessera::optim {

Tf1RmsProp::Tf1RmsProp(std::vector<torch::optim::OptimizerParamGroup> groups, Tf1RmsPropOptions defaults)
    : torch::optim::Optimizer(std::move(groups), std::make_unique<Tf1RmsPropOptions>(std::move(defaults))) {}

torch::Tensor Tf1RmsProp::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    torch::AutoGradMode enable(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    const auto& options = static_cast<const Tf1RmsPropOptions&>(group.options());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) {
        continue;
      }
      const torch::Tensor& grad = p.grad();
      auto& slot = state_[c10::guts::to_string(p.unsafeGetTensorImpl())];
      if (!slot) {
        auto fresh = std::make_unique<Tf1RmsPropParamState>();
        fresh->ms(torch::ones_like(p, torch::MemoryFormat::Preserve));
        fresh->mom(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        slot = std::move(fresh);
      }
      auto& s = static_cast<Tf1RmsPropParamState&>(*slot);
      s.ms().mul_(options.decay()).addcmul_(grad, grad, 1.0 - options.decay());
      s.mom().mul_(options.momentum()).addcdiv_(grad, (s.ms() + options.eps()).sqrt_(), options.lr());
      p.sub_(s.mom());
    }
  }
  return loss;
}

}  // namespace tessera::optim
