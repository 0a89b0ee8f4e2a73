#pragma once

// Model: a network a trainer can train. Concrete models come from
// make_model() (model_factory.h) or from a job of their own (MoE's LM).
//
// forward() maps a batch of inputs to outputs (logits for the losses of
// loss.h). aux_loss() is an extra term the last forward() produced that the
// trainer adds to the loss (MoE's load-balancing loss); undefined when none.

#include <string>

#include <torch/nn/module.h>

namespace tessera::jobs::train {

class Model : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& input) = 0;
  virtual torch::Tensor aux_loss() { return {}; }
  // One line: "autoencoder 784-1000-500-250-30-250-500-1000-784 tanh".
  virtual std::string describe() const = 0;
};

// Number of elements of all parameters.
inline std::int64_t parameter_count(const torch::nn::Module& module) {
  std::int64_t count = 0;
  for (const torch::Tensor& p : module.parameters()) {
    count += p.numel();
  }
  return count;
}

}  // namespace tessera::jobs::train
