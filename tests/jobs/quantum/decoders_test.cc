#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <queue>
#include <set>

#include "jobs/quantum/decoder.h"
#include "jobs/quantum/frame_simulator.h"
#include "jobs/quantum/mwpm_decoder.h"
#include "jobs/quantum/repetition_code.h"
#include "jobs/quantum/union_find_decoder.h"
#include "runtime/error.h"

namespace tessera::jobs::quantum {
namespace {

struct Decoding {
  StabilizerCircuit circuit;
  DetectorErrorModel model;
  MatchingGraph graph;

  explicit Decoding(const RepetitionCode& code)
      : circuit(make_repetition_code_circuit(code)),
        model(DetectorErrorModel::from_circuit(circuit)),
        graph(MatchingGraph::from_dem(model)) {}
};

std::vector<std::uint32_t> xor_sets(const std::vector<const std::vector<std::uint32_t>*>& sets) {
  std::set<std::uint32_t> out;
  for (const auto* s : sets) {
    for (std::uint32_t d : *s) {
      if (!out.erase(d)) {
        out.insert(d);
      }
    }
  }
  return {out.begin(), out.end()};
}

// Calls f(indices) for every subset of {0..n-1} with 1..k members.
void for_each_subset(int n, int k, const std::function<void(const std::vector<int>&)>& f) {
  std::vector<int> chosen;
  std::function<void(int)> rec = [&](int start) {
    if (!chosen.empty()) {
      f(chosen);
    }
    if (static_cast<int>(chosen.size()) == k) {
      return;
    }
    for (int i = start; i < n; ++i) {
      chosen.push_back(i);
      rec(i + 1);
      chosen.pop_back();
    }
  };
  rec(0);
}

TEST(Decoders, NoDetectionMeansNoFlip) {
  Decoding s({.distance = 5, .rounds = 5, .noise = RepetitionCodeNoise::uniform(0.001)});
  for (std::string_view name : decoder_names()) {
    EXPECT_EQ(make_decoder(name, s.graph)->decode({}), 0u) << name;
  }
}

TEST(Decoders, CorrectEveryPatternOfUpToHalfTheDistanceDataErrors) {
  for (int d : {3, 5, 7}) {
    const int r = d == 7 ? 2 : 3;
    Decoding s({.distance = d, .rounds = r, .noise = RepetitionCodeNoise::uniform(0.001)});
    // Data qubit q flipped before round t: the detectors beside it in round t;
    // the observable if q is the last data qubit.
    struct DataError {
      std::vector<std::uint32_t> detectors;
      bool flips_observable;
    };
    std::vector<DataError> sites;
    for (int t = 0; t < r; ++t) {
      for (int q = 0; q < d; ++q) {
        DataError e{{}, q == d - 1};
        if (q > 0) {
          e.detectors.push_back(static_cast<std::uint32_t>(t * (d - 1) + q - 1));
        }
        if (q < d - 1) {
          e.detectors.push_back(static_cast<std::uint32_t>(t * (d - 1) + q));
        }
        // The model has this mechanism (data depolarisation X/Y).
        const bool known = std::any_of(s.model.mechanisms().begin(), s.model.mechanisms().end(),
                                       [&](const ErrorMechanism& m) {
                                         return m.detectors == e.detectors &&
                                                m.observables == (e.flips_observable ? 1u : 0u);
                                       });
        ASSERT_TRUE(known) << "d=" << d << " t=" << t << " q=" << q;
        sites.push_back(std::move(e));
      }
    }
    for (std::string_view name : decoder_names()) {
      auto decoder = make_decoder(name, s.graph);
      int patterns = 0;
      for_each_subset(static_cast<int>(sites.size()), (d - 1) / 2, [&](const std::vector<int>& chosen) {
        std::vector<const std::vector<std::uint32_t>*> sets;
        std::uint64_t actual = 0;
        for (int i : chosen) {
          sets.push_back(&sites[i].detectors);
          actual ^= sites[i].flips_observable ? 1 : 0;
        }
        const std::vector<std::uint32_t> fired = xor_sets(sets);
        ++patterns;
        ASSERT_EQ(decoder->decode(fired), actual) << name << " d=" << d << " pattern of " << chosen.size();
      });
      EXPECT_GT(patterns, 0);
    }
  }
}

TEST(Decoders, MwpmAndUnionFindAgreeOnEverySingleAndPairOfFaults) {
  // Distance 5: any two faults are within half the distance, where MWPM is
  // provably right; union-find must agree with it.
  Decoding s({.distance = 5, .rounds = 3, .noise = RepetitionCodeNoise::uniform(0.001)});
  MwpmDecoder mwpm(s.graph);
  UnionFindDecoder uf(s.graph);
  const auto& m = s.model.mechanisms();
  int checked = 0;
  for_each_subset(static_cast<int>(m.size()), 2, [&](const std::vector<int>& chosen) {
    std::vector<const std::vector<std::uint32_t>*> sets;
    std::uint64_t actual = 0;
    for (int i : chosen) {
      sets.push_back(&m[i].detectors);
      actual ^= m[i].observables;
    }
    const std::vector<std::uint32_t> fired = xor_sets(sets);
    ASSERT_EQ(mwpm.decode(fired), actual);
    ASSERT_EQ(uf.decode(fired), actual);
    ++checked;
  });
  EXPECT_GT(checked, 800);  // 41 mechanisms: 41 singles + 820 pairs
}

// All-pairs shortest paths by plain Dijkstra (no truncation, paths through the
// boundary allowed), then the best matching of the whole fired set by
// brute-force subsets: the weight MWPM must reach.
class ExactReference {
 public:
  explicit ExactReference(const MatchingGraph& g) : g_(g) {
    for (std::uint32_t source = 0; source < g.num_nodes(); ++source) {
      std::vector<std::int64_t> dist(g.num_nodes(), INT64_MAX);
      using Item = std::pair<std::int64_t, std::uint32_t>;
      std::priority_queue<Item, std::vector<Item>, std::greater<>> heap;
      dist[source] = 0;
      heap.emplace(0, source);
      while (!heap.empty()) {
        auto [dv, v] = heap.top();
        heap.pop();
        if (dv != dist[v]) {
          continue;
        }
        for (std::uint32_t e : g.incident(v)) {
          const std::uint32_t u = g.other(e, v);
          if (dv + g.edges()[e].int_weight < dist[u]) {
            dist[u] = dv + g.edges()[e].int_weight;
            heap.emplace(dist[u], u);
          }
        }
      }
      all_.push_back(std::move(dist));
    }
  }

