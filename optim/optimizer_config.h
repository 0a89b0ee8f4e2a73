#pragma once

// OptimizerConfig: the `optim:` section of a training job.
//
//   optim: {kind: rmsprop, lr: 1.0e-4}
//   optim: {kind: sgd, lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 5.0e-4}
//   optim: {kind: adamw, lr: 3.0e-4, beta2: 0.95}
//
// Each kind maps onto the torch::optim class of the same name, with LibTorch's
// defaults where a field is left out (eps and weight_decay differ by kind, so
// they are optional here). Torch-free, so configs can be listed and validated
// without LibTorch.

#include <optional>
#include <string>

#include "runtime/config/fields.h"

namespace tessera::optim {

struct OptimizerConfig {
  std::string kind = "sgd";                  // sgd|adam|adamw|rmsprop|rmsprop_tf1|adagrad
  double lr = 1e-2;                          // base learning rate (the schedule scales it)
  double momentum = 0;                       // sgd, rmsprop: momentum factor
  bool nesterov = false;                     // sgd: Nesterov momentum (needs momentum > 0, dampening 0)
  double dampening = 0;                      // sgd: dampening of the momentum
  std::optional<double> weight_decay;        // L2 (decoupled for adamw); default: 0 (adamw: 0.01)
  double beta1 = 0.9;                        // adam, adamw: first-moment decay
  double beta2 = 0.999;                      // adam, adamw: second-moment decay
  std::optional<double> eps;                 // denominator term; default: 1e-8 (adagrad: 1e-10)
  bool amsgrad = false;                      // adam, adamw: AMSGrad variant
  double alpha = 0.99;                       // rmsprop: decay of the squared-gradient average
  bool centered = false;                     // rmsprop: centred (variance-normalised) variant
  double lr_decay = 0;                       // adagrad: learning-rate decay
  double initial_accumulator = 0;            // adagrad: starting value of the sum of squares

  void fields(config::Fields& f);
};

}  // namespace tessera::optim
