#pragma once

// Trainer: the training loop every training job shares.
//
// Each step: this rank's share of the global batch from the BatchSource,
// split into `accumulate` micro-batches, handed to the StepRunner at the
// schedule's learning rate. Around that: evaluation every N steps/epochs
// (sums reduced over the ranks, so the metrics are those of the whole
// split), metrics every log_every steps (loss averaged over the ranks, lr,
// samples/s, step time, time waiting for data, exposed communication),
// a progress line with ETA on rank 0, checkpoints every N steps, at the end
// and when a stop signal arrives, and exact resume from the newest one.
//
// Collective: every rank constructs and runs its Trainer with the same
// config; all ranks take the same number of steps.

#include <cstdint>
#include <optional>
#include <string_view>
#include <string>
#include <utility>
#include <vector>

#include <c10/core/Device.h>

#include "jobs/train/batch_source.h"
#include "jobs/train/loss.h"
#include "jobs/train/model.h"
#include "jobs/train/step_runner.h"
#include "jobs/train/train_config.h"
#include "optim/lr_schedule.h"
#include "runtime/checkpoint/checkpoint.h"
#include "runtime/job.h"

namespace tessera::jobs::train {

struct TrainerParts {
  Model* model = nullptr;            // evaluated by the trainer, trained by the runner
  StepRunner* runner = nullptr;
  BatchSource* train = nullptr;      // this rank's share of each global batch
  EvalSource* eval = nullptr;        // optional: "eval/..." metrics (the eval split)
  EvalSource* train_eval = nullptr;  // optional: "train_eval/..." metrics (train.eval_train)
  c10::Device device = c10::kCPU;    // where batches go before the step
  std::int64_t global_batch = 0;     // samples per step over all ranks (for samples/s)
  double base_lr = 0;                // optim.lr, scaled by train.schedule
};

struct TrainSummary {
  std::int64_t steps = 0;            // steps completed (including those before a resume)
  std::int64_t resumed_from = -1;    // the checkpoint's step, -1 for a fresh start
  bool stopped = false;              // stopped early by a signal (a checkpoint was written)
  double last_loss = 0;              // mean over ranks of the last logged interval
  std::vector<std::pair<std::string, double>> last_eval;  // "eval/loss", ... of the last evaluation
};

// Logs "trained|stopped after N steps: loss L, eval/... V" (rank 0 calls it).
void log_summary(const TrainSummary& summary);

class Trainer {
 public:
  Trainer(TrainConfig config, TrainerParts parts, runtime::JobContext& context);

  // Resumes if a checkpoint says so, trains to the end or a stop signal.
  TrainSummary run();

  std::int64_t total_steps() const { return total_steps_; }

 private:
  // Sums over the steps since the last metric row (saved in checkpoints, so
  // a resumed run writes the same rows as an uninterrupted one).
  struct Interval {
    std::int64_t steps = 0;
    double loss = 0;        // this rank's step losses
    double step_time = 0;   // seconds
    double data_time = 0;
    double comm_time = 0;
    std::vector<std::pair<std::string, double>> extra;

    std::string encode() const;   // exact (hex floats)
    static Interval decode(std::string_view text);
  };

  void resume(const runtime::Checkpoint& checkpoint);
  void save();
  void take_step();
  void log();
  void evaluate();
  std::vector<double> sum_over_ranks(const std::vector<double>& values);

  TrainConfig config_;
  TrainerParts parts_;
  runtime::JobContext& context_;
  LossKind loss_;
  std::int64_t total_steps_;
  optim::LrSchedule schedule_;
  std::int64_t step_ = 0;
  Interval interval_;
  TrainSummary summary_;
};

}  // namespace tessera::jobs::train
