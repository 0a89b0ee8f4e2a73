#pragma once

// UnionFindDecoder: the almost-linear-time decoder of Delfosse & Nickerson
// ("Almost-linear time decoding algorithm for topological codes", Quantum 5,
// 595, 2021), with weighted growth on the matching graph.
//
// Every fired detector starts a cluster. Odd clusters (an odd number of fired
// detectors and no contact with the boundary) grow all their frontier edges
// at the same speed; an edge whose growth reaches its weight joins the
// clusters at its ends; a cluster touching the boundary is neutral. When no
// odd cluster is left, each cluster is peeled: a spanning tree of its grown
// edges (rooted at the boundary if it touches it) is walked from the leaves,
// and the edge above every detector that is still lit goes into the
// correction. Growth advances by the smallest step that completes an edge, in
// the graph's integer weights, so the cost is proportional to the edges the
// clusters touch.
//
// Not a minimum-weight decoder: it can pick a heavier correction than MWPM,
// but corrects every error of weight below half the distance in uniformly
// weighted graphs.

#include <cstdint>
#include <span>
#include <vector>

#include "jobs/quantum/decoder.h"

namespace tessera::jobs::quantum {

class UnionFindDecoder final : public Decoder {
 public:
  explicit UnionFindDecoder(const MatchingGraph& graph);

  std::uint64_t decode(std::span<const std::uint32_t> fired) override;

 private:
  static constexpr std::int32_t kNone = -1;

  std::int32_t find(std::int32_t v);
  bool active(std::int32_t root) const { return odd_[root] != 0 && boundary_edge_[root] == kNone; }
  // Adds detector u (not in any cluster) to the cluster of `root`.
  void absorb(std::int32_t root, std::uint32_t u);
  void merge(std::int32_t a, std::int32_t b);
  std::uint64_t peel(std::int32_t root);

  const MatchingGraph& graph_;
  std::vector<std::int32_t> parent_;          // per detector: union-find parent, kNone outside clusters
  std::vector<std::uint32_t> size_;           // per root
  std::vector<std::uint8_t> odd_;             // per root: odd number of lit detectors
  std::vector<std::int32_t> boundary_edge_;   // per root: a grown edge to the boundary, or kNone
  std::vector<std::vector<std::uint32_t>> frontier_;  // per root: edges that may still grow
  std::vector<std::uint8_t> lit_;             // per detector: fired, then flipped while peeling
  std::vector<std::int32_t> growth_;          // per edge
  std::vector<std::uint32_t> members_;        // detectors in some cluster this shot
  std::vector<std::uint32_t> grown_edges_;    // edges with growth > 0 this shot
  std::vector<std::int32_t> roots_;
  std::vector<std::uint32_t> completed_;
  // Peeling scratch.
  std::vector<std::uint32_t> visit_stamp_;
  std::uint32_t stamp_ = 0;
  std::vector<std::uint32_t> order_;
  std::vector<std::int32_t> parent_edge_;     // per detector during peeling
};

}  // namespace tessera::jobs::quantum
