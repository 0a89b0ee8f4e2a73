#include "jobs/quantum/parametrized_circuit.h"

#include <algorithm>

#include "jobs/quantum/circuit_plan.h"
#include "jobs/quantum/gate_fuser.h"
#include "runtime/error.h"

namespace tessera::jobs::quantum {

const char* axis_name(Axis axis) {
  switch (axis) {
    case Axis::kX:
      return "x";
    case Axis::kY:
      return "y";
    case Axis::kZ:
      return "z";
  }
  return "?";
}

UnitaryGate rotation_gate(int qubit, Axis axis, double theta) {
  switch (axis) {
    case Axis::kX:
      return rx_gate(qubit, theta);
    case Axis::kY:
      return ry_gate(qubit, theta);
    case Axis::kZ:
      return rz_gate(qubit, theta);
  }
  throw InternalError("rotation_gate: bad axis");
}

UnitaryGate pauli_gate(int qubit, Axis axis) {
  switch (axis) {
    case Axis::kX:
      return x_gate(qubit);
    case Axis::kY:
      return y_gate(qubit);
    case Axis::kZ:
      return z_gate(qubit);
  }
  throw InternalError("pauli_gate: bad axis");
}

ParametrizedCircuit::ParametrizedCircuit(int num_qubits) : num_qubits_(num_qubits) {
  TESSERA_CHECK(
      num_qubits >= 1 && num_qubits <= 30,
      "a parametrized circuit of {} qubits (1..30)",
      num_qubits);
}

int ParametrizedCircuit::add_rotation(int qubit, Axis axis) {
  TESSERA_CHECK(
      qubit >= 0 && qubit < num_qubits_, "rotation on qubit {} of {}", qubit, num_qubits_);
  CircuitOp op;
  op.parameter = num_parameters();
  op.qubit = qubit;
  op.axis = axis;
  parameter_ops_.push_back(ops_.size());
  ops_.push_back(std::move(op));
  return ops_.back().parameter;
}

void ParametrizedCircuit::add_gate(UnitaryGate gate) {
  check_gate(gate, num_qubits_);
  CircuitOp op;
  op.gate = std::move(gate);
  ops_.push_back(std::move(op));
}

UnitaryGate ParametrizedCircuit::gate(std::size_t op, std::span<const double> parameters) const {
  const CircuitOp& o = ops_.at(op);
  if (!o.is_rotation()) {
    return o.gate;
  }
  return rotation_gate(o.qubit, o.axis, parameters[static_cast<std::size_t>(o.parameter)]);
}

UnitaryCircuit ParametrizedCircuit::bind(std::span<const double> parameters) const {
  TESSERA_CHECK(
      static_cast<int>(parameters.size()) == num_parameters(),
      "{} parameters for a circuit of {}",
      parameters.size(),
      num_parameters());
  UnitaryCircuit out{num_qubits_, {}};
  out.gates.reserve(ops_.size());
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    out.gates.push_back(gate(i, parameters));
  }
  return out;
}

// --- circuit plans ----------------------------------------------------------

CircuitPlan make_circuit_plan(
    const ParametrizedCircuit& circuit,
    std::span<const double> parameters,
    std::span<const char> trainable,
    int fuse_qubits) {
  const auto& ops = circuit.ops();
  TESSERA_CHECK(
      trainable.empty() || static_cast<int>(trainable.size()) == circuit.num_parameters(),
      "{} trainable flags for {} parameters",
      trainable.size(),
      circuit.num_parameters());
  TESSERA_CHECK(
      fuse_qubits >= 0 && fuse_qubits <= kMaxGateQubits,
      "fuse_qubits = {} (0..{})",
      fuse_qubits,
      kMaxGateQubits);
  // Insertion point of each trainable rotation: scanning backwards, next[q] is
  // the first later op touching qubit q.
  const std::size_t none = ops.size();
  std::vector<std::size_t> next(static_cast<std::size_t>(circuit.num_qubits()), none);
  std::vector<std::size_t> point(ops.size(), none);
  for (std::size_t i = ops.size(); i-- > 0;) {
    const CircuitOp& op = ops[i];
    if (op.is_rotation()) {
      const bool trains =
          trainable.empty() || trainable[static_cast<std::size_t>(op.parameter)] != 0;
      if (trains) {
        const std::size_t after = next[static_cast<std::size_t>(op.qubit)];
        point[i] = after == none ? ops.size() - 1 : after - 1;
      }
      next[static_cast<std::size_t>(op.qubit)] = i;
    } else {
      for (int q : op.gate.qubits) {
        next[static_cast<std::size_t>(q)] = i;
      }
    }
  }
  std::vector<std::size_t> cuts;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (point[i] != none) {
      cuts.push_back(point[i]);
    }
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  if (cuts.empty() || cuts.back() + 1 != ops.size()) {
    cuts.push_back(ops.size() - 1);  // the tail (or the whole circuit) is the last segment
  }
  if (ops.empty()) {
    cuts.clear();
  }

  CircuitPlan plan;
  plan.num_qubits = circuit.num_qubits();
  plan.insertions.resize(cuts.size());
  std::size_t begin = 0;
  for (std::size_t s = 0; s < cuts.size(); ++s) {
    UnitaryCircuit segment{circuit.num_qubits(), {}};
    for (std::size_t i = begin; i <= cuts[s]; ++i) {
      segment.gates.push_back(circuit.gate(i, parameters));
    }
    begin = cuts[s] + 1;
    plan.segments.push_back(
        fuse_qubits > 0 ? fuse_gates(segment, {fuse_qubits}) : std::move(segment));
    UnitaryCircuit inverse{circuit.num_qubits(), {}};
    const auto& gates = plan.segments.back().gates;
    for (auto it = gates.rbegin(); it != gates.rend(); ++it) {
      inverse.gates.push_back(adjoint(*it));
    }
    plan.inverses.push_back(std::move(inverse));
  }
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (point[i] == none) {
      continue;
    }
    const std::size_t s = static_cast<std::size_t>(
        std::lower_bound(cuts.begin(), cuts.end(), point[i]) - cuts.begin());
    plan.insertions[s].push_back({ops[i].parameter, ops[i].qubit, ops[i].axis});
  }
  return plan;
}

