#pragma once

// ParametrizedCircuit: a circuit of fixed gates and single-qubit Pauli
// rotations R_P(theta) = exp(-i theta P / 2), P in {X, Y, Z}, each rotation
// with its own parameter; the model the QNN jobs (jobs/layerwise) train.
//
//   ParametrizedCircuit c(3);
//   int a = c.add_rotation(0, Axis::kY);       // parameter 0
//   c.add_gate(cz_gate(0, 1));
//   int b = c.add_rotation(1, Axis::kX);       // parameter 1
//   UnitaryCircuit bound = c.bind(std::vector<double>{0.3, -1.2});
//
// Gradients: adjoint_gradient.h (exact, all parameters in one backward
// pass), parameter_shift.h (shifted expectations, what hardware measures).
// Both evaluate circuits through a CircuitPlan (circuit_plan.h).

#include <cstddef>
#include <span>
#include <vector>

#include "jobs/quantum/state_batch.h"
#include "jobs/quantum/state_vector.h"
#include "jobs/quantum/unitary_gate.h"

namespace tessera::jobs::quantum {

enum class Axis { kX, kY, kZ };

// "x", "y", "z".
const char* axis_name(Axis axis);

// R_P(theta) on `qubit`: Rx, Ry or Rz of unitary_gate.h.
UnitaryGate rotation_gate(int qubit, Axis axis, double theta);
// The Pauli P on `qubit` (R_P(theta + pi) = R_P(theta) (-i P)).
UnitaryGate pauli_gate(int qubit, Axis axis);

// One step of a parametrized circuit: a fixed gate, or a rotation.
struct CircuitOp {
  int parameter = -1;    // >= 0: the rotation's parameter index; -1: a fixed gate
  int qubit = 0;         // the rotation's qubit
  Axis axis = Axis::kX;  // the rotation's axis
  UnitaryGate gate;      // the fixed gate (parameter < 0)

  bool is_rotation() const { return parameter >= 0; }
};

class ParametrizedCircuit {
 public:
  // An empty circuit on `num_qubits` qubits (1..30).
  explicit ParametrizedCircuit(int num_qubits);

  // Appends a rotation with a new parameter; returns its index (0, 1, ...).
  int add_rotation(int qubit, Axis axis);
  // Appends a fixed gate (checked against num_qubits()).
  void add_gate(UnitaryGate gate);

  int num_qubits() const { return num_qubits_; }
  int num_parameters() const { return static_cast<int>(parameter_ops_.size()); }
  const std::vector<CircuitOp>& ops() const { return ops_; }
  // The op holding parameter p.
  std::size_t op_of(int parameter) const {
    return parameter_ops_.at(static_cast<std::size_t>(parameter));
  }

  // The gate op i applies at these parameters (num_parameters() of them).
  UnitaryGate gate(std::size_t op, std::span<const double> parameters) const;
  // Every op bound to these parameters, in order.
  UnitaryCircuit bind(std::span<const double> parameters) const;

 private:
  int num_qubits_;
  std::vector<CircuitOp> ops_;
  std::vector<std::size_t> parameter_ops_;
};

// How the evaluators simulate: many inputs at once (state_batch.h) and fused
// gates (gate_fuser.h).
struct EvaluationOptions {
  int max_slots = 64;        // states simulated together (a power of two is best)
  int fuse_qubits = 2;       // fuse gates up to this many qubits (1..4; 1 merges 1-qubit runs only)
  StateVectorOptions state;  // kernels and threads of the underlying state vector
};

// Exact <Z_readout> after the circuit for each input product state.
template <class Real>
std::vector<double> expectation_values(
    const ParametrizedCircuit& circuit,
    std::span<const double> parameters,
    std::span<const ProductState> inputs,
    int readout,
    const EvaluationOptions& options = {});

}  // namespace tessera::jobs::quantum
