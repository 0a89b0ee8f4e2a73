#include "jobs/quantum/perfect_matching.h"

#include <algorithm>

#include "runtime/error.h"

namespace tessera::jobs::quantum {
namespace {

using Edge = MatchingSolver::Edge;

// Edmonds' weighted matching in the primal-dual form (Galil 1986, section 4):
// vertices carry dual variables u, blossoms z; a stage grows alternating trees
// from every free vertex along tight edges (slack 0), shrinks odd cycles into
// blossoms, augments when two trees meet, and otherwise changes the duals by
// the largest delta that keeps them feasible (four cases). With
// max-cardinality the stage only ends when no augmenting path remains.
// Endpoint p of edge k is vertex edges[k].i for p = 2k, edges[k].j for 2k+1;
// mate[v] and labelend hold endpoints, so p ^ 1 is the far end.
class Blossom {
 public:
  Blossom(int n, const std::vector<Edge>& edges)
      : n_(n),
        edges_(edges),
        endpoint_(2 * edges.size()),
        neighbend_(n),
        mate_(n, -1),
        label_(2 * n, 0),
        labelend_(2 * n, -1),
        inblossom_(n),
        blossomparent_(2 * n, -1),
        blossomchilds_(2 * n),
        blossombase_(2 * n, -1),
        blossomendps_(2 * n),
        bestedge_(2 * n, -1),
        blossombestedges_(2 * n),
        has_bestedges_(2 * n, 0),
        dualvar_(2 * n, 0),
        allowedge_(edges.size(), 0) {
    std::int64_t maxweight = 0;
    for (std::size_t k = 0; k < edges.size(); ++k) {
      endpoint_[2 * k] = edges[k].i;
      endpoint_[2 * k + 1] = edges[k].j;
      neighbend_[edges[k].i].push_back(static_cast<int>(2 * k + 1));
      neighbend_[edges[k].j].push_back(static_cast<int>(2 * k));
      maxweight = std::max(maxweight, edges[k].w);
    }
    for (int v = 0; v < n; ++v) {
      inblossom_[v] = v;
      blossombase_[v] = v;
      dualvar_[v] = maxweight;
    }
    for (int b = 2 * n - 1; b >= n; --b) {
      unusedblossoms_.push_back(b);
    }
  }