  std::int64_t min_weight(std::span<const std::uint32_t> fired) {
    BoundaryMatchingProblem p;
    p.reset(static_cast<int>(fired.size()));
    for (std::size_t i = 0; i < fired.size(); ++i) {
      p.set_boundary(static_cast<int>(i), all_[fired[i]][g_.boundary()]);
      for (std::size_t j = i + 1; j < fired.size(); ++j) {
        p.set_pair(static_cast<int>(i), static_cast<int>(j), all_[fired[i]][fired[j]]);
      }
    }
    std::vector<int> partner;
    solver_.solve_by_subsets(p, partner);
    return p.cost(partner);
  }

 private:
  const MatchingGraph& g_;
  std::vector<std::vector<std::int64_t>> all_;
  MatchingSolver solver_;
};

TEST(Decoders, MwpmFindsTheMinimumWeightWithEitherExactSolver) {
  Decoding s({.distance = 5, .rounds = 6, .noise = RepetitionCodeNoise::uniform(0.02)});
  ExactReference reference(s.graph);
  MwpmDecoder fast(s.graph);
  MwpmDecoder blossom(s.graph, {.always_blossom = true});
  FrameSimulator sim(s.circuit);
  runtime::Rng rng(77);
  DetectionEvents events;
  int checked = 0;
  int large = 0;
  for (int batch = 0; batch < 4; ++batch) {
    sim.sample(1024, rng, events);
    for (std::size_t shot = 0; shot < events.shots; ++shot) {
      std::span<const std::uint32_t> fired = events.fired(shot);
      if (fired.size() > 14) {
        continue;
      }
      const std::int64_t optimum = reference.min_weight(fired);
      fast.decode(fired);
      blossom.decode(fired);
      ASSERT_EQ(fast.last_weight(), optimum) << "shot with " << fired.size() << " events";
      ASSERT_EQ(blossom.last_weight(), optimum) << "shot with " << fired.size() << " events";
      ++checked;
      large += fired.size() >= 6 ? 1 : 0;
    }
  }
  EXPECT_GT(checked, 3000);
  EXPECT_GT(large, 100);
}

TEST(Decoders, UnknownDecoderNameIsAConfigError) {
  Decoding s({.distance = 3, .rounds = 1, .noise = RepetitionCodeNoise::uniform(0.001)});
  EXPECT_THROW(make_decoder("pymatching", s.graph), ConfigError);
}

}  // namespace
}  // namespace tessera::jobs::quantum
