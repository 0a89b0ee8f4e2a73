#pragma once

// The repetition-code memory experiment of Stim's generated circuits
// (`stim gen --code repetition_code --task memory`), in both bases.
//
// Layout: d data qubits on even indices 0, 2, ..., 2(d-1) and d-1 measure
// qubits on odd indices between them. Each round: CX from every data qubit to
// its right measure neighbour, then from every data qubit to its left one,
// then measure-and-reset of the measure qubits. After r rounds every data qubit
// is measured. Detectors compare consecutive results of each measure qubit (the
// first round against the reset value, the last against the parity of the two
// neighbouring final data results); detector index = round * (d-1) + j for
// measure qubit 2j+1, with coordinates (2j+1, round). Observable 0 is the last
// data qubit's final result.
//
// Basis kZ is the bit-flip code (ZZ checks). Basis kX is the phase-flip code:
// the same circuit conjugated by Hadamards (RX/MX/MRX, CX reversed, Z_ERROR
// for the flip channels).
//
// Noise, with the meaning of Stim's generator flags (0 leaves a channel out):
//   after_clifford_depolarization      DEPOLARIZE2 after every CX layer
//   before_measure_flip_probability    flip before every measurement
//   after_reset_flip_probability       flip after every reset
//   before_round_data_depolarization   DEPOLARIZE1 on data qubits at each round's start

#include <string>
#include <string_view>

#include "jobs/quantum/stabilizer_circuit.h"

namespace tessera::jobs::quantum {

enum class Basis { kZ, kX };

std::string_view basis_name(Basis basis);  // "z" or "x"

struct RepetitionCodeNoise {
  double after_clifford_depolarization = 0;
  double before_measure_flip_probability = 0;
  double after_reset_flip_probability = 0;
  double before_round_data_depolarization = 0;

  // All four knobs set to `p`.
  static RepetitionCodeNoise uniform(double p) { return {p, p, p, p}; }
};

struct RepetitionCode {
  int distance = 3;       // data qubits, >= 2
  int rounds = 1;         // measurement rounds, >= 1
  Basis basis = Basis::kZ;
  RepetitionCodeNoise noise;
};

// Throws ConfigError when distance < 2, rounds < 1 or a probability is
// outside its channel's range.
StabilizerCircuit make_repetition_code_circuit(const RepetitionCode& code);

}  // namespace tessera::jobs::quantum