  std::vector<int> run() {
    for (int stage = 0; stage < n_; ++stage) {
      std::fill(label_.begin(), label_.end(), 0);
      std::fill(bestedge_.begin(), bestedge_.end(), -1);
      for (int b = n_; b < 2 * n_; ++b) {
        blossombestedges_[b].clear();
        has_bestedges_[b] = 0;
      }
      std::fill(allowedge_.begin(), allowedge_.end(), 0);
      queue_.clear();
      for (int v = 0; v < n_; ++v) {
        if (mate_[v] == -1 && label_[inblossom_[v]] == 0) {
          assign_label(v, 1, -1);
        }
      }
      bool augmented = false;
      for (;;) {
        while (!queue_.empty() && !augmented) {
          const int v = queue_.back();
          queue_.pop_back();
          for (int p : neighbend_[v]) {
            const int k = p / 2;
            const int w = endpoint_[p];
            if (inblossom_[v] == inblossom_[w]) {
              continue;
            }
            std::int64_t kslack = 0;
            if (!allowedge_[k]) {
              kslack = slack(k);
              if (kslack <= 0) {
                allowedge_[k] = 1;
              }
            }
            if (allowedge_[k]) {
              if (label_[inblossom_[w]] == 0) {
                assign_label(w, 2, p ^ 1);
              } else if (label_[inblossom_[w]] == 1) {
                const int base = scan_blossom(v, w);
                if (base >= 0) {
                  add_blossom(base, k);
                } else {
                  augment_matching(k);
                  augmented = true;
                  break;
                }
              } else if (label_[w] == 0) {
                label_[w] = 2;
                labelend_[w] = p ^ 1;
              }
            } else if (label_[inblossom_[w]] == 1) {
              const int b = inblossom_[v];
              if (bestedge_[b] == -1 || kslack < slack(bestedge_[b])) {
                bestedge_[b] = k;
              }
            } else if (label_[w] == 0) {
              if (bestedge_[w] == -1 || kslack < slack(bestedge_[w])) {
                bestedge_[w] = k;
              }
            }
          }
        }
        if (augmented) {
          break;
        }
        // No augmenting path on tight edges: change the duals.
        int deltatype = -1;
        std::int64_t delta = 0;
        int deltaedge = -1;
        int deltablossom = -1;
        for (int v = 0; v < n_; ++v) {
          if (label_[inblossom_[v]] == 0 && bestedge_[v] != -1) {
            const std::int64_t d = slack(bestedge_[v]);
            if (deltatype == -1 || d < delta) {
              delta = d;
              deltatype = 2;
              deltaedge = bestedge_[v];
            }
          }
        }
        for (int b = 0; b < 2 * n_; ++b) {
          if (blossomparent_[b] == -1 && label_[b] == 1 && bestedge_[b] != -1) {
            const std::int64_t d = slack(bestedge_[b]) / 2;
            if (deltatype == -1 || d < delta) {
              delta = d;
              deltatype = 3;
              deltaedge = bestedge_[b];
            }
          }
        }
        for (int b = n_; b < 2 * n_; ++b) {
          if (blossombase_[b] >= 0 && blossomparent_[b] == -1 && label_[b] == 2 &&
              (deltatype == -1 || dualvar_[b] < delta)) {
            delta = dualvar_[b];
            deltatype = 4;
            deltablossom = b;
          }
        }
        if (deltatype == -1) {
          // Maximum cardinality reached: finish with the smallest vertex dual.
          deltatype = 1;
          delta = std::max<std::int64_t>(0, *std::min_element(dualvar_.begin(), dualvar_.begin() + n_));
        }
        for (int v = 0; v < n_; ++v) {
          if (label_[inblossom_[v]] == 1) {
            dualvar_[v] -= delta;
          } else if (label_[inblossom_[v]] == 2) {
            dualvar_[v] += delta;
          }
        }
        for (int b = n_; b < 2 * n_; ++b) {
          if (blossombase_[b] >= 0 && blossomparent_[b] == -1) {
            if (label_[b] == 1) {
              dualvar_[b] += delta;
            } else if (label_[b] == 2) {
              dualvar_[b] -= delta;
            }
          }
        }
        if (deltatype == 1) {
          break;
        }
        if (deltatype == 2) {
          allowedge_[deltaedge] = 1;
          int i = edges_[deltaedge].i;
          if (label_[inblossom_[i]] == 0) {
            i = edges_[deltaedge].j;
          }
          queue_.push_back(i);
        } else if (deltatype == 3) {
          allowedge_[deltaedge] = 1;
          queue_.push_back(edges_[deltaedge].i);
        } else {
          expand_blossom(deltablossom, false);
        }
      }
      if (!augmented) {
        break;
      }
      // End of stage: expand S-blossoms whose dual reached zero.
      for (int b = n_; b < 2 * n_; ++b) {
        if (blossomparent_[b] == -1 && blossombase_[b] >= 0 && label_[b] == 1 && dualvar_[b] == 0) {
          expand_blossom(b, true);
        }
      }
    }
    std::vector<int> mate(n_, -1);
    for (int v = 0; v < n_; ++v) {
      if (mate_[v] >= 0) {
        mate[v] = endpoint_[mate_[v]];
      }
    }
    return mate;
  }

 private:
  static int wrap(int j, std::size_t size) { return j < 0 ? j + static_cast<int>(size) : j; }

  std::int64_t slack(int k) const {
    return dualvar_[edges_[k].i] + dualvar_[edges_[k].j] - 2 * edges_[k].w;
  }

  void leaves(int b, std::vector<int>& out) const {
    if (b < n_) {
      out.push_back(b);
      return;
    }
    for (int t : blossomchilds_[b]) {
      leaves(t, out);
    }
  }

  void assign_label(int w, int t, int p) {
    const int b = inblossom_[w];
    label_[w] = label_[b] = t;
    labelend_[w] = labelend_[b] = p;
    bestedge_[w] = bestedge_[b] = -1;
    if (t == 1) {
      leaves(b, queue_);
    } else if (t == 2) {
      const int base = blossombase_[b];
      assign_label(endpoint_[mate_[base]], 1, mate_[base] ^ 1);
    }
  }

  // Traces back from v and w to find a new blossom's base, or -1 when the
  // two trees are different (an augmenting path).
  int scan_blossom(int v, int w) {
    std::vector<int> path;
    int base = -1;
    while (v != -1 || w != -1) {
      int b = inblossom_[v];
      if ((label_[b] & 4) != 0) {
        base = blossombase_[b];
        break;
      }
      path.push_back(b);
      label_[b] = 5;
      if (labelend_[b] == -1) {
        v = -1;
      } else {
        v = endpoint_[labelend_[b]];
        b = inblossom_[v];
        v = endpoint_[labelend_[b]];
      }
      if (w != -1) {
        std::swap(v, w);
      }
    }
    for (int b : path) {
      label_[b] = 1;
    }
    return base;
  }

