#include "jobs/quantum/adjoint_gradient.h"

#include <algorithm>

#include "jobs/quantum/circuit_plan.h"
#include "runtime/error.h"

namespace tessera::jobs::quantum {

template <class Real>
GradientResult adjoint_gradients(
    const ParametrizedCircuit& circuit,
    std::span<const double> parameters,
    std::span<const ProductState> inputs,
    int readout,
    std::span<const char> trainable,
    const EvaluationOptions& options) {
  using Amplitude = std::complex<Real>;
  TESSERA_CHECK(
      readout >= 0 && readout < circuit.num_qubits(),
      "readout qubit {} of {}",
      readout,
      circuit.num_qubits());
  const CircuitPlan plan = make_circuit_plan(circuit, parameters, trainable, options.fuse_qubits);
  const int p = circuit.num_parameters();
  GradientResult result;
  result.num_parameters = p;
  result.values.reserve(inputs.size());
  result.gradients.assign(inputs.size() * static_cast<std::size_t>(p), 0.0);

  const std::size_t chunk = static_cast<std::size_t>(std::max(1, options.max_slots));
  const std::size_t segments = plan.segments.size();
  for (std::size_t first = 0; first < inputs.size(); first += chunk) {
    const std::size_t count = std::min(chunk, inputs.size() - first);
    StateBatch<Real> batch(circuit.num_qubits(), static_cast<int>(count), options.state);
    for (std::size_t b = 0; b < count; ++b) {
      batch.set_product_state(static_cast<int>(b), inputs[first + b]);
    }
    // Forward: keep the batch at every insertion point.
    const std::size_t used = count * batch.slot_size();
    std::vector<std::vector<Amplitude>> kept(segments);
    for (std::size_t s = 0; s < segments; ++s) {
      batch.apply(plan.segments[s]);
      if (!plan.insertions[s].empty()) {
        const auto all = batch.state().amplitudes();
        kept[s].assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(used));
      }
    }
    const std::vector<double> z = batch.expectation_z(readout);
    result.values.insert(result.values.end(), z.begin(), z.end());

    // Backward: the batch becomes lambda = Z psi, then walks back segment by segment.
    batch.apply(z_gate(readout));
    for (std::size_t s = segments; s-- > 0;) {
      for (const PauliInsertion& ins : plan.insertions[s]) {
        for (std::size_t b = 0; b < count; ++b) {
          const std::span<const Amplitude> psi(
              kept[s].data() + b * batch.slot_size(), batch.slot_size());
          const Complex element =
              pauli_element<Real>(batch.slot(static_cast<int>(b)), psi, ins.qubit, ins.axis);
          result.gradients
              [(first + b) * static_cast<std::size_t>(p) +
               static_cast<std::size_t>(ins.parameter)] = element.imag();
        }
      }
      if (s > 0) {
        batch.apply(plan.inverses[s]);
      }
    }
  }
  return result;
}

template GradientResult adjoint_gradients<float>(
    const ParametrizedCircuit&,
    std::span<const double>,
    std::span<const ProductState>,
    int,
    std::span<const char>,
    const EvaluationOptions&);
template GradientResult adjoint_gradients<double>(
    const ParametrizedCircuit&,
    std::span<const double>,
    std::span<const ProductState>,
    int,
    std::span<const char>,
    const EvaluationOptions&);

}  // namespace tessera::jobs::quantum
