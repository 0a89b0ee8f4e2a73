#pragma once

// MwpmDecoder: exact minimum-weight perfect matching of the fired detectors
// (with the boundary) under shortest-path distances in the matching graph,
// using the graph's integer weights.
//
// How it stays fast at low noise without giving up exactness:
//  1. Distances to the boundary come from one Dijkstra run. Distances between
//     detectors come from a Dijkstra run per detector, truncated at radius
//     B(a) + max B and kept as a dense band of detector indices; rows are
//     built on first use and reused for every later shot.
//  2. Two fired detectors a, b are worth pairing only if D(a, b) < B(a) + B(b):
//     otherwise sending both to the boundary costs no more. So the optimum
//     splits into independent clusters of detectors linked by such pairs; at
//     p = 1e-3 almost every cluster has one or two members and is decided by a
//     single comparison.
//  3. Larger clusters are solved exactly: by dynamic programming over subsets
//     up to kMaxSubsetCluster members, by the blossom algorithm beyond.
// The bands make this a decoder specialised to graphs whose detectors are
// numbered in time order with local edges, as in repetition and surface-code
// memory experiments: the band width is bounded by the code, not the rounds.
//
// Memory: about 8 bytes x band width per detector that ever fired. Supports
// up to 32 observables.

#include <cstdint>
#include <span>
#include <vector>

#include "jobs/quantum/decoder.h"
#include "jobs/quantum/perfect_matching.h"

namespace tessera::jobs::quantum {

class MwpmDecoder final : public Decoder {
 public:
  static constexpr int kMaxSubsetCluster = 10;

  struct Options {
    // Force the blossom solver for every cluster of 3 or more (tests compare
    // the two exact solvers through this).
    bool always_blossom = false;
  };

  explicit MwpmDecoder(const MatchingGraph& graph) : MwpmDecoder(graph, Options{}) {}
  MwpmDecoder(const MatchingGraph& graph, Options options);

  std::uint64_t decode(std::span<const std::uint32_t> fired) override;

  // The weight (in integer units) of the matching chosen for the last shot.
  std::int64_t last_weight() const { return last_weight_; }

  // Shortest-path distance between detectors a and b within the detector
  // graph when it is below B(a) + B(b), else -1 (pairing is never better than
  // the boundary); and the boundary distance (-1 if unreachable).
  std::int64_t pair_distance(std::uint32_t a, std::uint32_t b);
  std::int64_t boundary_distance(std::uint32_t a) const;

 private:
  struct Entry {
    std::int32_t distance;   // kFar when not within the radius
    std::uint32_t observables;
  };
  struct Row {
    bool built = false;
    std::uint32_t lo = 0;
    std::vector<Entry> entries;  // detectors lo .. lo + size - 1
  };
  static constexpr std::int32_t kFar = INT32_MAX;
  static constexpr std::int64_t kUnreachable = INT64_MAX / 4;

  const Row& row(std::uint32_t a);
  void build_row(std::uint32_t a);
  // The pair entry if a and b are worth pairing, else nullptr.
  const Entry* pair_entry(std::uint32_t a, std::uint32_t b);
  std::uint64_t solve_cluster(std::span<const int> members, std::span<const std::uint32_t> fired);

  const MatchingGraph& graph_;
  Options options_;
  std::vector<std::int64_t> boundary_distance_;
  std::vector<std::uint32_t> boundary_observables_;
  std::int64_t max_boundary_distance_ = 0;
  std::vector<Row> rows_;

  // Dijkstra scratch.
  std::vector<std::int64_t> dist_;
  std::vector<std::uint32_t> obs_;
  std::vector<std::uint32_t> stamp_;
  std::uint32_t generation_ = 0;
  std::vector<std::uint32_t> settled_;

  // Per-shot scratch.
  std::vector<int> cluster_of_;
  std::vector<int> members_;
  std::vector<int> partner_;
  BoundaryMatchingProblem problem_;
  MatchingSolver solver_;
  std::int64_t last_weight_ = 0;
};

}  // namespace tessera::jobs::quantum
