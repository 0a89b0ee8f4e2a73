#include "jobs/train/train_data_config.h"

namespace tessera::jobs::train {

void TrainDataConfig::fields(config::Fields& f) {
  loader.fields(f);
  f("mode", mode,
    "memory: load the split, DistributedSampler order (N ranks follow 1 rank step by step); "
    "stream: each rank streams its shards",
    config::one_of({"memory", "stream"}));
  f("input", input, "the output of `fields` that holds the model input", config::not_empty());
  f("label", label, "the output of `fields` that holds the label (target: label)");
  f("target", target, "label (classifiers) or input (autoencoders)", config::one_of({"label", "input"}));
  f("scale", scale, "inputs become float32 times this (1/255 maps bytes to [0, 1])", config::positive<double>());
  if (f.parsing() && target == "label" && label.empty()) {
    f.issue("label", "must name an output of `fields` when target is label");
  }
}

}  // namespace tessera::jobs::train
