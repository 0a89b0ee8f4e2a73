#include "jobs/locoprop/locoprop_config.h"

namespace tessera::jobs::locoprop {

void LocalLossConfig::fields(config::Fields& f) {
  f("mode", mode, "bp (backprop, the baseline), locoprop_s (squared local loss) or locoprop_m (matching loss)",
    config::one_of({"bp", "locoprop_s", "locoprop_m"}));
  f("activation_lr", activation_lr, "gamma: the step of the targets a - gamma g (S) or f(a) - gamma g (M)",
    config::positive<double>());
  f("local_iters", local_iters, "K: inner steps per layer and outer step", config::at_least(1));
  f("min_lr_fraction", min_lr_fraction, "inner schedule lr * max(1 - k/K, this)", config::in_range(0.0, 1.0));
  f("prox_eta", prox_eta, "proximal term |W - W_t|^2 / (2 eta) in the local loss; 0: off", config::at_least(0.0));
  f("parallel", parallel,
    "data (each inner step's gradients all-reduced) or layers (layers owned by ranks, weights broadcast)",
    config::one_of({"data", "layers"}));
  f("layer_threads", layer_threads, "threads solving layers concurrently on each rank (0: the training thread)",
    config::at_least(0));
  f("bucket_mb", bucket_mb, "parallel: data — all-reduce bucket size in MB (whole layers)",
    config::positive<double>());
}

void LocoPropConfig::fields(config::Fields& f) {
  f("data", data, "training and evaluation data (batch_size is the global batch)");
  f("model", model, "the network: kind mlp or autoencoder (a stack of dense layers)");
  f("optim", optim, "each layer's inner optimizer (rmsprop_tf1 as the reference code), and bp's optimizer");
  f("train", train, "the training loop (train.accumulate must be 1)");
  f("locoprop", locoprop, "local losses and how they are distributed");
  f("plot", plot, "draw plots/ of the run's metrics at the end (needs gnuplot)");
  if (!f.parsing()) {
    return;
  }
  if (model.kind == "cnn") {
    f.issue("model", "locoprop needs a stack of dense layers (kind mlp or autoencoder)");
  }
  if (train.accumulate != 1) {
    f.issue("train", "accumulate must be 1 for locoprop (each rank's share is solved whole)");
  }
}

std::vector<std::string> LocoPropConfig::resume_may_change() const {
  return {"train.epochs", "train.steps", "train.log_every", "train.eval_every_steps",
          "train.eval_every_epochs", "train.eval_at_start", "train.eval_train", "train.eval_batch",
          "data.workers", "data.prefetch", "data.prefetch_bytes", "data.on_error",
          "locoprop.layer_threads", "locoprop.bucket_mb", "plot"};
}

}  // namespace tessera::jobs::locoprop
