#pragma once

// Tensors in checkpoints: LibTorch tensors as the store's arrays and back,
// and whole modules and optimizers under a name prefix.
//
//   save_module(state, "model", model);           // model/fc1.weight, ... (replicated)
//   save_optimizer(state, "optimizer", optimizer); // optimizer/0/3/exp_avg, ...
//   load_module(checkpoint, "model", model);
//
// Data-parallel replicas hold equal parameters and optimizer state, so both
// are saved as replicated arrays: written once, readable on any world size.

#include <string>
#include <string_view>

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include "runtime/checkpoint/checkpoint.h"
#include "runtime/checkpoint/checkpoint_state.h"

namespace tessera::jobs::train {

// A view of `tensor` for a checkpoint: its own bytes when it is a contiguous
// CPU tensor, else a contiguous CPU copy; the ArrayRef keeps either alive.
runtime::ArrayRef tensor_array_ref(const at::Tensor& tensor);

// Array `name` of `checkpoint` as a new CPU tensor. Throws CheckpointError.
at::Tensor read_tensor(const runtime::Checkpoint& checkpoint, std::string_view name);
// Copies array `name` into `into` (any device; shape and dtype must match).
void read_into(const runtime::Checkpoint& checkpoint, std::string_view name, at::Tensor& into);

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
