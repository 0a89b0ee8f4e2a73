#include "jobs/layerwise/layerwise_strategy.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::jobs::layerwise {

std::vector<Stage> layerwise_phase1(const LayerwiseConfig& ll, int total_layers) {
  std::vector<Stage> stages;
  int depth = std::min(ll.start_layers, total_layers);
  std::vector<int> start(static_cast<std::size_t>(depth));
  std::iota(start.begin(), start.end(), 0);
  stages.push_back({depth, start, ll.epochs_per_step, 1});
  const int newest = ll.max_trained_layers - ll.start_layers;
  if (depth < total_layers && newest < 1) {
    throw ConfigError(fmt::format(
        "ll.max_trained_layers = {} leaves no room to train added layers beyond the {} "
        "start layers (must be > start_layers while start_layers < total_layers = {})",
        ll.max_trained_layers,
        ll.start_layers,
        total_layers));
  }
  while (depth < total_layers) {
    depth += std::min(ll.layers_per_step, total_layers - depth);
    std::vector<int> layers = start;
    for (int l = std::max(depth - newest, static_cast<int>(start.size())); l < depth; ++l) {
      layers.push_back(l);
    }
    stages.push_back({depth, layers, ll.epochs_per_step, 1});
  }
  return stages;
}

std::vector<std::vector<int>> layerwise_partitions(const LayerwiseConfig& ll, int total_layers) {
  const int size = std::clamp(
      static_cast<int>(std::ceil(ll.partition_fraction * total_layers - 1e-9)), 1, total_layers);
  std::vector<std::vector<int>> out;
  for (int first = 0; first < total_layers; first += size) {
    std::vector<int> part;
    for (int l = first; l < std::min(total_layers, first + size); ++l) {
      part.push_back(l);
    }
    out.push_back(std::move(part));
  }
  return out;
}

void run_layerwise(QnnTrainer& trainer, const LayerwiseConfig& ll, int total_layers) {
  const std::vector<Stage> phase1 = layerwise_phase1(ll, total_layers);
  double reference = 0;
  for (const Stage& s : phase1) {
    reference = trainer.train(s.depth, s.layers, s.epochs, s.phase);
  }
  const auto partitions = layerwise_partitions(ll, total_layers);
  for (int sweep = 0; sweep < ll.max_sweeps; ++sweep) {
    double loss = 0;
    for (const auto& part : partitions) {
      loss += trainer.train(total_layers, part, ll.epochs_per_partition, 2);
    }
    loss /= static_cast<double>(partitions.size());
    if (loss > reference - ll.min_improvement) {
      break;  // the loss stopped improving
    }
    reference = loss;
  }
}

void run_complete_depth(QnnTrainer& trainer, const CompleteDepthConfig& cdl, int total_layers) {
  std::vector<int> all(static_cast<std::size_t>(total_layers));
  std::iota(all.begin(), all.end(), 0);
  trainer.train(total_layers, all, cdl.epochs, 0);
}

std::int64_t executions_per_example(const std::vector<Stage>& stages, int qubits) {
  std::int64_t total = 0;
  for (const Stage& s : stages) {
    total += static_cast<std::int64_t>(s.epochs) *
             (1 + 2 * static_cast<std::int64_t>(s.layers.size()) * qubits);
  }
  return total;
}

}  // namespace tessera::jobs::layerwise
