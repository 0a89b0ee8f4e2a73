#pragma once

// Exact minimum-weight matchings for the MWPM decoder.
//
// BoundaryMatchingProblem: m fired detectors; each is either paired with
// another (cost pair(i, j), or no pair allowed) or matched to the boundary
// (cost boundary(i)). Minimising the total cost is minimum-weight perfect
// matching on the fired detectors plus boundary copies.
//
// Two exact solvers:
//  - solve_by_subsets: dynamic programming over subsets, O(2^m m); the fastest
//    for the small clusters that low noise produces.
//  - solve_by_blossom: Edmonds' blossom algorithm with dual variables
//    (Edmonds 1965; the O(n^3) primal-dual form of Galil, "Efficient
//    algorithms for finding maximum matching in graphs", ACM Computing Surveys
//    1986), on the 2m-node graph with one boundary copy per detector.
// Both return an optimum (ties broken arbitrarily) with integer costs, so their
// totals agree exactly. Not thread-safe: a solver keeps scratch buffers.

#include <cstdint>
#include <limits>
#include <vector>

namespace tessera::jobs::quantum {

class BoundaryMatchingProblem {
 public:
  static constexpr std::int64_t kNoPair = std::numeric_limits<std::int64_t>::max();
  static constexpr int kBoundary = -1;

  void reset(int m) {
    m_ = m;
    pair_.assign(static_cast<std::size_t>(m) * m, kNoPair);
    boundary_.assign(m, kNoPair);
  }
  int size() const { return m_; }
  void set_pair(int i, int j, std::int64_t cost) {
    pair_[i * m_ + j] = cost;
    pair_[j * m_ + i] = cost;
  }
  void set_boundary(int i, std::int64_t cost) { boundary_[i] = cost; }
  std::int64_t pair(int i, int j) const { return pair_[i * m_ + j]; }
  std::int64_t boundary(int i) const { return boundary_[i]; }

  // Total cost of `partner` (partner[i] = j or kBoundary).
  std::int64_t cost(const std::vector<int>& partner) const;

 private:
  int m_ = 0;
  std::vector<std::int64_t> pair_;
  std::vector<std::int64_t> boundary_;
};

class MatchingSolver {
 public:
  // partner[i] = the detector i is paired with, or kBoundary. Every detector
  // must have a finite boundary cost or a feasible pairing must exist; throws
  // InternalError otherwise.
  void solve_by_subsets(const BoundaryMatchingProblem& problem, std::vector<int>& partner);
  void solve_by_blossom(const BoundaryMatchingProblem& problem, std::vector<int>& partner);

  // Maximum-weight matching of maximum cardinality on a general graph (edges
  // i-j with integer weight w): mate[v] or -1. Exposed for tests.
  struct Edge {
    int i;
    int j;
    std::int64_t w;
  };
  std::vector<int> max_weight_max_cardinality(int n, const std::vector<Edge>& edges);

 private:
  std::vector<std::int64_t> dp_;
  std::vector<Edge> edges_;
};

}  // namespace tessera::jobs::quantum
