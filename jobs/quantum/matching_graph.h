#pragma once

// MatchingGraph: the decoding graph of a graphlike detector error model.
// Nodes are detectors plus one boundary node (index num_detectors()); every
// mechanism flipping two detectors is an edge between them, every mechanism
// flipping one is an edge to the boundary. Weights are log((1 - p) / p), so a
// lightest set of edges explaining the fired detectors is a most likely error.
//
// Parallel edges with the same observables merge as independent mechanisms
// (p = p1 (1 - p2) + p2 (1 - p1)); with different observables the more likely
// one is kept (counted in dropped_parallel_edges()). Probabilities >= 1/2 get
// weight 0.
//
// Decoders use integer weights (int_weight): weights scaled so the heaviest
// edge is kIntWeightMax and rounded, which makes path sums exact and matching
// comparisons tie-safe (relative resolution about 1e-4, as PyMatching also
// discretises weights).

#include <cstdint>
#include <span>
#include <vector>

#include "jobs/quantum/detector_error_model.h"

namespace tessera::jobs::quantum {

struct MatchingEdge {
  std::uint32_t a = 0;
  std::uint32_t b = 0;            // == boundary() for a boundary edge
  double probability = 0;
  double weight = 0;              // log((1 - p) / p), >= 0
  std::int32_t int_weight = 0;    // round(weight * weight_scale())
  std::uint64_t observables = 0;
};

class MatchingGraph {
 public:
  static constexpr std::int32_t kIntWeightMax = 1 << 14;

  // Throws ConfigError when a mechanism flips more than two detectors (the
  // model is not graphlike; decompose it first).
  static MatchingGraph from_dem(const DetectorErrorModel& model);

  std::uint32_t num_detectors() const { return num_detectors_; }
  std::uint32_t num_observables() const { return num_observables_; }
  std::uint32_t boundary() const { return num_detectors_; }
  std::uint32_t num_nodes() const { return num_detectors_ + 1; }
  const std::vector<MatchingEdge>& edges() const { return edges_; }
  // Edge indices incident to `node` (a detector or the boundary).
  std::span<const std::uint32_t> incident(std::uint32_t node) const {
    return {incident_.data() + offsets_[node], incident_.data() + offsets_[node + 1]};
  }
  std::uint32_t other(std::uint32_t edge, std::uint32_t node) const {
    return edges_[edge].a == node ? edges_[edge].b : edges_[edge].a;
  }
  double weight_scale() const { return weight_scale_; }
  std::size_t dropped_parallel_edges() const { return dropped_parallel_edges_; }

 private:
  std::uint32_t num_detectors_ = 0;
  std::uint32_t num_observables_ = 0;
  std::vector<MatchingEdge> edges_;
  std::vector<std::uint32_t> offsets_;
  std::vector<std::uint32_t> incident_;
  double weight_scale_ = 1;
  std::size_t dropped_parallel_edges_ = 0;
};

}  // namespace tessera::jobs::quantum
