#pragma once

// LrSchedule: the learning rate as a pure function of training progress.
//
//   schedule: {kind: constant}
//   schedule: {kind: linear, warmup: 500, final_fraction: 0}     # warmup + linear decay
//   schedule: {kind: cosine, unit: epoch, warmup: 5, total: 100}  # per-epoch steps
//
// With t the index of the step being taken (or of its epoch, for unit: epoch),
// w = warmup and T = total (0: the length of the run), the multiplier of the
// base learning rate is
//   t < w          t / w                        (linear warmup from 0)
//   constant       1
//   linear         f + (1 - f) * (T - t) / (T - w)
//   cosine         f + (1 - f) * (1 + cos(pi * (t - w) / (T - w))) / 2
// clamped to [f, 1] after warmup, f = final_fraction. The value depends only
// on (t, steps_per_epoch), so resuming needs no schedule state beyond the step.
// Torch-free.

#include <cstdint>
#include <string>

#include "runtime/config/fields.h"

namespace tessera::optim {

struct ScheduleConfig {
  std::string kind = "constant";  // constant|linear|cosine
  std::string unit = "step";      // what warmup and total count: step|epoch
  std::int64_t warmup = 0;        // warmup length in `unit`s (lr rises linearly from 0)
  std::int64_t total = 0;         // decay length in `unit`s; 0: the whole run
  double final_fraction = 0;      // lr at the end of the decay, as a fraction of the base lr

  void fields(config::Fields& f);
};

class LrSchedule {
 public:
  // `run_steps` is the length of the run in steps (used when total is 0);
  // `steps_per_epoch` converts steps to epochs for unit: epoch.
  LrSchedule(ScheduleConfig config, double base_lr, std::int64_t run_steps,
             std::int64_t steps_per_epoch);

  // The learning rate for 0-based step `step`.
  double lr(std::int64_t step) const;
  // The multiplier of the base learning rate for 0-based step `step`.
  double multiplier(std::int64_t step) const;
  double base_lr() const { return base_lr_; }

 private:
  ScheduleConfig config_;
  double base_lr_;
  std::int64_t steps_per_epoch_;
  double total_;  // in units
};

}  // namespace tessera::optim
