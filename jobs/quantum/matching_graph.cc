#include "jobs/quantum/matching_graph.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::jobs::quantum {

MatchingGraph MatchingGraph::from_dem(const DetectorErrorModel& model) {
  if (model.num_detectors() >= std::numeric_limits<std::uint32_t>::max()) {
    throw ConfigError(fmt::format("{} detectors are too many for the matching graph", model.num_detectors()));
  }
  MatchingGraph g;
  g.num_detectors_ = static_cast<std::uint32_t>(model.num_detectors());
  g.num_observables_ = model.num_observables();
  const std::uint32_t boundary = g.num_detectors_;
  std::map<std::pair<std::uint32_t, std::uint32_t>, std::size_t> by_ends;
  for (const ErrorMechanism& m : model.mechanisms()) {
    if (m.detectors.empty() || m.probability <= 0) {
      continue;  // invisible to a decoder
    }
    if (m.detectors.size() > 2) {
      throw ConfigError(fmt::format(
          "error mechanism with p={} flips {} detectors (D{}, D{}, D{}, ...); matching decoders "
          "need every mechanism to flip at most two",
          m.probability, m.detectors.size(), m.detectors[0], m.detectors[1], m.detectors[2]));
    }
    const std::uint32_t a = m.detectors[0];
    const std::uint32_t b = m.detectors.size() == 2 ? m.detectors[1] : boundary;
    auto [it, inserted] = by_ends.try_emplace({a, b}, g.edges_.size());
    if (inserted) {
      g.edges_.push_back(MatchingEdge{a, b, m.probability, 0, 0, m.observables});
      continue;
    }
    MatchingEdge& e = g.edges_[it->second];
    if (e.observables == m.observables) {
      e.probability = e.probability * (1 - m.probability) + m.probability * (1 - e.probability);
    } else {
      ++g.dropped_parallel_edges_;
      if (m.probability > e.probability) {
        e.probability = m.probability;
        e.observables = m.observables;
      }
    }
  }
  double max_weight = 0;
  for (MatchingEdge& e : g.edges_) {
    const double p = std::min(e.probability, 0.5);
    e.weight = std::log((1 - p) / p);
    max_weight = std::max(max_weight, e.weight);
  }
  g.weight_scale_ = max_weight > 0 ? kIntWeightMax / max_weight : 1.0;
  for (MatchingEdge& e : g.edges_) {
    e.int_weight = static_cast<std::int32_t>(std::lround(e.weight * g.weight_scale_));
  }
  // Incidence lists (CSR).
  g.offsets_.assign(g.num_nodes() + 1, 0);
  for (const MatchingEdge& e : g.edges_) {
    ++g.offsets_[e.a + 1];
    ++g.offsets_[e.b + 1];
  }
  for (std::uint32_t v = 0; v < g.num_nodes(); ++v) {
    g.offsets_[v + 1] += g.offsets_[v];
  }
  g.incident_.resize(g.offsets_.back());
  std::vector<std::uint32_t> cursor(g.offsets_.begin(), g.offsets_.end() - 1);
  for (std::uint32_t i = 0; i < g.edges_.size(); ++i) {
    g.incident_[cursor[g.edges_[i].a]++] = i;
    g.incident_[cursor[g.edges_[i].b]++] = i;
  }
  return g;
}

}  // namespace tessera::jobs::quantum
