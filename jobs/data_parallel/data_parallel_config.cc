#include "jobs/data_parallel/data_parallel_config.h"

namespace tessera::jobs::data_parallel {

void DdpConfig::fields(config::Fields& f) {
  f("bucket_mb", bucket_mb, "gradient bucket size in MB (reverse parameter order)", config::positive<double>());
  f("first_bucket_mb", first_bucket_mb, "size of the first bucket in MB (communication starts early)",
    config::positive<double>());
  f("find_unused_parameters", find_unused_parameters,
    "allow parameters that get no gradient in a step (reduced as zeros; else an error naming them)");
}

void DataParallelConfig::fields(config::Fields& f) {
  f("data", data, "training and evaluation data (batch_size is the global batch)");
  f("model", model, "the network");
  f("optim", optim, "the optimizer");
  f("train", train, "the training loop");
  f("ddp", ddp, "gradient all-reduce");
  f("plot", plot, "draw plots/ of the run's metrics at the end (needs gnuplot)");
}

std::vector<std::string> DataParallelConfig::resume_may_change() const {
  return {"train.epochs", "train.steps", "train.log_every", "train.eval_every_steps",
          "train.eval_every_epochs", "train.eval_at_start", "train.eval_train", "train.eval_batch",
          "data.workers", "data.prefetch", "data.prefetch_bytes", "data.on_error", "ddp", "plot"};
}

}  // namespace tessera::jobs::data_parallel
