#pragma once

// CircuitPlan: a parametrized circuit bound to fixed parameters and cut into
// fused segments, the form adjoint_gradient.h and parameter_shift.h walk.
//
// Every trainable rotation R_k on qubit q has an insertion point: the last op
// j >= k such that no op in (k, j] touches q. A Pauli on q commutes with
// those ops, so anything inserted right after R_k (its derivative
// (-i/2) P R_k, or the extra P of a pi shift) may equally be inserted after
// op j. In a layer of rotations followed by an entangler, all the layer's
// rotations share the point after its last rotation. The plan cuts the
// circuit at these points only, and fuses the gates of each piece
// (gate_fuser.h), so the evaluators make few passes over the states and
// stop only where they must.

#include <span>
#include <vector>

#include "jobs/quantum/parametrized_circuit.h"

namespace tessera::jobs::quantum {

struct PauliInsertion {
  int parameter = 0;
  int qubit = 0;
  Axis axis = Axis::kX;
};

struct CircuitPlan {
  int num_qubits = 0;
  // Applied in order, the segments are the whole circuit (fused).
  std::vector<UnitaryCircuit> segments;
  // The inverse of each segment (adjoint gates in reverse order).
  std::vector<UnitaryCircuit> inverses;
  // insertions[s]: the trainable rotations whose point is the end of segment s.
  std::vector<std::vector<PauliInsertion>> insertions;
};

// `trainable`: one flag per parameter, or empty for all. `fuse_qubits`: 0 for
// no fusion, else gate_fuser's max_fused_qubits.
CircuitPlan make_circuit_plan(
    const ParametrizedCircuit& circuit,
    std::span<const double> parameters,
    std::span<const char> trainable,
    int fuse_qubits);

// out = P_q in, for one state of 2^n amplitudes (in and out distinct).
template <class Real>
void apply_pauli(
    std::span<const std::complex<Real>> in,
    std::span<std::complex<Real>> out,
    int qubit,
    Axis axis);

// <bra| P_q |ket> of two states of 2^n amplitudes.
template <class Real>
Complex pauli_element(
    std::span<const std::complex<Real>> bra,
    std::span<const std::complex<Real>> ket,
    int qubit,
    Axis axis);

}  // namespace tessera::jobs::quantum
