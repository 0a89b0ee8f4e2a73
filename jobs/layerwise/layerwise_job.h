#pragma once

// The `layerwise` job kind: layerwise learning (LL) of quantum neural
// networks against complete-depth learning (CDL) under shot noise, as a
// distributed, resumable sweep (Skolik et al., "Layerwise learning for
// quantum neural networks", arXiv 2006.14904).
//
//   job: layerwise
//   data:  {classes: [1, 9], size: 3, encoding: binary, train_examples: 100, test_examples: 200}
//   model: {total_layers: 21, shots: 10}
//   ll:    {start_layers: 1, layers_per_step: 2, max_trained_layers: 3, epochs_per_step: 10}
//   cdl:   {epochs: 36}
//   sweep:
//     grid: {strategy: [ll, cdl], lr: [0.01, 0.05, 0.1], seed: [0, 1, 2, 3]}
//
// Every grid point is one training run (layerwise_kernel.h), spread over the
// ranks by the sweep engine (jobs/sweep: results.h5 with every run's curves,
// results.csv, resume after a kill, stop on SIGTERM). At the end rank 0
// writes analysis.txt (layerwise_analysis.h: successes, mean final test
// errors, estimated hardware wall-clock per configuration) and
// test_error_vs_wallclock.png into the run directory.

#include <memory>

#include "jobs/layerwise/layerwise_config.h"
#include "jobs/sweep/sweep_config.h"
#include "runtime/job.h"
#include "runtime/job_registry.h"

namespace tessera::jobs::layerwise {

struct LayerwiseJobConfig final : runtime::JobConfig {
  DataConfig data;
  ModelConfig model;
  TrainConfig train;
  LayerwiseConfig ll;
  CompleteDepthConfig cdl;
  OutputConfig layerwise;
  sweep::SweepConfig sweep;

  LayerwiseJobConfig();
  void fields(config::Fields& f) override;
  // Tasks carry every setting that shapes their numbers in their identity,
  // so any section may change: changed settings make new tasks, finished
  // ones are kept and not rerun.
  std::vector<std::string> resume_may_change() const override {
    return {"sweep", "data", "model", "train", "ll", "cdl", "layerwise"};
  }

 private:
  std::shared_ptr<const sweep::SweepKernel> validator_;  // describe() only, for sweep.kernel
};

class LayerwiseJob final : public runtime::Job {
 public:
  explicit LayerwiseJob(const LayerwiseJobConfig& config) : config_(config) {}
  void run(runtime::JobContext& context) override;

 private:
  LayerwiseJobConfig config_;
};

void register_layerwise(runtime::JobRegistry& registry);

}  // namespace tessera::jobs::layerwise
