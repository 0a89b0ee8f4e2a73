#include "jobs/locoprop/matching_loss.h"

#include <array>
#include <utility>

#include <ATen/ATen.h>

#include "runtime/error.h"

namespace tessera::jobs::locoprop {

using train::Activation;

namespace {

constexpr std::array<std::pair<std::string_view, Mode>, 3> kModes{{
    {"bp", Mode::kBackprop},
    {"locoprop_s", Mode::kLocoPropS},
    {"locoprop_m", Mode::kLocoPropM},
}};

}  // namespace

std::string_view mode_name(Mode mode) {
  for (const auto& [name, m] : kModes) {
    if (m == mode) {
      return name;
    }
  }
  return "?";
}

std::optional<Mode> mode_from_name(std::string_view name) {
  for (const auto& [n, m] : kModes) {
    if (n == name) {
      return m;
    }
  }
  return std::nullopt;
}

Activation matching_activation(Activation layer_activation, bool last_layer, train::LossKind loss) {
  if (!last_layer || layer_activation != Activation::kLinear) {
    return layer_activation;
  }
  switch (loss) {
    case train::LossKind::kSigmoidCrossEntropy:
      return Activation::kSigmoid;
    case train::LossKind::kSoftmaxCrossEntropy:
      return Activation::kSoftmax;
    case train::LossKind::kMse:
      return Activation::kLinear;
  }
  return layer_activation;
}

at::Tensor local_target(Mode mode, Activation f, const at::Tensor& a, const at::Tensor& g, double gamma) {
  switch (mode) {
    case Mode::kLocoPropS:
      return a - gamma * g;
    case Mode::kLocoPropM:
      return train::activate(f, a) - gamma * g;
    case Mode::kBackprop:
      break;
  }
  throw InternalError("local_target in bp mode");
}

at::Tensor local_residual(Mode mode, Activation f, const at::Tensor& z, const at::Tensor& target) {
  return mode == Mode::kLocoPropM ? train::activate(f, z) - target : z - target;
}

at::Tensor matching_loss(Activation f, const at::Tensor& z, const at::Tensor& t) {
  switch (f) {
    case Activation::kLinear:
      return 0.5 * (z - t).square().sum();
    case Activation::kSigmoid:
      return (at::softplus(z) - t * z).sum();
    case Activation::kTanh:
      // log cosh z = |z| + log1p(exp(-2|z|)) - log 2, stable for large |z|.
      return (z.abs() + at::log1p(at::exp(-2 * z.abs())) - std::log(2.0) - t * z).sum();
    case Activation::kRelu:
      return (0.5 * at::relu(z).square() - t * z).sum();
    case Activation::kSoftmax:
      return (at::logsumexp(z, -1) - (t * z).sum(-1)).sum();
  }
  return {};
}

}  // namespace tessera::jobs::locoprop
