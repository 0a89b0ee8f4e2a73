#include "jobs/quantum/union_find_decoder.h"

#include <algorithm>
#include <limits>

#include "runtime/error.h"

namespace tessera::jobs::quantum {

UnionFindDecoder::UnionFindDecoder(const MatchingGraph& graph)
    : graph_(graph),
      parent_(graph.num_detectors(), kNone),
      size_(graph.num_detectors(), 0),
      odd_(graph.num_detectors(), 0),
      boundary_edge_(graph.num_detectors(), kNone),
      frontier_(graph.num_detectors()),
      lit_(graph.num_detectors(), 0),
      growth_(graph.edges().size(), 0),
      visit_stamp_(graph.num_detectors(), 0),
      parent_edge_(graph.num_detectors(), kNone) {}

std::int32_t UnionFindDecoder::find(std::int32_t v) {
  std::int32_t root = v;
  while (parent_[root] != root) {
    root = parent_[root];
  }
  while (parent_[v] != root) {
    const std::int32_t next = parent_[v];
    parent_[v] = root;
    v = next;
  }
  return root;
}

void UnionFindDecoder::absorb(std::int32_t root, std::uint32_t u) {
  parent_[u] = root;
  ++size_[root];
  members_.push_back(u);
  for (std::uint32_t e : graph_.incident(u)) {
    frontier_[root].push_back(e);
  }
}

void UnionFindDecoder::merge(std::int32_t a, std::int32_t b) {
  if (size_[a] < size_[b]) {
    std::swap(a, b);
  }
  parent_[b] = a;
  size_[a] += size_[b];
  odd_[a] ^= odd_[b];
  if (boundary_edge_[a] == kNone) {
    boundary_edge_[a] = boundary_edge_[b];
  }
  frontier_[a].insert(frontier_[a].end(), frontier_[b].begin(), frontier_[b].end());
  frontier_[b].clear();
}

std::uint64_t UnionFindDecoder::decode(std::span<const std::uint32_t> fired) {
  if (fired.empty()) {
    return 0;
  }
  const std::uint32_t boundary = graph_.boundary();
  const auto& edges = graph_.edges();
  for (std::uint32_t d : fired) {
    const auto v = static_cast<std::int32_t>(d);
    parent_[v] = v;
    size_[v] = 1;
    odd_[v] = 1;
    boundary_edge_[v] = kNone;
    lit_[v] = 1;
    members_.push_back(d);
    frontier_[v].assign(graph_.incident(d).begin(), graph_.incident(d).end());
  }

  // Growth.
  for (;;) {
    roots_.clear();
    for (std::uint32_t d : fired) {
      const std::int32_t r = find(static_cast<std::int32_t>(d));
      if (active(r) && std::find(roots_.begin(), roots_.end(), r) == roots_.end()) {
        roots_.push_back(r);
      }
    }
    if (roots_.empty()) {
      break;
    }
    // The smallest step that completes a frontier edge; drop edges that are
    // grown or internal on the way.
    std::int64_t step = std::numeric_limits<std::int64_t>::max();
    for (std::int32_t r : roots_) {
      std::vector<std::uint32_t>& front = frontier_[r];
      for (std::size_t i = 0; i < front.size();) {
        const MatchingEdge& e = edges[front[i]];
        const std::int32_t ca = parent_[e.a] == kNone ? kNone : find(static_cast<std::int32_t>(e.a));
        const std::int32_t cb =
            e.b == boundary || parent_[e.b] == kNone ? kNone : find(static_cast<std::int32_t>(e.b));
        if (growth_[front[i]] >= e.int_weight || (ca == r && cb == r)) {
          front[i] = front.back();
          front.pop_back();
          continue;
        }
        const std::int32_t rother = ca == r ? cb : ca;
        const std::int64_t remaining = e.int_weight - growth_[front[i]];
        const int rate = 1 + (rother != kNone && rother != r && active(rother) ? 1 : 0);
        step = std::min(step, (remaining + rate - 1) / rate);
        ++i;
      }
    }
    if (step == std::numeric_limits<std::int64_t>::max()) {
      // Odd clusters with nowhere to grow: the syndrome cannot be explained.
      TESSERA_CHECK(false, "union-find: an odd cluster has no edge left to grow");
    }
    completed_.clear();
    for (std::int32_t r : roots_) {
      for (std::uint32_t e : frontier_[r]) {
        if (growth_[e] == 0) {
          grown_edges_.push_back(e);
        }
        const bool was_short = growth_[e] < edges[e].int_weight;
        growth_[e] = static_cast<std::int32_t>(std::min<std::int64_t>(growth_[e] + step, edges[e].int_weight));
        if (was_short && growth_[e] >= edges[e].int_weight) {
          completed_.push_back(e);
        }
      }
    }
    for (std::uint32_t ei : completed_) {
      const MatchingEdge& e = edges[ei];
      if (e.b == boundary) {
        const std::int32_t r = find(static_cast<std::int32_t>(e.a));
        if (boundary_edge_[r] == kNone) {
          boundary_edge_[r] = static_cast<std::int32_t>(ei);
        }
        continue;
      }
      const bool a_in = parent_[e.a] != kNone;
      const bool b_in = parent_[e.b] != kNone;
      if (a_in && b_in) {
        const std::int32_t ra = find(static_cast<std::int32_t>(e.a));
        const std::int32_t rb = find(static_cast<std::int32_t>(e.b));
        if (ra != rb) {
          merge(ra, rb);
        }
      } else if (a_in) {
        absorb(find(static_cast<std::int32_t>(e.a)), e.b);
      } else if (b_in) {
        absorb(find(static_cast<std::int32_t>(e.b)), e.a);
      }
    }
  }

  // Peeling, one cluster at a time.
  std::uint64_t predicted = 0;
  if (++stamp_ == 0) {
    std::fill(visit_stamp_.begin(), visit_stamp_.end(), 0);
    stamp_ = 1;
  }
  for (std::uint32_t d : members_) {
    const std::int32_t r = find(static_cast<std::int32_t>(d));
    if (visit_stamp_[r] != stamp_) {
      predicted ^= peel(r);
    }
  }

  // Reset what this shot touched.
  for (std::uint32_t d : members_) {
    parent_[d] = kNone;
    lit_[d] = 0;
    frontier_[d].clear();
    boundary_edge_[d] = kNone;
    odd_[d] = 0;
    size_[d] = 0;
  }
  members_.clear();
  for (std::uint32_t e : grown_edges_) {
    growth_[e] = 0;
  }
  grown_edges_.clear();
  return predicted;
}

// Spanning tree of the cluster's grown edges by breadth-first search, then
// leaves first: a lit detector pushes its light (and its edge's observables)
// to its parent. Rooted at the boundary when the cluster touches it.
std::uint64_t UnionFindDecoder::peel(std::int32_t root) {
  const std::uint32_t boundary = graph_.boundary();
  const auto& edges = graph_.edges();
  std::uint32_t start = static_cast<std::uint32_t>(root);
  std::int32_t start_edge = kNone;
  if (boundary_edge_[root] != kNone) {
    start_edge = boundary_edge_[root];
    start = edges[start_edge].a;
  }
  order_.clear();
  order_.push_back(start);
  visit_stamp_[start] = stamp_;
  parent_edge_[start] = start_edge;
  for (std::size_t i = 0; i < order_.size(); ++i) {
    const std::uint32_t v = order_[i];
    for (std::uint32_t e : graph_.incident(v)) {
      const std::uint32_t u = graph_.other(e, v);
      if (u == boundary || growth_[e] < edges[e].int_weight || visit_stamp_[u] == stamp_ ||
          parent_[u] == kNone) {
        continue;
      }
      visit_stamp_[u] = stamp_;
      parent_edge_[u] = static_cast<std::int32_t>(e);
      order_.push_back(u);
    }
  }
  std::uint64_t predicted = 0;
  for (std::size_t i = order_.size(); i-- > 0;) {
    const std::uint32_t v = order_[i];
    if (lit_[v] == 0 || parent_edge_[v] == kNone) {
      continue;
    }
    const MatchingEdge& e = edges[parent_edge_[v]];
    predicted ^= e.observables;
    lit_[v] = 0;
    const std::uint32_t up = e.a == v ? e.b : e.a;
    if (up != boundary) {
      lit_[up] ^= 1;
    }
  }
  return predicted;
}

}  // namespace tessera::jobs::quantum
