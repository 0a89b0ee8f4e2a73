#pragma once

// Activation: the transfer function of a layer, by name.
//
// LocoProp pairs each activation with its matching loss, so layers keep the
// enum rather than a module: code that needs f(a) calls activate().

#include <optional>
#include <string>
#include <string_view>

#include <ATen/core/Tensor.h>

namespace tessera::jobs::train {

enum class Activation { kLinear, kTanh, kRelu, kSigmoid, kSoftmax };

// "linear", "tanh", "relu", "sigmoid", "softmax".
std::string_view activation_name(Activation activation);
// The inverse of activation_name; nullopt for an unknown name.
std::optional<Activation> activation_from_name(std::string_view name);

// f(x) elementwise (softmax over the last dimension).
at::Tensor activate(Activation activation, const at::Tensor& x);

}  // namespace tessera::jobs::train
