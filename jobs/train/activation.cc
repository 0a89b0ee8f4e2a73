#include "jobs/train/activation.h"

#include <array>
#include <utility>

#include <ATen/ATen.h>

namespace tessera::jobs::train {
namespace {

constexpr std::array<std::pair<std::string_view, Activation>, 5> kNames{{
    {"linear", Activation::kLinear},
    {"tanh", Activation::kTanh},
    {"relu", Activation::kRelu},
    {"sigmoid", Activation::kSigmoid},
    {"softmax", Activation::kSoftmax},
}};

}  // namespace

std::string_view activation_name(Activation activation) {
  for (const auto& [name, a] : kNames) {
    if (a == activation) {
      return name;
    }
  }
  return "?";
}

std::optional<Activation> activation_from_name(std::string_view name) {
  for (const auto& [n, a] : kNames) {
    if (n == name) {
      return a;
    }
  }
  return std::nullopt;
}

at::Tensor activate(Activation activation, const at::Tensor& x) {
  switch (activation) {
    case Activation::kLinear:
      return x;
    case Activation::kTanh:
      return at::tanh(x);
    case Activation::kRelu:
      return at::relu(x);
    case Activation::kSigmoid:
      return at::sigmoid(x);
    case Activation::kSoftmax:
      return at::softmax(x, -1);
  }
  return x;
}

}  // namespace tessera::jobs::train
