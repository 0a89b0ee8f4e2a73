#pragma once

// TrainConfig: the `train:` section of a training job (torch-free).
//
//   train:
//     epochs: 10            # or steps: 5000
//     loss: sigmoid_ce      # sigmoid_ce | softmax_ce | mse
//     accumulate: 2         # micro-batches per step (same global batch, half the memory)
//     clip_grad_norm: 1.0   # global L2 norm; 0: off
//     schedule: {kind: cosine, warmup: 100}
//     log_every: 10         # steps between metric rows
//     eval_every_epochs: 1  # and/or eval_every_steps

#include <cstdint>
#include <string>

#include "optim/lr_schedule.h"
#include "runtime/config/fields.h"

namespace tessera::jobs::train {

struct TrainConfig {
  std::int64_t epochs = 1;             // passes over the training split (when steps is 0)
  std::int64_t steps = 0;              // optimizer steps; 0: epochs x batches per epoch
  std::string loss = "softmax_ce";     // sigmoid_ce|softmax_ce|mse
  int accumulate = 1;                  // micro-batches per step, each rank's share split k ways
  double clip_grad_norm = 0;           // clip gradients to this global L2 norm; 0: off
  optim::ScheduleConfig schedule;      // learning-rate schedule over the base optim.lr
  std::int64_t log_every = 10;         // steps between metric rows (loss averaged over ranks)
  std::int64_t eval_every_steps = 0;   // steps between evaluations; 0: off
  std::int64_t eval_every_epochs = 1;  // epochs between evaluations; 0: off
  bool eval_at_start = false;          // evaluate before the first step too
  bool eval_train = false;             // evaluations also cover the whole training split
  std::int64_t eval_batch = 0;         // samples per evaluation batch per rank; 0: the training share

  void fields(config::Fields& f);
};

}  // namespace tessera::jobs::train
