#include "jobs/train/dense_stack.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/error.h"

namespace tessera::jobs::train {

DenseStack::DenseStack(std::vector<std::int64_t> widths, std::vector<Activation> activations,
                       std::string name)
    : widths_(std::move(widths)), activations_(std::move(activations)), name_(std::move(name)) {
  TESSERA_CHECK(widths_.size() >= 2 && widths_.size() == activations_.size() + 1,
                "{} widths for {} activations", widths_.size(), activations_.size());
  for (std::size_t m = 0; m + 1 < widths_.size(); ++m) {
    layers_.push_back(register_module(fmt::format("fc{}", m + 1),
                                      torch::nn::Linear(widths_[m], widths_[m + 1])));
  }
}

torch::Tensor DenseStack::forward(const torch::Tensor& input) {
  torch::Tensor x = input.dim() == 2 ? input : input.flatten(1);
  for (std::size_t m = 0; m < layers_.size(); ++m) {
    x = activate(activations_[m], layers_[m]->forward(x));
  }
  return x;
}

DenseStack::Trace DenseStack::forward_trace(const torch::Tensor& input) {
  Trace trace;
  torch::Tensor x = input.dim() == 2 ? input : input.flatten(1);
  for (std::size_t m = 0; m < layers_.size(); ++m) {
    trace.inputs.push_back(x);
    torch::Tensor a = layers_[m]->forward(x);
    x = activate(activations_[m], a);
    trace.pre_activations.push_back(a);
    trace.outputs.push_back(x);
  }
  return trace;
}

std::string DenseStack::describe() const {
  std::vector<std::string_view> names;
  for (Activation a : activations_) {
    names.push_back(activation_name(a));
  }
  return fmt::format("{} {} ({}), {} parameters", name_, fmt::join(widths_, "-"),
                     fmt::join(names, ","), parameter_count(*this));
}

}  // namespace tessera::jobs::train
