#include "jobs/quantum/parameter_shift.h"

#include <algorithm>
#include <numbers>

#include "jobs/quantum/adjoint_gradient.h"
#include "jobs/quantum/circuit_plan.h"
#include "runtime/error.h"

namespace tessera::jobs::quantum {
namespace {

std::vector<int> trained_parameters(int count, std::span<const char> trainable) {
  TESSERA_CHECK(
      trainable.empty() || static_cast<int>(trainable.size()) == count,
      "{} trainable flags for {} parameters",
      trainable.size(),
      count);
  std::vector<int> out;
  for (int k = 0; k < count; ++k) {
    if (trainable.empty() || trainable[static_cast<std::size_t>(k)] != 0) {
      out.push_back(k);
    }
  }
  return out;
}

}  // namespace

template <class Real>
ShiftedExpectations shifted_expectations(
    const ParametrizedCircuit& circuit,
    std::span<const double> parameters,
    std::span<const ProductState> inputs,
    int readout,
    std::span<const char> trainable,
    const EvaluationOptions& options) {
  using Amplitude = std::complex<Real>;
  ShiftedExpectations out;
  out.parameters = trained_parameters(circuit.num_parameters(), trainable);
  const GradientResult adjoint =
      adjoint_gradients<Real>(circuit, parameters, inputs, readout, trainable, options);
  out.values = adjoint.values;
  const std::size_t n_inputs = inputs.size();
  const std::size_t n_params = out.parameters.size();
  out.plus.assign(n_inputs * n_params, 0.0);
  out.minus.assign(n_inputs * n_params, 0.0);
  if (n_params == 0 || n_inputs == 0) {
    return out;
  }
  std::vector<std::size_t> column(static_cast<std::size_t>(circuit.num_parameters()), 0);
  for (std::size_t k = 0; k < n_params; ++k) {
    column[static_cast<std::size_t>(out.parameters[k])] = k;
  }

  const CircuitPlan plan = make_circuit_plan(circuit, parameters, trainable, options.fuse_qubits);
  const std::size_t segments = plan.segments.size();
  const std::size_t slot_size = std::size_t{1} << circuit.num_qubits();
  const std::size_t max_slots = static_cast<std::size_t>(std::max(1, options.max_slots));
  // f(theta_k + pi) per (input, parameter column).
  std::vector<double> f_pi(n_inputs * n_params, 0.0);

  for (std::size_t first = 0; first < n_inputs; first += max_slots) {
    const std::size_t count = std::min(max_slots, n_inputs - first);
    // Forward once, keeping the states at the insertion points.
    StateBatch<Real> forward(circuit.num_qubits(), static_cast<int>(count), options.state);
    for (std::size_t b = 0; b < count; ++b) {
      forward.set_product_state(static_cast<int>(b), inputs[first + b]);
    }
    std::vector<std::vector<Amplitude>> kept(segments);
    for (std::size_t s = 0; s < segments; ++s) {
      forward.apply(plan.segments[s]);
      if (!plan.insertions[s].empty()) {
        const auto all = forward.state().amplitudes();
        kept[s].assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(count * slot_size));
      }
    }
    // Then per insertion point: P_k psi for every (rotation, input) there,
    // max_slots at a time, through the rest of the circuit.
    for (std::size_t s = 0; s < segments; ++s) {
      const auto& here = plan.insertions[s];
      const std::size_t jobs = here.size() * count;
      for (std::size_t j0 = 0; j0 < jobs; j0 += max_slots) {
        const std::size_t m = std::min(max_slots, jobs - j0);
        StateBatch<Real> batch(circuit.num_qubits(), static_cast<int>(m), options.state);
        for (std::size_t j = 0; j < m; ++j) {
          const PauliInsertion& ins = here[(j0 + j) / count];
          const std::size_t b = (j0 + j) % count;
          const std::span<const Amplitude> psi(kept[s].data() + b * slot_size, slot_size);
          apply_pauli<Real>(psi, batch.slot(static_cast<int>(j)), ins.qubit, ins.axis);
        }
        for (std::size_t t = s + 1; t < segments; ++t) {
          batch.apply(plan.segments[t]);
        }
        const std::vector<double> z = batch.expectation_z(readout);
        for (std::size_t j = 0; j < m; ++j) {
          const PauliInsertion& ins = here[(j0 + j) / count];
          const std::size_t b = (j0 + j) % count;
          f_pi[(first + b) * n_params + column[static_cast<std::size_t>(ins.parameter)]] = z[j];
        }
      }
    }
  }

  for (std::size_t b = 0; b < n_inputs; ++b) {
    for (std::size_t k = 0; k < n_params; ++k) {
      const double a = (out.values[b] + f_pi[b * n_params + k]) / 2;
      const double c = adjoint.gradient(b, out.parameters[k]);
      out.plus[b * n_params + k] = a + c;
      out.minus[b * n_params + k] = a - c;
    }
  }
  return out;
}

template <class Real>
ShiftedExpectations shifted_expectations_by_resimulation(
    const ParametrizedCircuit& circuit,
    std::span<const double> parameters,
    std::span<const ProductState> inputs,
    int readout,
    std::span<const char> trainable,
    const EvaluationOptions& options) {
  ShiftedExpectations out;
  out.parameters = trained_parameters(circuit.num_parameters(), trainable);
  out.values = expectation_values<Real>(circuit, parameters, inputs, readout, options);
  const std::size_t n_params = out.parameters.size();
  out.plus.assign(inputs.size() * n_params, 0.0);
  out.minus.assign(inputs.size() * n_params, 0.0);
  std::vector<double> shifted(parameters.begin(), parameters.end());
  for (std::size_t k = 0; k < n_params; ++k) {
    const auto p = static_cast<std::size_t>(out.parameters[k]);
    for (const double sign : {1.0, -1.0}) {
      shifted[p] = parameters[p] + sign * std::numbers::pi / 2;
      const std::vector<double> f =
          expectation_values<Real>(circuit, shifted, inputs, readout, options);
      for (std::size_t b = 0; b < inputs.size(); ++b) {
        (sign > 0 ? out.plus : out.minus)[out.index(b, k)] = f[b];
      }
    }
    shifted[p] = parameters[p];
  }
  return out;
}

#define TESSERA_INSTANTIATE(Real)                                          \
  template ShiftedExpectations shifted_expectations<Real>(                 \
      const ParametrizedCircuit&,                                          \
      std::span<const double>,                                             \
      std::span<const ProductState>,                                       \
      int,                                                                 \
      std::span<const char>,                                               \
      const EvaluationOptions&);                                           \
  template ShiftedExpectations shifted_expectations_by_resimulation<Real>( \
      const ParametrizedCircuit&,                                          \
      std::span<const double>,                                             \
      std::span<const ProductState>,                                       \
      int,                                                                 \
      std::span<const char>,                                               \
      const EvaluationOptions&);
TESSERA_INSTANTIATE(float)
TESSERA_INSTANTIATE(double)
#undef TESSERA_INSTANTIATE

}  // namespace tessera::jobs::quantum
