#pragma once

// LayerwiseKernel: one QNN training run per sweep task (jobs/sweep).
//
// Grid keys (each overrides the config default of the same meaning):
//   strategy   ll | cdl                       (default ll)
//   lr         Adam step size > 0             (default train.lr)
//   seed       integer >= 0: the circuit (its random rotation axes) (default 0)
//   shots      integer >= 0                   (default model.shots)
// A task's canonical parameters hold these plus everything else that makes
// its numbers (data, model, optimizer and the strategy's schedule), so a
// changed setting makes new tasks and finished ones are never rerun; the
// same seed gives LL and CDL the same circuit. Training randomness (shot
// noise, batch order) comes from the chunk seed, fixed per task.
//
// A task is one chunk of one "shot" (one training run); its arrays, one entry
// per evaluation (entry 0: the untrained circuit, then one per epoch):
//   epoch, phase (0 CDL, 1/2 LL phases), depth, trained_parameters,
//   train_loss, test_error (predictions from `shots` shots),
//   test_error_exact (exact <Z>), executions (circuit executions so far)
// plus `parameters`, the final angles; custom counts `executions`, `epochs`.

#include <memory>

#include "jobs/layerwise/image_pair.h"
#include "jobs/layerwise/layerwise_config.h"
#include "jobs/sweep/sweep_kernel.h"

namespace tessera::jobs::layerwise {

// Everything a training run depends on besides its grid point.
struct LayerwiseSetup {
  DataConfig data;
  ModelConfig model;
  TrainConfig train;
  LayerwiseConfig ll;
  CompleteDepthConfig cdl;
};

// A task's settings, read back from its canonical parameters.
struct RunPoint {
  std::string strategy;  // "ll" | "cdl"
  double lr = 0;
  std::uint64_t seed = 0;
  std::int64_t shots = 0;
};

class LayerwiseKernel final : public sweep::SweepKernel {
 public:
  explicit LayerwiseKernel(LayerwiseSetup setup) : setup_(std::move(setup)) {}

  // Throws ConfigError for an unknown key or a bad value.
  sweep::TaskDescription describe(const nlohmann::json& point) const override;
  // One chunk of one run for every task.
  sweep::TaskLimits limits(
      const sweep::TaskDescription& task, const sweep::TaskLimits& configured) const override;
  sweep::ChunkResult run_chunk(const sweep::Task& task, const sweep::Chunk& chunk) override;

  static RunPoint point(const nlohmann::json& params);
  const LayerwiseSetup& setup() const { return setup_; }

 private:
  const ImagePair& data();

  LayerwiseSetup setup_;
  std::unique_ptr<ImagePair> data_;  // loaded on first use
};

}  // namespace tessera::jobs::layerwise
