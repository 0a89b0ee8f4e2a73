#pragma once

// The `locoprop_sweep` job kind: a grid of whole training runs (method x
// learning rate, ...) as one sweep, to compare LocoProp-M, LocoProp-S and
// backprop each at its best learning rate, as the paper does.
//
//   job: locoprop_sweep
//   data: ... model: ... optim: ... train: ... locoprop: ...   (as job: locoprop)
//   sweep:
//     grid:
//       - {mode: [bp], lr: [1.0e-4, 3.0e-4, 1.0e-3]}
//       - {mode: [locoprop_s, locoprop_m], lr: [1.0e-5, 3.0e-5, 1.0e-4]}
//
// Each grid point (keys: mode, lr, and optionally activation_lr, local_iters)
// is one task: a whole training run on ONE rank (no communication; the
// layers still run on locoprop.layer_threads), from the same initial weights
// and the same batch order for every point, evaluated on the whole training
// and eval splits after every epoch. The sweep engine hands tasks to ranks as
// they free up, so `mpirun -np 2` runs two trainings at a time; results.h5
// keeps each task's curves (train_loss, eval_loss, train_seconds per epoch,
// entry 0 before training), and an interrupted sweep resumes with finished
// runs kept. At the end rank 0 writes analysis.txt (every run, the best
// learning rate per mode, whether LocoProp-M < LocoProp-S < bp holds) and
// train_loss.png (the best run of each mode against epoch and wall-clock).
// A run whose train loss turns NaN or exceeds 1000 stops early (NaN after).

#include <string>
#include <vector>

#include "jobs/locoprop/locoprop_config.h"
#include "jobs/sweep/sweep_config.h"
#include "runtime/job.h"
#include "runtime/job_registry.h"

namespace tessera::jobs::locoprop {

struct LocoPropSweepConfig final : runtime::JobConfig {
  train::TrainDataConfig data;
  train::ModelConfig model;
  optim::OptimizerConfig optim;
  train::TrainConfig train;
  LocalLossConfig locoprop;
  sweep::SweepConfig sweep;
  bool plot = true;

  void fields(config::Fields& f) override;
  std::vector<std::string> resume_may_change() const override { return {"sweep", "plot"}; }
};

class LocoPropSweepJob final : public runtime::Job {
 public:
  explicit LocoPropSweepJob(const LocoPropSweepConfig& config) : config_(config) {}
  void run(runtime::JobContext& context) override;

 private:
  LocoPropSweepConfig config_;
};

// Adds the `locoprop_sweep` job kind.
void register_locoprop_sweep(runtime::JobRegistry& registry);

}  // namespace tessera::jobs::locoprop
