#pragma once

// The two training strategies compared by the layerwise experiment, run on a
// QnnTrainer (Skolik et al., arXiv 2006.14904, section III):
//
// Layerwise learning (LL)
//   Phase 1: the circuit starts with `start_layers` layers, trained for
//   `epochs_per_step` epochs. Each further step adds `layers_per_step` layers
//   (angles 0, so the circuit's output is unchanged) and trains the start
//   layers plus the newest max_trained_layers - start_layers layers, every
//   other layer frozen, until the circuit has total_layers.
//   Phase 2: the grown circuit is cut into contiguous partitions of
//   ceil(partition_fraction * total_layers) layers; a sweep trains each
//   partition in turn for `epochs_per_partition` epochs with the others
//   frozen. Sweeps repeat until a sweep's mean train loss is not lower than
//   the previous one's (the last phase-1 step's for the first sweep) by at
//   least min_improvement, or max_sweeps sweeps.
//
// Complete-depth learning (CDL)
//   The final circuit, every parameter trained for cdl.epochs epochs, with
//   the same optimizer, loss and shots. Angles start at 0 (cdl.init: zero)
//   or uniformly random (cdl.init: random, set by the kernel).

#include <vector>

#include "jobs/layerwise/layerwise_config.h"
#include "jobs/layerwise/qnn_trainer.h"

namespace tessera::jobs::layerwise {

// One training stage: `epochs` epochs on `depth` layers, training `layers`.
struct Stage {
  int depth = 0;
  std::vector<int> layers;
  int epochs = 0;
  int phase = 0;
};

// LL's phase-1 stages for a circuit of `total_layers` layers. Throws
// ConfigError when new layers would never be trained (max_trained_layers ==
// start_layers < total_layers).
std::vector<Stage> layerwise_phase1(const LayerwiseConfig& ll, int total_layers);
// The partitions of phase 2 (contiguous layer ranges covering all layers).
std::vector<std::vector<int>> layerwise_partitions(const LayerwiseConfig& ll, int total_layers);

// Runs LL (both phases) or CDL on `trainer`, from its start() on.
void run_layerwise(QnnTrainer& trainer, const LayerwiseConfig& ll, int total_layers);
void run_complete_depth(QnnTrainer& trainer, const CompleteDepthConfig& cdl, int total_layers);

// Circuit executions one epoch of `stages` costs per training example
// (1 + 2 * trained parameters), summed: the hardware budget of a schedule.
std::int64_t executions_per_example(const std::vector<Stage>& stages, int qubits);

}  // namespace tessera::jobs::layerwise
