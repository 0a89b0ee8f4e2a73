#include "optim/optimizer_config.h"

namespace tessera::optim {

void OptimizerConfig::fields(config::Fields& f) {
  f("kind", kind, "optimizer: sgd, adam, adamw, rmsprop, rmsprop_tf1 (TensorFlow 1's) or adagrad",
    config::one_of({"sgd", "adam", "adamw", "rmsprop", "rmsprop_tf1", "adagrad"}));
  f("lr", lr, "base learning rate (the schedule scales it)", config::at_least(0.0));
  f("momentum", momentum, "sgd, rmsprop, rmsprop_tf1: momentum factor", config::in_range(0.0, 1.0));
  f("nesterov", nesterov, "sgd: Nesterov momentum (needs momentum > 0 and dampening 0)");
  f("dampening", dampening, "sgd: dampening of the momentum", config::in_range(0.0, 1.0));
  f("weight_decay", weight_decay, "L2 penalty (decoupled for adamw); default 0, adamw 0.01",
    config::Rule<std::optional<double>>{"must be >= 0", [](const std::optional<double>& v) {
                                          return !v || *v >= 0;
                                        }});
  f("beta1", beta1, "adam, adamw: first-moment decay", config::in_range(0.0, 1.0));
  f("beta2", beta2, "adam, adamw: second-moment decay", config::in_range(0.0, 1.0));
  f("eps", eps, "term added to the denominator; default 1e-8 (adagrad 1e-10, rmsprop_tf1 1e-5 inside the root)",
    config::Rule<std::optional<double>>{"must be > 0", [](const std::optional<double>& v) {
                                          return !v || *v > 0;
                                        }});
  f("amsgrad", amsgrad, "adam, adamw: AMSGrad variant");
  f("alpha", alpha, "rmsprop, rmsprop_tf1: decay of the squared-gradient average", config::in_range(0.0, 1.0));
  f("centered", centered, "rmsprop: centred variant");
  f("lr_decay", lr_decay, "adagrad: learning-rate decay", config::at_least(0.0));
  f("initial_accumulator", initial_accumulator, "adagrad: starting sum of squares",
    config::at_least(0.0));
  if (f.parsing() && nesterov && (momentum <= 0 || dampening != 0)) {
    f.issue("nesterov", "needs momentum > 0 and dampening 0");
  }
}

}  // namespace tessera::optim
