#include "jobs/quantum/mwpm_decoder.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <queue>

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::jobs::quantum {
namespace {

using Item = std::pair<std::int64_t, std::uint32_t>;  // (distance, node)
using MinHeap = std::priority_queue<Item, std::vector<Item>, std::greater<>>;

int find_root(std::vector<int>& parent, int i) {
  while (parent[i] != i) {
    parent[i] = parent[parent[i]];
    i = parent[i];
  }
  return i;
}

}  // namespace

MwpmDecoder::MwpmDecoder(const MatchingGraph& graph, Options options)
    : graph_(graph), options_(options), rows_(graph.num_detectors()) {
  if (graph.num_observables() > 32) {
    throw ConfigError(fmt::format("the mwpm decoder supports up to 32 observables, the model has {}",
                                  graph.num_observables()));
  }
  const std::uint32_t n = graph.num_nodes();
  dist_.assign(n, kUnreachable);
  obs_.assign(n, 0);
  stamp_.assign(n, 0);
  // Distances to the boundary: one Dijkstra from the boundary node.
  boundary_distance_.assign(graph.num_detectors(), kUnreachable);
  boundary_observables_.assign(graph.num_detectors(), 0);
  std::vector<std::int64_t> dist(n, kUnreachable);
  std::vector<std::uint32_t> obs(n, 0);
  MinHeap heap;
  dist[graph.boundary()] = 0;
  heap.emplace(0, graph.boundary());
  while (!heap.empty()) {
    auto [d, v] = heap.top();
    heap.pop();
    if (d != dist[v]) {
      continue;
    }
    for (std::uint32_t e : graph.incident(v)) {
      const std::uint32_t u = graph.other(e, v);
      const std::int64_t nd = d + graph.edges()[e].int_weight;
      if (nd < dist[u]) {
        dist[u] = nd;
        obs[u] = obs[v] ^ static_cast<std::uint32_t>(graph.edges()[e].observables);
        heap.emplace(nd, u);
      }
    }
  }
  for (std::uint32_t v = 0; v < graph.num_detectors(); ++v) {
    boundary_distance_[v] = dist[v];
    boundary_observables_[v] = obs[v];
    if (dist[v] != kUnreachable) {
      max_boundary_distance_ = std::max(max_boundary_distance_, dist[v]);
    }
  }
}

std::int64_t MwpmDecoder::boundary_distance(std::uint32_t a) const {
  return boundary_distance_[a] == kUnreachable ? -1 : boundary_distance_[a];
}

std::int64_t MwpmDecoder::pair_distance(std::uint32_t a, std::uint32_t b) {
  const Entry* e = pair_entry(a, b);
  return e == nullptr ? -1 : e->distance;
}

const MwpmDecoder::Row& MwpmDecoder::row(std::uint32_t a) {
  if (!rows_[a].built) {
    build_row(a);
  }
  return rows_[a];
}

// Dijkstra from detector a inside the detector graph (never through the
// boundary: such a path costs at least B(a) + B(b), which the boundary option
// already offers), stopping at radius B(a) + max B.
void MwpmDecoder::build_row(std::uint32_t a) {
  const std::int64_t radius = boundary_distance_[a] == kUnreachable
                                  ? kUnreachable
                                  : boundary_distance_[a] + max_boundary_distance_;
  if (++generation_ == 0) {
    std::fill(stamp_.begin(), stamp_.end(), 0);
    generation_ = 1;
  }
  settled_.clear();
  MinHeap heap;
  stamp_[a] = generation_;
  dist_[a] = 0;
  obs_[a] = 0;
  heap.emplace(0, a);
  const std::uint32_t boundary = graph_.boundary();
  while (!heap.empty()) {
    auto [d, v] = heap.top();
    heap.pop();
    if (d != dist_[v] || d >= radius) {
      continue;
    }
    settled_.push_back(v);
    dist_[v] = -d - 1;  // mark settled (negative), keeps the value recoverable
    for (std::uint32_t e : graph_.incident(v)) {
      const std::uint32_t u = graph_.other(e, v);
      if (u == boundary) {
        continue;
      }
      const std::int64_t nd = d + graph_.edges()[e].int_weight;
      if (stamp_[u] != generation_) {
        stamp_[u] = generation_;
        dist_[u] = kUnreachable;
      }
      if (dist_[u] >= 0 && nd < dist_[u]) {
        dist_[u] = nd;
        obs_[u] = obs_[v] ^ static_cast<std::uint32_t>(graph_.edges()[e].observables);
        heap.emplace(nd, u);
      }
    }
  }
  Row& r = rows_[a];
  r.built = true;
  if (settled_.empty()) {
    return;
  }
  const auto [lo, hi] = std::minmax_element(settled_.begin(), settled_.end());
  r.lo = *lo;
  r.entries.assign(*hi - *lo + 1, Entry{kFar, 0});
  for (std::uint32_t v : settled_) {
    const std::int64_t d = -dist_[v] - 1;
    TESSERA_CHECK(d < kFar, "distance {} from detector {} overflows", d, a);
    r.entries[v - r.lo] = Entry{static_cast<std::int32_t>(d), obs_[v]};
  }
}

const MwpmDecoder::Entry* MwpmDecoder::pair_entry(std::uint32_t a, std::uint32_t b) {
  if (a > b) {
    std::swap(a, b);
  }
  const Row& r = row(a);
  if (b < r.lo || b - r.lo >= r.entries.size()) {
    return nullptr;
  }
  const Entry& e = r.entries[b - r.lo];
  if (e.distance == kFar) {
    return nullptr;
  }
  const std::int64_t via_boundary = boundary_distance_[a] == kUnreachable || boundary_distance_[b] == kUnreachable
                                        ? kUnreachable
                                        : boundary_distance_[a] + boundary_distance_[b];
  return e.distance < via_boundary ? &e : nullptr;
}

std::uint64_t MwpmDecoder::decode(std::span<const std::uint32_t> fired) {
  const int k = static_cast<int>(fired.size());
  last_weight_ = 0;
  if (k == 0) {
    return 0;
  }
  auto to_boundary = [this](std::uint32_t d) -> std::uint64_t {
    TESSERA_CHECK(boundary_distance_[d] != kUnreachable,
                  "detector {} fired alone in its cluster but cannot reach the boundary", d);
    last_weight_ += boundary_distance_[d];
    return boundary_observables_[d];
  };
  if (k == 1) {
    return to_boundary(fired[0]);
  }
  if (k == 2) {
    if (const Entry* e = pair_entry(fired[0], fired[1])) {
      last_weight_ = e->distance;
      return e->observables;
    }
    return to_boundary(fired[0]) ^ to_boundary(fired[1]);
  }
  // Clusters: detectors linked by pairs cheaper than their boundary route.
  cluster_of_.resize(k);
  std::iota(cluster_of_.begin(), cluster_of_.end(), 0);
  for (int i = 0; i < k; ++i) {
    for (int j = i + 1; j < k; ++j) {
      if (pair_entry(fired[i], fired[j]) != nullptr) {
        const int ri = find_root(cluster_of_, i);
        const int rj = find_root(cluster_of_, j);
        if (ri != rj) {
          cluster_of_[std::max(ri, rj)] = std::min(ri, rj);
        }
      }
    }
  }
  std::uint64_t predicted = 0;
  for (int root = 0; root < k; ++root) {
    if (find_root(cluster_of_, root) != root) {
      continue;
    }
    members_.clear();
    for (int i = root; i < k; ++i) {
      if (find_root(cluster_of_, i) == root) {
        members_.push_back(i);
      }
    }
    if (members_.size() == 1) {
      predicted ^= to_boundary(fired[members_[0]]);
    } else if (members_.size() == 2) {
      const Entry* e = pair_entry(fired[members_[0]], fired[members_[1]]);
      last_weight_ += e->distance;
      predicted ^= e->observables;
    } else {
      predicted ^= solve_cluster(members_, fired);
    }
  }
  return predicted;
}

std::uint64_t MwpmDecoder::solve_cluster(std::span<const int> members, std::span<const std::uint32_t> fired) {
  const int m = static_cast<int>(members.size());
  problem_.reset(m);
  for (int i = 0; i < m; ++i) {
    const std::uint32_t a = fired[members[i]];
    if (boundary_distance_[a] != kUnreachable) {
      problem_.set_boundary(i, boundary_distance_[a]);
    }
    for (int j = i + 1; j < m; ++j) {
      if (const Entry* e = pair_entry(a, fired[members[j]])) {
        problem_.set_pair(i, j, e->distance);
      }
    }
  }
  if (m <= kMaxSubsetCluster && !options_.always_blossom) {
    solver_.solve_by_subsets(problem_, partner_);
  } else {
    solver_.solve_by_blossom(problem_, partner_);
  }
  last_weight_ += problem_.cost(partner_);
  std::uint64_t predicted = 0;
  for (int i = 0; i < m; ++i) {
    const std::uint32_t a = fired[members[i]];
    if (partner_[i] == BoundaryMatchingProblem::kBoundary) {
      predicted ^= boundary_observables_[a];
    } else if (partner_[i] > i) {
      predicted ^= pair_entry(a, fired[members[partner_[i]]])->observables;
    }
  }
  return predicted;
}

}  // namespace tessera::jobs::quantum
