#pragma once

// DetectorErrorModel: every independent error mechanism of a noisy circuit,
// with the detectors and observables it flips and its probability — the
// input of matching decoders, in the vocabulary of Stim's .dem format.
//
// Built by propagating each possible Pauli fault (each outcome of each noise
// channel at each place it is applied, loops unrolled) through the noiseless
// circuit with the bit-packed frame engine, one fault per shot lane.
// Depolarising channels are split exactly into independent Pauli mechanisms
// (DEPOLARIZE1(p): X, Y, Z each with q = (1 - sqrt(1 - 4p/3)) / 2;
// DEPOLARIZE2(p): 15 Paulis each with q = (1 - (1 - 16p/15)^(1/8)) / 2), so
// sampling the model is exact, not an approximation. Mechanisms with the same
// symptoms are merged: p = p1 (1 - p2) + p2 (1 - p1); mechanisms with no
// symptom are dropped.
//
// from_circuit() first checks that every detector and observable is
// deterministic without noise and throws ConfigError naming the first that is
// not.

#include <cstdint>
#include <string>
#include <vector>

#include "jobs/quantum/stabilizer_circuit.h"

namespace tessera::jobs::quantum {

struct ErrorMechanism {
  double probability = 0;
  std::vector<std::uint32_t> detectors;  // ascending, distinct
  std::uint64_t observables = 0;         // bit i: flips observable i

  bool operator==(const ErrorMechanism&) const = default;
};

class DetectorErrorModel {
 public:
  DetectorErrorModel() = default;
  DetectorErrorModel(std::uint64_t num_detectors, std::uint32_t num_observables,
                     std::vector<ErrorMechanism> mechanisms,
                     std::vector<std::vector<double>> detector_coordinates = {});

  static DetectorErrorModel from_circuit(const StabilizerCircuit& circuit);

  std::uint64_t num_detectors() const { return num_detectors_; }
  std::uint32_t num_observables() const { return num_observables_; }
  // Sorted by (detectors, observables).
  const std::vector<ErrorMechanism>& mechanisms() const { return mechanisms_; }
  // DETECTOR coordinates with SHIFT_COORDS applied; empty rows if none given.
  const std::vector<std::vector<double>>& detector_coordinates() const { return coordinates_; }

  // The probability that detector d fires in a shot: an odd number of the
  // mechanisms touching it happen, (1 - prod(1 - 2 p_i)) / 2.
  std::vector<double> detector_probabilities() const;
  // The same for observable i.
  double observable_probability(std::uint32_t observable) const;

  // Stim's .dem text, flat: "error(p) D0 D1 L0" lines, then "detector(x, t) Dk".
  std::string to_stim() const;

 private:
  std::uint64_t num_detectors_ = 0;
  std::uint32_t num_observables_ = 0;
  std::vector<ErrorMechanism> mechanisms_;
  std::vector<std::vector<double>> coordinates_;
};

// Independent per-Pauli probability of DEPOLARIZE1(p) and DEPOLARIZE2(p).
double depolarize1_independent_probability(double p);
double depolarize2_independent_probability(double p);

}  // namespace tessera::jobs::quantum
