#pragma once

// make_optimizer: a torch::optim optimizer from the `optim:` config.
//
//   auto optimizer = optim::make_optimizer(config.optim, model->parameters());
//   optim::set_lr(*optimizer, schedule.lr(step));
//
// sgd → torch::optim::SGD, adam → Adam, adamw → AdamW, rmsprop → RMSprop,
// adagrad → Adagrad, each with the config's hyper-parameters and LibTorch's
// defaults for what the config leaves out. Parameter groups (e.g. no weight
// decay for biases, or MoE's expert parameters) keep the same options unless
// their group sets its own.

#include <memory>
#include <vector>

#include <torch/optim/optimizer.h>

#include "optim/optimizer_config.h"

namespace tessera::optim {

// Throws ConfigError for an unknown kind.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(
    const OptimizerConfig& config, std::vector<torch::optim::OptimizerParamGroup> groups);

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerConfig& config,
                                                        std::vector<torch::Tensor> parameters);

// Sets the learning rate of every parameter group.
void set_lr(torch::optim::Optimizer& optimizer, double lr);

}  // namespace tessera::optim
