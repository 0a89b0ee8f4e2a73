#pragma once

// An optimizer's per-parameter state as named tensors, and back: what a
// checkpoint stores so a resumed run continues bitwise where it stopped.
//
// Names are "<group>/<index>/<field>", e.g. "0/3/exp_avg", "0/3/step";
// fields are those of LibTorch's param states (SGD momentum_buffer; Adam and
// AdamW step, exp_avg, exp_avg_sq, max_exp_avg_sq; RMSprop step, square_avg,
// momentum_buffer, grad_avg; Adagrad step, sum). Steps are int64 scalars.
// Parameters the optimizer holds no state for (yet) have no entries.

#include <map>
#include <string>

#include <torch/optim/optimizer.h>

namespace tessera::optim {

// The state of every parameter of `optimizer` (tensors are shared, not copied).
// Throws InternalError for an optimizer kind this does not know.
std::map<std::string, torch::Tensor> optimizer_state(const torch::optim::Optimizer& optimizer);

// Replaces the state of `optimizer` by `state` (as optimizer_state() gave
// it; tensors are copied to each parameter's device). Throws CheckpointError
// when an entry does not fit a parameter (wrong shape, unknown parameter).
void set_optimizer_state(torch::optim::Optimizer& optimizer,
                         const std::map<std::string, torch::Tensor>& state);

}  // namespace tessera::optim
