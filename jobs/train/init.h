#pragma once

// Parameter initializers beyond LibTorch's defaults.
//
// glorot_uniform (Glorot & Bengio 2010, Keras' default): U(-l, l) with
// l = sqrt(6 / (fan_in + fan_out)). For a 1-D tensor (a bias) fan_in =
// fan_out = n, so l = sqrt(3 / n): what Keras does when a bias is given the
// glorot initializer, as the LocoProp reference code does.

#include <torch/nn/module.h>

namespace tessera::jobs::train {

enum class WeightInit { kDefault, kGlorotUniform };
enum class BiasInit { kDefault, kZeros, kGlorotUniform };

// Fills `tensor` in place from U(-l, l) as above, with torch's default generator.
void glorot_uniform_(torch::Tensor tensor);

// Applies the initializers to every Linear and Conv2d in `module` (the
// parameters named "weight" and "bias"); kDefault leaves LibTorch's values.
void initialize(torch::nn::Module& module, WeightInit weights, BiasInit biases);

}  // namespace tessera::jobs::train
