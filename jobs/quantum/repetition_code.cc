#include "jobs/quantum/repetition_code.h"

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::jobs::quantum {
namespace {

// Builds one basis's instructions; the X basis swaps each basis-specific gate.
class Builder {
 public:
  explicit Builder(const RepetitionCode& code) : code_(code), x_(code.basis == Basis::kX) {}

  StabilizerCircuit build() {
    const int d = code_.distance;
    std::vector<std::uint32_t> all;
    std::vector<std::uint32_t> data;
    std::vector<std::uint32_t> measure;
    for (int q = 0; q < 2 * d - 1; ++q) {
      all.push_back(static_cast<std::uint32_t>(q));
      (q % 2 == 0 ? data : measure).push_back(static_cast<std::uint32_t>(q));
    }
    StabilizerCircuit c;
    c.append(x_ ? Gate::kRX : Gate::kR, all);
    flip(c, code_.noise.after_reset_flip_probability, all);
    round(c, data, measure, /*first=*/true);
    if (code_.rounds > 1) {
      StabilizerCircuit body;
      round(body, data, measure, /*first=*/false);
      c.append_repeat(static_cast<std::uint64_t>(code_.rounds - 1), std::move(body));
    }
    flip(c, code_.noise.before_measure_flip_probability, data);
    c.append(x_ ? Gate::kMX : Gate::kM, data);
    // Record tail: ... measure results of the last round (d-1), data results (d).
    const auto m = static_cast<std::uint32_t>(d - 1);
    const auto n = static_cast<std::uint32_t>(d);
    for (std::uint32_t j = 0; j < m; ++j) {
      // Data result j is rec[-(n - j)]; measure qubit j's last result is rec[-(n + m - j)].
      c.append(Gate::kDetector, {n - (j + 1), n - j, n + m - j},
               {static_cast<double>(2 * j + 1), 1.0});
    }
    c.append(Gate::kObservableInclude, {1}, {0.0});
    return c;
  }

 private:
  void flip(StabilizerCircuit& c, double p, const std::vector<std::uint32_t>& qubits) const {
    if (p > 0) {
      c.append(x_ ? Gate::kZError : Gate::kXError, qubits, {p});
    }
  }

  void cx_layer(StabilizerCircuit& c, int offset) const {
    // offset 0: data 2j -> measure 2j+1; offset 1: data 2j+2 -> measure 2j+1.
    std::vector<std::uint32_t> pairs;
    for (int j = 0; j < code_.distance - 1; ++j) {
      auto data = static_cast<std::uint32_t>(2 * j + 2 * offset);
      auto measure = static_cast<std::uint32_t>(2 * j + 1);
      if (x_) {
        pairs.insert(pairs.end(), {measure, data});
      } else {
        pairs.insert(pairs.end(), {data, measure});
      }
    }
    c.append(Gate::kCX, pairs);
    if (code_.noise.after_clifford_depolarization > 0) {
      c.append(Gate::kDepolarize2, pairs, {code_.noise.after_clifford_depolarization});
    }
  }

  void round(StabilizerCircuit& c, const std::vector<std::uint32_t>& data,
             const std::vector<std::uint32_t>& measure, bool first) const {
    c.append(Gate::kTick, {});
    if (code_.noise.before_round_data_depolarization > 0) {
      c.append(Gate::kDepolarize1, data, {code_.noise.before_round_data_depolarization});
    }
    cx_layer(c, 0);
    c.append(Gate::kTick, {});
    cx_layer(c, 1);
    c.append(Gate::kTick, {});
    flip(c, code_.noise.before_measure_flip_probability, measure);
    c.append(x_ ? Gate::kMRX : Gate::kMR, measure);
    flip(c, code_.noise.after_reset_flip_probability, measure);
    const auto m = static_cast<std::uint32_t>(measure.size());
    if (!first) {
      c.append(Gate::kShiftCoords, {}, {0.0, 1.0});
    }
    for (std::uint32_t j = 0; j < m; ++j) {
      std::vector<std::uint32_t> recs{m - j};
      if (!first) {
        recs.push_back(2 * m - j);
      }
      c.append(Gate::kDetector, recs, {static_cast<double>(2 * j + 1), 0.0});
    }
  }

  const RepetitionCode& code_;
  bool x_;
};

}  // namespace

std::string_view basis_name(Basis basis) { return basis == Basis::kZ ? "z" : "x"; }

StabilizerCircuit make_repetition_code_circuit(const RepetitionCode& code) {
  if (code.distance < 2) {
    throw ConfigError(fmt::format("repetition code distance {} (must be >= 2)", code.distance));
  }
  if (code.rounds < 1) {
    throw ConfigError(fmt::format("repetition code rounds {} (must be >= 1)", code.rounds));
  }
  return Builder(code).build();
}

}  // namespace tessera::jobs::quantum
