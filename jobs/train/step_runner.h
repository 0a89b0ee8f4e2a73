#pragma once

// StepRunner: one optimizer step of a training method.
//
// The Trainer owns the loop (data, schedule, evaluation, metrics, progress,
// checkpoints, signals) and hands each step's micro-batches to a StepRunner:
// BackpropStep for data-parallel training, LocoProp's local solves, MoE's
// step with its auxiliary losses. A runner saves and restores the state it
// owns (model and optimizer state) with the rest of a checkpoint.

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "jobs/train/batch.h"

namespace tessera::runtime {
class CheckpointState;
class Checkpoint;
}  // namespace tessera::runtime

namespace tessera::jobs::train {

struct StepResult {
  double loss = 0;                  // this rank's mean training loss over its share of the step
  double comm_seconds = 0;          // exposed communication: waiting on it after compute
  std::vector<std::pair<std::string, double>> extra;  // more per-step metrics (grad_norm, ...)
};

class StepRunner {
 public:
  virtual ~StepRunner() = default;
  // One step over this rank's `micro_batches` (equal sizes, already on the
  // training device) at learning rate `lr`.
  virtual StepResult step(std::span<const Batch> micro_batches, double lr) = 0;
  // Adds the runner's state (parameters, optimizer state) to a checkpoint.
  virtual void save(runtime::CheckpointState& state) = 0;
  // Restores what save() wrote.
  virtual void load(const runtime::Checkpoint& checkpoint) = 0;
};

}  // namespace tessera::jobs::train
