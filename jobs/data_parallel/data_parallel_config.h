#pragma once

// DataParallelConfig: the YAML of a `job: data_parallel` run.
//
//   job: data_parallel
//   data: {train: "...", eval: "...", fields: {image: npy, label: cls}, batch_size: 1000, shuffle: 5000}
//   model: {kind: autoencoder, layers: [784, 1000, 500, 250, 30], activation: tanh}
//   optim: {kind: rmsprop, lr: 1.0e-4}
//   train: {epochs: 10, loss: sigmoid_ce}
//   ddp: {bucket_mb: 25}
//
// Torch-free, so `tessera validate` and `tessera jobs` need no tensors.

#include <string>
#include <vector>

#include "jobs/train/model_config.h"
#include "jobs/train/train_config.h"
#include "jobs/train/train_data_config.h"
#include "optim/optimizer_config.h"
#include "runtime/job.h"

namespace tessera::jobs::data_parallel {

struct DdpConfig {
  double bucket_mb = 25;        // gradient bucket size in MB (buckets in reverse parameter order)
  double first_bucket_mb = 1;   // the first bucket, small so communication starts early
  bool find_unused_parameters = false;  // allow parameters that get no gradient (reduced as zeros)

  void fields(config::Fields& f);
};

struct DataParallelConfig final : runtime::JobConfig {
  train::TrainDataConfig data;
  train::ModelConfig model;
  optim::OptimizerConfig optim;
  train::TrainConfig train;
  DdpConfig ddp;
  bool plot = true;             // draw plots/ of the run's metrics at the end (needs gnuplot)

  void fields(config::Fields& f) override;
  // Run length, logging, evaluation, data reading threads and bucketing may
  // change on resume; what is trained and how may not.
  std::vector<std::string> resume_may_change() const override;
};

}  // namespace tessera::jobs::data_parallel