  void add_blossom(int base, int k) {
    int v = edges_[k].i;
    int w = edges_[k].j;
    const int bb = inblossom_[base];
    int bv = inblossom_[v];
    int bw = inblossom_[w];
    const int b = unusedblossoms_.back();
    unusedblossoms_.pop_back();
    blossombase_[b] = base;
    blossomparent_[b] = -1;
    blossomparent_[bb] = b;
    std::vector<int>& path = blossomchilds_[b];
    std::vector<int>& endps = blossomendps_[b];
    path.clear();
    endps.clear();
    while (bv != bb) {
      blossomparent_[bv] = b;
      path.push_back(bv);
      endps.push_back(labelend_[bv]);
      v = endpoint_[labelend_[bv]];
      bv = inblossom_[v];
    }
    path.push_back(bb);
    std::reverse(path.begin(), path.end());
    std::reverse(endps.begin(), endps.end());
    endps.push_back(2 * k);
    while (bw != bb) {
      blossomparent_[bw] = b;
      path.push_back(bw);
      endps.push_back(labelend_[bw] ^ 1);
      w = endpoint_[labelend_[bw]];
      bw = inblossom_[w];
    }
    label_[b] = 1;
    labelend_[b] = labelend_[bb];
    dualvar_[b] = 0;
    std::vector<int> members;
    leaves(b, members);
    for (int u : members) {
      if (label_[inblossom_[u]] == 2) {
        queue_.push_back(u);
      }
      inblossom_[u] = b;
    }
    // Best edges from the new blossom to each neighbouring S-blossom.
    std::vector<int> bestedgeto(2 * n_, -1);
    for (int sub : path) {
      std::vector<int> candidates;
      if (has_bestedges_[sub]) {
        candidates = blossombestedges_[sub];
      } else {
        std::vector<int> subleaves;
        leaves(sub, subleaves);
        for (int u : subleaves) {
          for (int p : neighbend_[u]) {
            candidates.push_back(p / 2);
          }
        }
      }
      for (int kk : candidates) {
        int i = edges_[kk].i;
        int j = edges_[kk].j;
        if (inblossom_[j] == b) {
          std::swap(i, j);
        }
        const int bj = inblossom_[j];
        if (bj != b && label_[bj] == 1 && (bestedgeto[bj] == -1 || slack(kk) < slack(bestedgeto[bj]))) {
          bestedgeto[bj] = kk;
        }
      }
      blossombestedges_[sub].clear();
      has_bestedges_[sub] = 0;
      bestedge_[sub] = -1;
    }
    blossombestedges_[b].clear();
    for (int kk : bestedgeto) {
      if (kk != -1) {
        blossombestedges_[b].push_back(kk);
      }
    }
    has_bestedges_[b] = 1;
    bestedge_[b] = -1;
    for (int kk : blossombestedges_[b]) {
      if (bestedge_[b] == -1 || slack(kk) < slack(bestedge_[b])) {
        bestedge_[b] = kk;
      }
    }
  }

  void expand_blossom(int b, bool endstage) {
    const std::vector<int> childs = blossomchilds_[b];
    for (int s : childs) {
      blossomparent_[s] = -1;
      if (s < n_) {
        inblossom_[s] = s;
      } else if (endstage && dualvar_[s] == 0) {
        expand_blossom(s, endstage);
      } else {
        std::vector<int> members;
        leaves(s, members);
        for (int u : members) {
          inblossom_[u] = s;
        }
      }
    }
    if (!endstage && label_[b] == 2) {
      // Relabel the sub-blossoms from the one through which b got its label
      // to the base.
      const std::vector<int>& endps = blossomendps_[b];
      const std::size_t len = childs.size();
      const int entrychild = inblossom_[endpoint_[labelend_[b] ^ 1]];
      int j = static_cast<int>(std::find(childs.begin(), childs.end(), entrychild) - childs.begin());
      int jstep;
      int endptrick;
      if ((j & 1) != 0) {
        j -= static_cast<int>(len);
        jstep = 1;
        endptrick = 0;
      } else {
        jstep = -1;
        endptrick = 1;
      }
      int p = labelend_[b];
      while (j != 0) {
        label_[endpoint_[p ^ 1]] = 0;
        label_[endpoint_[endps[wrap(j - endptrick, len)] ^ endptrick ^ 1]] = 0;
        assign_label(endpoint_[p ^ 1], 2, p);
        allowedge_[endps[wrap(j - endptrick, len)] / 2] = 1;
        j += jstep;
        p = endps[wrap(j - endptrick, len)] ^ endptrick;
        allowedge_[p / 2] = 1;
        j += jstep;
      }
      const int bv = childs[wrap(j, len)];
      label_[endpoint_[p ^ 1]] = label_[bv] = 2;
      labelend_[endpoint_[p ^ 1]] = labelend_[bv] = p;
      bestedge_[bv] = -1;
      j += jstep;
      while (childs[wrap(j, len)] != entrychild) {
        const int sub = childs[wrap(j, len)];
        if (label_[sub] == 1) {
          j += jstep;
          continue;
        }
        std::vector<int> members;
        leaves(sub, members);
        int reached = -1;
        for (int u : members) {
          if (label_[u] != 0) {
            reached = u;
            break;
          }
        }
        if (reached != -1) {
          label_[reached] = 0;
          label_[endpoint_[mate_[blossombase_[sub]]]] = 0;
          assign_label(reached, 2, labelend_[reached]);
        }
        j += jstep;
      }
    }
    label_[b] = labelend_[b] = -1;
    blossomchilds_[b].clear();
    blossomendps_[b].clear();
    blossombase_[b] = -1;
    blossombestedges_[b].clear();
    has_bestedges_[b] = 0;
    bestedge_[b] = -1;
    unusedblossoms_.push_back(b);
  }

