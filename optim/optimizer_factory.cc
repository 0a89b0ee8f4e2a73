#include "optim/optimizer_factory.h"

#include <torch/optim/adagrad.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/rmsprop.h>
#include <torch/optim/sgd.h>

#include "optim/tf1_rmsprop.h"
#include "runtime/error.h"

namespace tessera::optim {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(
    const OptimizerConfig& c, std::vector<torch::optim::OptimizerParamGroup> groups) {
  const double weight_decay = c.weight_decay.value_or(c.kind == "adamw" ? 1e-2 : 0.0);
  if (c.kind == "sgd") {
    return std::make_unique<torch::optim::SGD>(std::move(groups), torch::optim::SGDOptions(c.lr)
                                                                      .momentum(c.momentum)
                                                                      .dampening(c.dampening)
                                                                      .nesterov(c.nesterov)
                                                                      .weight_decay(weight_decay));
  }
  if (c.kind == "adam") {
    return std::make_unique<torch::optim::Adam>(std::move(groups), torch::optim::AdamOptions(c.lr)
                                                                       .betas({c.beta1, c.beta2})
                                                                       .eps(c.eps.value_or(1e-8))
                                                                       .weight_decay(weight_decay)
                                                                       .amsgrad(c.amsgrad));
  }
  if (c.kind == "adamw") {
    return std::make_unique<torch::optim::AdamW>(std::move(groups), torch::optim::AdamWOptions(c.lr)
                                                                        .betas({c.beta1, c.beta2})
                                                                        .eps(c.eps.value_or(1e-8))
                                                                        .weight_decay(weight_decay)
                                                                        .amsgrad(c.amsgrad));
  }
  if (c.kind == "rmsprop") {
    return std::make_unique<torch::optim::RMSprop>(std::move(groups),
                                                   torch::optim::RMSpropOptions(c.lr)
                                                       .alpha(c.alpha)
                                                       .eps(c.eps.value_or(1e-8))
                                                       .weight_decay(weight_decay)
                                                       .momentum(c.momentum)
                                                       .centered(c.centered));
  }
  if (c.kind == "rmsprop_tf1") {
    return std::make_unique<Tf1RmsProp>(std::move(groups), Tf1RmsPropOptions(c.lr)
                                                               .decay(c.alpha)
                                                               .momentum(c.momentum)
                                                               .eps(c.eps.value_or(1e-5)));
  }
  if (c.kind == "adagrad") {
    return std::make_unique<torch::optim::Adagrad>(
        std::move(groups), torch::optim::AdagradOptions(c.lr)
                               .lr_decay(c.lr_decay)
                               .weight_decay(weight_decay)
                               .initial_accumulator_value(c.initial_accumulator)
                               .eps(c.eps.value_or(1e-10)));
  }
  throw ConfigError("optim.kind = " + c.kind +
                    " (must be one of sgd, adam, adamw, rmsprop, rmsprop_tf1, adagrad)");
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerConfig& config,
                                                        std::vector<torch::Tensor> parameters) {
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::move(parameters));
  return make_optimizer(config, std::move(groups));
}

void set_lr(torch::optim::Optimizer& optimizer, double lr) {
  for (torch::optim::OptimizerParamGroup& group : optimizer.param_groups()) {
    group.options().set_lr(lr);
  }
}

}  // namespace tessera::optim
