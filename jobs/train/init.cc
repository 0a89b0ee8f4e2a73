#include "jobs/train/init.h"

#include <cmath>

#include <torch/nn/init.h>

#include "runtime/error.h"

namespace tessera::jobs::train {

void glorot_uniform_(torch::Tensor tensor) {
  TESSERA_CHECK(tensor.dim() >= 1, "glorot_uniform_ of a scalar");
  torch::NoGradGuard no_grad;
  if (tensor.dim() >= 2) {
    torch::nn::init::xavier_uniform_(tensor);
    return;
  }
  const double limit = std::sqrt(3.0 / static_cast<double>(tensor.size(0)));
  tensor.uniform_(-limit, limit);
}

void initialize(torch::nn::Module& module, WeightInit weights, BiasInit biases) {
  torch::NoGradGuard no_grad;
  for (const auto& child : module.modules(/*include_self=*/true)) {
    for (auto& item : child->named_parameters(/*recurse=*/false)) {
      const std::string& name = item.key();
      torch::Tensor& parameter = item.value();
      if (name == "weight" && weights == WeightInit::kGlorotUniform) {
        glorot_uniform_(parameter);
      } else if (name == "bias" && biases == BiasInit::kZeros) {
        parameter.zero_();
      } else if (name == "bias" && biases == BiasInit::kGlorotUniform) {
        glorot_uniform_(parameter);
      }
    }
  }
}

}  // namespace tessera::jobs::train
