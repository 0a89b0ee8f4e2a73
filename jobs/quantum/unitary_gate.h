#pragma once

// UnitaryGate: a unitary on 1..kMaxGateQubits qubits, the unit every
// state-vector simulator in this folder applies (StateVector,
// DistributedStateVector, SubspaceState), and the factories for the gates the
// photon and layerwise jobs use.
//
// Conventions (the same as Cirq's):
//   - `matrix` is row-major, 2^k x 2^k, in double precision;
//   - qubits[0] is the most significant bit of the matrix index, so for a
//     two-qubit gate on (a, b) row 2*bit_a + bit_b;
//   - in a state vector, qubit q is bit q of the basis index (little-endian),
//     as in qsim: |q1 q0> = |1 0> is index 2.

#include <complex>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tessera::jobs::quantum {

using Complex = std::complex<double>;

// The most qubits a gate (a fused one included) may act on.
inline constexpr int kMaxGateQubits = 4;

struct UnitaryGate {
  std::vector<int> qubits;       // distinct, 1..kMaxGateQubits of them
  std::vector<Complex> matrix;   // row-major 2^k x 2^k, qubits[0] most significant
  std::string name;              // "fsim", "rx", "fused", ... (for messages only)

  int arity() const { return static_cast<int>(qubits.size()); }
  int dimension() const { return 1 << arity(); }
  Complex at(int row, int col) const { return matrix[static_cast<std::size_t>(row * dimension() + col)]; }
};

// Throws InternalError unless the gate has 1..kMaxGateQubits distinct qubits in
// [0, num_qubits) and a matrix of the right size (unitarity is not checked).
void check_gate(const UnitaryGate& gate, int num_qubits);

// The conjugate transpose (same qubits): undoes `gate`.
UnitaryGate adjoint(const UnitaryGate& gate);

// True if the gate maps every basis state to states with the same number of
// 1s among its qubits (it conserves photon number): every matrix entry
// between rows and columns of different Hamming weight is below `tolerance`.
bool conserves_number(const UnitaryGate& gate, double tolerance = 1e-12);

// True if every off-diagonal entry is below `tolerance`.
bool is_diagonal(const UnitaryGate& gate, double tolerance = 1e-12);

// --- single-qubit gates -------------------------------------------------
UnitaryGate x_gate(int q);
UnitaryGate y_gate(int q);
UnitaryGate z_gate(int q);
UnitaryGate h_gate(int q);
// Rx(t) = exp(-i t X / 2), and likewise Ry, Rz = diag(e^{-it/2}, e^{it/2}).
UnitaryGate rx_gate(int q, double theta);
UnitaryGate ry_gate(int q, double theta);
UnitaryGate rz_gate(int q, double theta);
// diag(1, e^{i phi}).
UnitaryGate phase_gate(int q, double phi);
// Any 2x2 matrix, row-major.
UnitaryGate matrix_gate(int q, std::span<const Complex> matrix_2x2, std::string name = "matrix1");

// --- two-qubit gates ----------------------------------------------------
// diag(1, 1, 1, -1).
UnitaryGate cz_gate(int a, int b);
UnitaryGate cnot_gate(int control, int target);
// fSim(theta, phi), Cirq's convention:
//   [[1, 0, 0, 0], [0, cos t, -i sin t, 0], [0, -i sin t, cos t, 0], [0, 0, 0, e^{-i phi}]]
UnitaryGate fsim_gate(int a, int b, double theta, double phi);
// Any 4x4 matrix, row-major, a the most significant bit.
UnitaryGate matrix_gate(int a, int b, std::span<const Complex> matrix_4x4, std::string name = "matrix2");

// A sequence of gates on `num_qubits` qubits, applied in order.
struct UnitaryCircuit {
  int num_qubits = 0;
  std::vector<UnitaryGate> gates;

  // Appends after check_gate(gate, num_qubits).
  void add(UnitaryGate gate);
  // Appends every gate of `other` (same num_qubits).
  void append(const UnitaryCircuit& other);
  // Number of gates on exactly `k` qubits.
  std::int64_t count_arity(int k) const;
};

}  // namespace tessera::jobs::quantum
