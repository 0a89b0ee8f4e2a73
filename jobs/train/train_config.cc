#include "jobs/train/train_config.h"

namespace tessera::jobs::train {

void TrainConfig::fields(config::Fields& f) {
  f("epochs", epochs, "passes over the training split (used when steps is 0)",
    config::at_least<std::int64_t>(1));
  f("steps", steps, "optimizer steps; 0: epochs x batches per epoch", config::at_least<std::int64_t>(0));
  f("loss", loss, "sigmoid_ce (summed over outputs), softmax_ce or mse; each a mean over the batch",
    config::one_of({"sigmoid_ce", "softmax_ce", "mse"}));
  f("accumulate", accumulate,
    "micro-batches per step: each rank's share of the batch is split k ways (no_sync on all but the last)",
    config::at_least(1));
  f("clip_grad_norm", clip_grad_norm, "clip gradients to this global L2 norm; 0: off",
    config::at_least(0.0));
  f("schedule", schedule, "learning-rate schedule over optim.lr");
  f("log_every", log_every, "steps between metric rows (loss averaged over the ranks)",
    config::at_least<std::int64_t>(1));
  f("eval_every_steps", eval_every_steps, "steps between evaluations; 0: off",
    config::at_least<std::int64_t>(0));
  f("eval_every_epochs", eval_every_epochs, "epochs between evaluations; 0: off",
    config::at_least<std::int64_t>(0));
  f("eval_at_start", eval_at_start, "also evaluate before the first step");
  f("eval_train", eval_train, "evaluations also cover the whole training split");
  f("eval_batch", eval_batch, "samples per evaluation batch per rank; 0: the training share",
    config::at_least<std::int64_t>(0));
}

}  // namespace tessera::jobs::train
