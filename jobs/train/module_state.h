#pragma once

// Modules and optimizers in checkpoints, under a name prefix, through the
// checkpoint store's tensor adapter (runtime/checkpoint/torch_arrays.h).
//
//   save_module(state, "model", model);             // model/fc1.weight, ... (replicated)
//   save_optimizer(state, "optimizer", optimizer);  // optimizer/0/3/exp_avg, ...
//   load_module(checkpoint, "model", model);
//
// Data-parallel replicas hold equal parameters and optimizer state, so both
// are saved as replicated arrays: written once, readable on any world size.

#include <string>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include "runtime/checkpoint/checkpoint.h"
#include "runtime/checkpoint/checkpoint_state.h"

namespace tessera::jobs::train {

// Parameters and buffers of `module` as replicated arrays "<prefix>/<name>".
void save_module(runtime::CheckpointState& state, const std::string& prefix,
                 const torch::nn::Module& module);
// Restores what save_module() wrote; every parameter and buffer must be there.
void load_module(const runtime::Checkpoint& checkpoint, const std::string& prefix,
                 torch::nn::Module& module);

// The optimizer's state (optim/optimizer_state.h) as replicated arrays.
void save_optimizer(runtime::CheckpointState& state, const std::string& prefix,
                    const torch::optim::Optimizer& optimizer);
void load_optimizer(const runtime::Checkpoint& checkpoint, const std::string& prefix,
                    torch::optim::Optimizer& optimizer);

}  // namespace tessera::jobs::train