template <class Real>
void apply_pauli(
    std::span<const std::complex<Real>> in,
    std::span<std::complex<Real>> out,
    int qubit,
    Axis axis) {
  const std::uint64_t bit = std::uint64_t{1} << qubit;
  const std::uint64_t size = in.size();
  switch (axis) {
    case Axis::kX:
      for (std::uint64_t i = 0; i < size; ++i) {
        out[i] = in[i ^ bit];
      }
      break;
    case Axis::kY:
      // Y|0> = i|1>, Y|1> = -i|0>.
      for (std::uint64_t i = 0; i < size; ++i) {
        const std::complex<Real> a = in[i ^ bit];
        out[i] = (i & bit) != 0 ? std::complex<Real>(-a.imag(), a.real())
                                : std::complex<Real>(a.imag(), -a.real());
      }
      break;
    case Axis::kZ:
      for (std::uint64_t i = 0; i < size; ++i) {
        out[i] = (i & bit) != 0 ? -in[i] : in[i];
      }
      break;
  }
}

template <class Real>
Complex pauli_element(
    std::span<const std::complex<Real>> bra,
    std::span<const std::complex<Real>> ket,
    int qubit,
    Axis axis) {
  const std::uint64_t bit = std::uint64_t{1} << qubit;
  const std::uint64_t size = ket.size();
  double re = 0;
  double im = 0;
  // sum_i conj(bra_i) (P ket)_i, with (P ket)_i = c_i ket_{i'}.
  for (std::uint64_t i = 0; i < size; ++i) {
    const bool one = (i & bit) != 0;
    std::complex<double> k;
    switch (axis) {
      case Axis::kX:
        k = std::complex<double>(ket[i ^ bit]);
        break;
      case Axis::kY: {
        const std::complex<double> a(ket[i ^ bit]);
        k = one ? std::complex<double>(-a.imag(), a.real())
                : std::complex<double>(a.imag(), -a.real());
        break;
      }
      case Axis::kZ:
        k = one ? -std::complex<double>(ket[i]) : std::complex<double>(ket[i]);
        break;
    }
    const std::complex<double> b(bra[i]);
    re += b.real() * k.real() + b.imag() * k.imag();
    im += b.real() * k.imag() - b.imag() * k.real();
  }
  return {re, im};
}

template void apply_pauli<float>(
    std::span<const std::complex<float>>, std::span<std::complex<float>>, int, Axis);
template void apply_pauli<double>(
    std::span<const std::complex<double>>, std::span<std::complex<double>>, int, Axis);
template Complex pauli_element<float>(
    std::span<const std::complex<float>>, std::span<const std::complex<float>>, int, Axis);
template Complex pauli_element<double>(
    std::span<const std::complex<double>>, std::span<const std::complex<double>>, int, Axis);

// --- plain evaluation -------------------------------------------------------

template <class Real>
std::vector<double> expectation_values(
    const ParametrizedCircuit& circuit,
    std::span<const double> parameters,
    std::span<const ProductState> inputs,
    int readout,
    const EvaluationOptions& options) {
  TESSERA_CHECK(
      readout >= 0 && readout < circuit.num_qubits(),
      "readout qubit {} of {}",
      readout,
      circuit.num_qubits());
  const CircuitPlan plan = make_circuit_plan(
      circuit,
      parameters,
      std::vector<char>(static_cast<std::size_t>(circuit.num_parameters()), 0),
      options.fuse_qubits);
  std::vector<double> out;
  out.reserve(inputs.size());
  const std::size_t chunk = static_cast<std::size_t>(std::max(1, options.max_slots));
  for (std::size_t first = 0; first < inputs.size(); first += chunk) {
    const std::size_t count = std::min(chunk, inputs.size() - first);
    StateBatch<Real> batch(circuit.num_qubits(), static_cast<int>(count), options.state);
    for (std::size_t b = 0; b < count; ++b) {
      batch.set_product_state(static_cast<int>(b), inputs[first + b]);
    }
    for (const UnitaryCircuit& segment : plan.segments) {
      batch.apply(segment);
    }
    const std::vector<double> z = batch.expectation_z(readout);
    out.insert(out.end(), z.begin(), z.end());
  }
  return out;
}

template std::vector<double> expectation_values<float>(
    const ParametrizedCircuit&,
    std::span<const double>,
    std::span<const ProductState>,
    int,
    const EvaluationOptions&);
template std::vector<double> expectation_values<double>(
    const ParametrizedCircuit&,
    std::span<const double>,
    std::span<const ProductState>,
    int,
    const EvaluationOptions&);

}  // namespace tessera::jobs::quantum
