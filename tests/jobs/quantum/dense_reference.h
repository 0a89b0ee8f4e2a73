#pragma once

// Test helpers: random unitaries, random circuits and a dense-matrix
// reference simulator (the whole 2^n x 2^n unitary of each gate, applied by
// a plain matrix-vector product) to check the fast simulators against.

#include <complex>
#include <cstdint>
#include <random>
#include <vector>

#include "jobs/quantum/unitary_gate.h"

namespace tessera::jobs::quantum::testing {

using Complex = std::complex<double>;
using Dense = std::vector<Complex>;  // a state, 2^n amplitudes

// A Haar-ish random unitary of dimension `dim` (Gram-Schmidt of a complex
// Gaussian matrix), row-major.
std::vector<Complex> random_unitary(int dim, std::mt19937_64& rng);

// A random gate on `arity` distinct random qubits of `num_qubits`.
UnitaryGate random_gate(int num_qubits, int arity, std::mt19937_64& rng);

// A random circuit of `gates` gates of 1..max_arity qubits.
UnitaryCircuit random_circuit(int num_qubits, int gates, int max_arity, std::mt19937_64& rng);

// A random normalised state.
Dense random_state(int num_qubits, std::mt19937_64& rng);

// |index> on n qubits.
Dense basis_state(int num_qubits, std::uint64_t index);

// The full 2^n x 2^n unitary of `gate` (row-major), built entry by entry.
std::vector<Complex> dense_unitary(const UnitaryGate& gate, int num_qubits);

// U psi for every gate of `circuit` in turn.
Dense apply_dense(const UnitaryCircuit& circuit, Dense psi);
Dense apply_dense(const UnitaryGate& gate, int num_qubits, Dense psi);

// max_i |a_i - b_i|.
double max_distance(const Dense& a, const Dense& b);

}  // namespace tessera::jobs::quantum::testing
