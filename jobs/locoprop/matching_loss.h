#pragma once

// The local problems of LocoProp (Amid, Anil, Warmuth, AISTATS 2022).
//
// Layer m sees its input x (frozen from the forward pass) and a target built
// from the global loss's gradient g = dL/da with respect to its
// pre-activation a, with step gamma (activation_lr):
//
//   LocoProp-S  target a - gamma g,     local loss 1/2 |z - target|^2,  z = x W^T + b
//   LocoProp-M  target f(a) - gamma g,  local loss the Bregman divergence
//               ("matching loss") of the layer's transfer function f:
//                 linear   1/2 (z - t)^2          sigmoid  softplus(z) - t z (logistic)
//                 tanh     log cosh z - t z       relu     1/2 relu(z)^2 - t z
//                 softmax  logsumexp(z) - t . z   (KL up to a constant)
//
// Both gradients with respect to z are residuals: z - target (S) and
// f(z) - target (M); the solver needs only these, never the loss values
// (targets may leave f's range, where the constant term is undefined).
// matching_loss() evaluates the formulas above, without the constant, so
// tests can compare its autograd gradient with local_residual().

#include <optional>
#include <string_view>

#include <ATen/core/Tensor.h>

#include "jobs/train/activation.h"
#include "jobs/train/loss.h"

namespace tessera::jobs::locoprop {

enum class Mode { kBackprop, kLocoPropS, kLocoPropM };

// "bp", "locoprop_s", "locoprop_m".
std::string_view mode_name(Mode mode);
std::optional<Mode> mode_from_name(std::string_view name);

// The transfer function LocoProp-M matches for a layer. For the last layer of
// a model whose output is logits (linear) the global loss supplies it, as in
// the reference code: sigmoid for sigmoid_ce, softmax for softmax_ce (mse:
// linear). Other layers use their own activation.
train::Activation matching_activation(train::Activation layer_activation, bool last_layer, train::LossKind loss);

// The layer's target from its pre-activation `a`, the global gradient `g` =
// dL/da and activation_lr `gamma`: a - gamma g (S) or f(a) - gamma g (M).
at::Tensor local_target(Mode mode, train::Activation f, const at::Tensor& a, const at::Tensor& g, double gamma);

// d(local loss)/dz per example: z - target (S) or f(z) - target (M).
at::Tensor local_residual(Mode mode, train::Activation f, const at::Tensor& z, const at::Tensor& target);

// The matching loss of f at z against target t, summed over every element,
// without the term that depends only on t (see above).
at::Tensor matching_loss(train::Activation f, const at::Tensor& z, const at::Tensor& t);

}  // namespace tessera::jobs::locoprop
