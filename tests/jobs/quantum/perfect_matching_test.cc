#include "jobs/quantum/perfect_matching.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "runtime/rng.h"

namespace tessera::jobs::quantum {
namespace {

// The best total over all matchings with pairs or the boundary, by brute force.
std::int64_t brute_force(const BoundaryMatchingProblem& p) {
  const int m = p.size();
  std::vector<bool> used(m, false);
  std::function<std::int64_t(int)> best = [&](int i) -> std::int64_t {
    while (i < m && used[i]) {
      ++i;
    }
    if (i == m) {
      return 0;
    }
    used[i] = true;
    std::int64_t result = BoundaryMatchingProblem::kNoPair;
    if (p.boundary(i) != BoundaryMatchingProblem::kNoPair) {
      const std::int64_t rest = best(i + 1);
      if (rest != BoundaryMatchingProblem::kNoPair) {
        result = std::min(result, rest + p.boundary(i));
      }
    }
    for (int j = i + 1; j < m; ++j) {
      if (!used[j] && p.pair(i, j) != BoundaryMatchingProblem::kNoPair) {
        used[j] = true;
        const std::int64_t rest = best(i + 1);
        if (rest != BoundaryMatchingProblem::kNoPair) {
          result = std::min(result, rest + p.pair(i, j));
        }
        used[j] = false;
      }
    }
    used[i] = false;
    return result;
  };
  return best(0);
}

void expect_valid(const BoundaryMatchingProblem& p, const std::vector<int>& partner) {
  ASSERT_EQ(partner.size(), static_cast<std::size_t>(p.size()));
  for (int i = 0; i < p.size(); ++i) {
    if (partner[i] == BoundaryMatchingProblem::kBoundary) {
      EXPECT_NE(p.boundary(i), BoundaryMatchingProblem::kNoPair);
    } else {
      EXPECT_EQ(partner[partner[i]], i);
      EXPECT_NE(p.pair(i, partner[i]), BoundaryMatchingProblem::kNoPair);
    }
  }
}

BoundaryMatchingProblem random_problem(runtime::Rng& rng, int m, int max_cost, double pair_density) {
  BoundaryMatchingProblem p;
  p.reset(m);
  for (int i = 0; i < m; ++i) {
    p.set_boundary(i, static_cast<std::int64_t>(rng.below(max_cost)));
    for (int j = i + 1; j < m; ++j) {
      if (rng.uniform() < pair_density) {
        p.set_pair(i, j, static_cast<std::int64_t>(rng.below(max_cost)));
      }
    }
  }
  return p;
}

TEST(MatchingSolver, SubsetsAndBlossomFindTheBruteForceOptimum) {
  runtime::Rng rng(2024);
  MatchingSolver solver;
  std::vector<int> by_subsets;
  std::vector<int> by_blossom;
  for (int trial = 0; trial < 3000; ++trial) {
    const int m = 1 + static_cast<int>(rng.below(9));
    // Small cost ranges make many ties, the hard case for blossom code.
    const int max_cost = trial % 2 == 0 ? 4 : 1000;
    BoundaryMatchingProblem p = random_problem(rng, m, max_cost, 0.3 + 0.7 * rng.uniform());
    const std::int64_t optimum = brute_force(p);
    solver.solve_by_subsets(p, by_subsets);
    solver.solve_by_blossom(p, by_blossom);
    expect_valid(p, by_subsets);
    expect_valid(p, by_blossom);
    ASSERT_EQ(p.cost(by_subsets), optimum) << "trial " << trial << " m=" << m;
    ASSERT_EQ(p.cost(by_blossom), optimum) << "trial " << trial << " m=" << m;
  }
}

TEST(MatchingSolver, BlossomAgreesWithSubsetsOnLargerClusters) {
  runtime::Rng rng(99);
  MatchingSolver solver;
  std::vector<int> by_subsets;
  std::vector<int> by_blossom;
  for (int trial = 0; trial < 300; ++trial) {
    const int m = 10 + static_cast<int>(rng.below(5));
    BoundaryMatchingProblem p = random_problem(rng, m, trial % 3 == 0 ? 6 : 20000, 0.2 + 0.8 * rng.uniform());
    solver.solve_by_subsets(p, by_subsets);
    solver.solve_by_blossom(p, by_blossom);
    expect_valid(p, by_blossom);
    ASSERT_EQ(p.cost(by_blossom), p.cost(by_subsets)) << "trial " << trial << " m=" << m;
  }
}

TEST(MatchingSolver, MaxWeightMatchingOnGeneralGraphsMatchesBruteForce) {
  runtime::Rng rng(5);
  MatchingSolver solver;
  for (int trial = 0; trial < 1000; ++trial) {
    const int n = 2 + static_cast<int>(rng.below(8));
    std::vector<MatchingSolver::Edge> edges;
    for (int i = 0; i < n; ++i) {
      for (int j = i + 1; j < n; ++j) {
        if (rng.uniform() < 0.5) {
          edges.push_back({i, j, 1 + static_cast<std::int64_t>(rng.below(trial % 2 == 0 ? 3 : 100))});
        }
      }
    }
    const std::vector<int> mate = solver.max_weight_max_cardinality(n, edges);
    // Brute force over edge subsets: best (cardinality, weight).
    std::pair<int, std::int64_t> best{0, 0};
    const std::size_t subsets = std::size_t{1} << edges.size();
    for (std::size_t mask = 0; mask < subsets && edges.size() <= 18; ++mask) {
      std::vector<bool> used(n, false);
      bool ok = true;
      std::pair<int, std::int64_t> value{0, 0};
      for (std::size_t k = 0; k < edges.size() && ok; ++k) {
        if ((mask >> k) & 1) {
          ok = !used[edges[k].i] && !used[edges[k].j];
          used[edges[k].i] = used[edges[k].j] = true;
          value.first += 1;
          value.second += edges[k].w;
        }
      }
      if (ok) {
        best = std::max(best, value);
      }
    }
    if (edges.size() > 18) {
      continue;
    }
    std::pair<int, std::int64_t> got{0, 0};
    for (const auto& e : edges) {
      if (mate[e.i] == e.j) {
        got.first += 1;
        got.second += e.w;
      }
    }
    ASSERT_EQ(got, best) << "trial " << trial;
  }
}

}  // namespace
}  // namespace tessera::jobs::quantum