  // Swaps matched and unmatched edges along the even path inside blossom b
  // from vertex v to the base, making v the new base.
  void augment_blossom(int b, int v) {
    int t = v;
    while (blossomparent_[t] != b) {
      t = blossomparent_[t];
    }
    if (t >= n_) {
      augment_blossom(t, v);
    }
    std::vector<int>& childs = blossomchilds_[b];
    std::vector<int>& endps = blossomendps_[b];
    const std::size_t len = childs.size();
    const int i = static_cast<int>(std::find(childs.begin(), childs.end(), t) - childs.begin());
    int j = i;
    int jstep;
    int endptrick;
    if ((i & 1) != 0) {
      j -= static_cast<int>(len);
      jstep = 1;
      endptrick = 0;
    } else {
      jstep = -1;
      endptrick = 1;
    }
    while (j != 0) {
      j += jstep;
      t = childs[wrap(j, len)];
      const int p = endps[wrap(j - endptrick, len)] ^ endptrick;
      if (t >= n_) {
        augment_blossom(t, endpoint_[p]);
      }
      j += jstep;
      t = childs[wrap(j, len)];
      if (t >= n_) {
        augment_blossom(t, endpoint_[p ^ 1]);
      }
      mate_[endpoint_[p]] = p ^ 1;
      mate_[endpoint_[p ^ 1]] = p;
    }
    std::rotate(childs.begin(), childs.begin() + i, childs.end());
    std::rotate(endps.begin(), endps.begin() + i, endps.end());
    blossombase_[b] = blossombase_[childs[0]];
  }

  void augment_matching(int k) {
    const int ends[2][2] = {{edges_[k].i, 2 * k + 1}, {edges_[k].j, 2 * k}};
    for (const auto& start : ends) {
      int s = start[0];
      int p = start[1];
      for (;;) {
        const int bs = inblossom_[s];
        if (bs >= n_) {
          augment_blossom(bs, s);
        }
        mate_[s] = p;
        if (labelend_[bs] == -1) {
          break;
        }
        const int t = endpoint_[labelend_[bs]];
        const int bt = inblossom_[t];
        s = endpoint_[labelend_[bt]];
        const int j = endpoint_[labelend_[bt] ^ 1];
        if (bt >= n_) {
          augment_blossom(bt, j);
        }
        mate_[j] = labelend_[bt];
        p = labelend_[bt] ^ 1;
      }
    }
  }

