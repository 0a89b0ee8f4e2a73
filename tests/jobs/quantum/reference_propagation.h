#pragma once

// A deliberately naive single-shot Pauli propagation through a
// StabilizerCircuit (one bool per qubit and component, loops walked one
// iteration at a time), independent of the bit-packed engine. Tests use it
// as the ground truth for the detector error model and the sampler.

#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "jobs/quantum/stabilizer_circuit.h"

namespace tessera::jobs::quantum::testing {

// One place a noise channel acts: a target (or pair) of one execution of a
// noise instruction, in execution order.
struct NoiseSite {
  Gate gate;
  double probability;
  std::uint32_t qubit0;
  std::uint32_t qubit1;  // DEPOLARIZE2 only
};

struct Outcome {
  std::vector<int> detectors;  // 0 or 1 each (int: GCC 12 misreports memcmp on bytes)
  std::uint64_t observables = 0;
  bool operator<(const Outcome& o) const {
    return std::tie(detectors, observables) < std::tie(o.detectors, o.observables);
  }
  bool operator==(const Outcome& o) const = default;
};

// Every noise site with p > 0.
std::vector<NoiseSite> noise_sites(const StabilizerCircuit& circuit);

// Runs the circuit with `faults` (site index -> Pauli code: 1 X, 2 Z, 3 Y for
// one qubit; 4 * first + second for two) and no other noise.
Outcome propagate(const StabilizerCircuit& circuit, const std::map<std::size_t, unsigned>& faults);

}  // namespace tessera::jobs::quantum::testing
