#include "optim/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "runtime/error.h"

namespace tessera::optim {

void ScheduleConfig::fields(config::Fields& f) {
  f("kind", kind, "constant, linear (warmup + linear decay) or cosine (warmup + cosine decay)",
    config::one_of({"constant", "linear", "cosine"}));
  f("unit", unit, "what warmup and total count: step or epoch (lr constant within an epoch)",
    config::one_of({"step", "epoch"}));
  f("warmup", warmup, "warmup length in units (lr rises linearly from 0)",
    config::at_least<std::int64_t>(0));
  f("total", total, "decay ends after this many units; 0: the whole run",
    config::at_least<std::int64_t>(0));
  f("final_fraction", final_fraction, "lr at the end of the decay, as a fraction of the base lr",
    config::in_range(0.0, 1.0));
  if (f.parsing() && total > 0 && warmup >= total) {
    f.issue("warmup", "must be < total");
  }
}

LrSchedule::LrSchedule(ScheduleConfig config, double base_lr, std::int64_t run_steps,
                       std::int64_t steps_per_epoch)
    : config_(std::move(config)), base_lr_(base_lr), steps_per_epoch_(std::max<std::int64_t>(1, steps_per_epoch)) {
  const bool epochs = config_.unit == "epoch";
  if (config_.total > 0) {
    total_ = static_cast<double>(config_.total);
  } else {
    total_ = epochs ? std::ceil(static_cast<double>(run_steps) / static_cast<double>(steps_per_epoch_))
                    : static_cast<double>(run_steps);
  }
}

double LrSchedule::multiplier(std::int64_t step) const {
  TESSERA_CHECK(step >= 0, "step {}", step);
  const double t = config_.unit == "epoch" ? static_cast<double>(step / steps_per_epoch_)
                                           : static_cast<double>(step);
  const double w = static_cast<double>(config_.warmup);
  if (t < w) {
    return t / w;
  }
  if (config_.kind == "constant") {
    return 1.0;
  }
  const double f = config_.final_fraction;
  const double span = total_ - w;
  const double progress = span > 0 ? std::clamp((t - w) / span, 0.0, 1.0) : 1.0;
  if (config_.kind == "linear") {
    return f + (1 - f) * (1 - progress);
  }
  return f + (1 - f) * 0.5 * (1 + std::cos(std::numbers::pi * progress));
}

double LrSchedule::lr(std::int64_t step) const { return base_lr_ * multiplier(step); }

}  // namespace tessera::optim