  int n_;
  const std::vector<Edge>& edges_;
  std::vector<int> endpoint_;
  std::vector<std::vector<int>> neighbend_;
  std::vector<int> mate_;
  std::vector<int> label_;
  std::vector<int> labelend_;
  std::vector<int> inblossom_;
  std::vector<int> blossomparent_;
  std::vector<std::vector<int>> blossomchilds_;
  std::vector<int> blossombase_;
  std::vector<std::vector<int>> blossomendps_;
  std::vector<int> bestedge_;
  std::vector<std::vector<int>> blossombestedges_;
  std::vector<char> has_bestedges_;
  std::vector<int> unusedblossoms_;
  std::vector<std::int64_t> dualvar_;
  std::vector<char> allowedge_;
  std::vector<int> queue_;
};

}  // namespace

std::int64_t BoundaryMatchingProblem::cost(const std::vector<int>& partner) const {
  std::int64_t total = 0;
  for (int i = 0; i < m_; ++i) {
    if (partner[i] == kBoundary) {
      total += boundary(i);
    } else if (partner[i] > i) {
      total += pair(i, partner[i]);
    }
  }
  return total;
}

std::vector<int> MatchingSolver::max_weight_max_cardinality(int n, const std::vector<Edge>& edges) {
  if (n == 0) {
    return {};
  }
  Blossom blossom(n, edges);
  return blossom.run();
}

void MatchingSolver::solve_by_subsets(const BoundaryMatchingProblem& problem, std::vector<int>& partner) {
  const int m = problem.size();
  constexpr std::int64_t kInf = BoundaryMatchingProblem::kNoPair;
  const std::size_t states = std::size_t{1} << m;
  dp_.assign(states, kInf);
  dp_[0] = 0;
  // dp[mask]: cheapest way to match exactly the detectors in mask. The lowest
  // member goes to the boundary or pairs with another member.
  for (std::size_t mask = 1; mask < states; ++mask) {
    const int i = __builtin_ctzll(mask);
    const std::size_t rest = mask & (mask - 1);
    std::int64_t best = kInf;
    if (problem.boundary(i) != kInf && dp_[rest] != kInf) {
      best = dp_[rest] + problem.boundary(i);
    }
    for (std::size_t others = rest; others != 0; others &= others - 1) {
      const int j = __builtin_ctzll(others);
      const std::int64_t c = problem.pair(i, j);
      const std::int64_t sub = dp_[rest & ~(std::size_t{1} << j)];
      if (c != kInf && sub != kInf && sub + c < best) {
        best = sub + c;
      }
    }
    dp_[mask] = best;
  }
  TESSERA_CHECK(dp_[states - 1] != kInf, "no feasible matching of {} detectors", m);
  partner.assign(m, BoundaryMatchingProblem::kBoundary);
  std::size_t mask = states - 1;
  while (mask != 0) {
    const int i = __builtin_ctzll(mask);
    const std::size_t rest = mask & (mask - 1);
    if (problem.boundary(i) != kInf && dp_[rest] != kInf && dp_[rest] + problem.boundary(i) == dp_[mask]) {
      mask = rest;
      continue;
    }
    for (std::size_t others = rest; others != 0; others &= others - 1) {
      const int j = __builtin_ctzll(others);
      const std::int64_t c = problem.pair(i, j);
      const std::size_t sub = rest & ~(std::size_t{1} << j);
      if (c != kInf && dp_[sub] != kInf && dp_[sub] + c == dp_[mask]) {
        partner[i] = j;
        partner[j] = i;
        mask = sub;
        break;
      }
    }
  }
}

void MatchingSolver::solve_by_blossom(const BoundaryMatchingProblem& problem, std::vector<int>& partner) {
  const int m = problem.size();
  constexpr std::int64_t kInf = BoundaryMatchingProblem::kNoPair;
  // Nodes 0..m-1 are detectors, m..2m-1 their boundary copies. Detector i
  // meets the boundary through edge i-i'; when i and j pair, their copies
  // pair too (edge i'-j', cost 0), so copies need an edge only where the
  // detectors have one, which keeps the graph as sparse as the pairs.
  // Maximise sum (C - cost) over maximum-cardinality matchings = minimise
  // the cost over perfect matchings.
  std::int64_t max_cost = 0;
  for (int i = 0; i < m; ++i) {
    if (problem.boundary(i) != kInf) {
      max_cost = std::max(max_cost, problem.boundary(i));
    }
    for (int j = i + 1; j < m; ++j) {
      if (problem.pair(i, j) != kInf) {
        max_cost = std::max(max_cost, problem.pair(i, j));
      }
    }
  }
  const std::int64_t c = max_cost + 1;
  edges_.clear();
  for (int i = 0; i < m; ++i) {
    if (problem.boundary(i) != kInf) {
      edges_.push_back(Edge{i, m + i, c - problem.boundary(i)});
    }
    for (int j = i + 1; j < m; ++j) {
      if (problem.pair(i, j) != kInf) {
        edges_.push_back(Edge{i, j, c - problem.pair(i, j)});
        edges_.push_back(Edge{m + i, m + j, c});
      }
    }
  }
  const std::vector<int> mate = max_weight_max_cardinality(2 * m, edges_);
  partner.assign(m, BoundaryMatchingProblem::kBoundary);
  for (int i = 0; i < m; ++i) {
    TESSERA_CHECK(mate[i] >= 0 && (mate[i] < m || mate[i] == m + i), "no perfect matching of {} detectors", m);
    partner[i] = mate[i] < m ? mate[i] : BoundaryMatchingProblem::kBoundary;
  }
}

}  // namespace tessera::jobs::quantum
