#pragma once

// Gate fusion: merges neighbouring gates of a circuit into gates on at most
// `max_fused_qubits` qubits, so a state vector is swept fewer times.
//
// Every gate costs one read-modify-write pass over the whole state vector, and
// at 20+ qubits that pass is bound by memory bandwidth, not arithmetic. Fusing
// two fSims that share a qubit into one 3-qubit gate halves the passes for
// 2x the arithmetic per amplitude, which still fits under the bandwidth
// bound; 4-qubit gates become compute-bound (qsim measures the same, see the
// state-vector note).
//
// The fuser is greedy and exact: a gate joins the latest fused gate that
// touches any of its qubits when the union fits, which is legal because no
// later fused gate touches those qubits. The result applies the same unitary
// (up to rounding) as the input.

#include "jobs/quantum/unitary_gate.h"

namespace tessera::jobs::quantum {

struct FusionOptions {
  int max_fused_qubits = 3;   // 1..kMaxGateQubits; 1 only merges runs of 1-qubit gates
};

// The fused circuit. Fused gates list their qubits in ascending order (so
// qubits[0], the most significant matrix bit, is the lowest qubit); a gate
// that merged with nothing is copied unchanged. Throws InternalError on an
// invalid option or gate.
UnitaryCircuit fuse_gates(const UnitaryCircuit& circuit, const FusionOptions& options = {});

// The matrix of `gates` (applied in order) as one gate on `qubits` (matrix
// order as given). Every gate's qubits must be among `qubits`.
UnitaryGate combine_gates(std::span<const UnitaryGate> gates, std::vector<int> qubits);

}  // namespace tessera::jobs::quantum
