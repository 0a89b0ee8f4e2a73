#pragma once

// LocoPropConfig: the YAML of a `job: locoprop` run (torch-free).
//
//   job: locoprop
//   data: {train: "...", batch_size: 1000, mode: memory, target: input, ...}
//   model: {kind: autoencoder, layers: [784, 1000, 500, 250, 30], activation: tanh,
//           weight_init: glorot_uniform, bias_init: glorot_uniform}
//   optim: {kind: rmsprop_tf1, lr: 1.0e-5, momentum: 0.999, alpha: 0.9, eps: 1.0e-5}
//   train: {epochs: 100, loss: sigmoid_ce, schedule: {kind: linear, unit: epoch, warmup: 5}}
//   locoprop: {mode: locoprop_m, activation_lr: 10, local_iters: 10, parallel: data}
//
// optim: is each layer's inner optimizer (and the baseline's optimizer in
// mode: bp); its lr, scaled by train.schedule, is the base of the inner
// schedule lr * max(1 - k/K, min_lr_fraction).

#include <string>
#include <vector>

#include "jobs/train/model_config.h"
#include "jobs/train/train_config.h"
#include "jobs/train/train_data_config.h"
#include "optim/optimizer_config.h"
#include "runtime/job.h"

namespace tessera::jobs::locoprop {

struct LocalLossConfig {
  std::string mode = "locoprop_m";  // bp|locoprop_s|locoprop_m
  double activation_lr = 10;        // gamma: targets a - gamma g (S), f(a) - gamma g (M)
  int local_iters = 10;             // K inner steps per layer and outer step
  double min_lr_fraction = 0.25;    // inner lr_k = lr * max(1 - k/K, this)
  double prox_eta = 0;              // proximal term |W - W_t|^2 / (2 eta); 0: off (as the reference code)
  std::string parallel = "data";    // data|layers
  int layer_threads = 1;            // threads solving layers concurrently per rank (0: the training thread)
  double bucket_mb = 25;            // parallel: data — all-reduce buckets of whole layers

  void fields(config::Fields& f);
};

struct LocoPropConfig final : runtime::JobConfig {
  train::TrainDataConfig data;
  train::ModelConfig model;
  optim::OptimizerConfig optim;
  train::TrainConfig train;
  LocalLossConfig locoprop;
  bool plot = true;  // draw plots/ of the run's metrics at the end (needs gnuplot)

  void fields(config::Fields& f) override;
  std::vector<std::string> resume_may_change() const override;
};

}  // namespace tessera::jobs::locoprop
