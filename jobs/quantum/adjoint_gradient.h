#pragma once

// Exact gradients of <Z_readout> by adjoint differentiation (Jones & Gacon,
// "Efficient calculation of gradients in classical simulations of variational
// quantum algorithms", arXiv 2009.02823): one forward pass keeps the states at
// the plan's insertion points (circuit_plan.h), one backward pass carries
// lambda = U_after^dagger Z psi_final, and each trainable rotation's
// derivative is read off as
//   d<Z>/d theta_k = 2 Re <lambda| (-i/2) P_k |psi> = Im <lambda| P_k |psi>
// at its insertion point. Cost: about two circuit passes for all parameters,
// whatever their number (a finite-difference or parameter-shift gradient
// needs two circuits per parameter).
//
//   GradientResult g = adjoint_gradients<double>(circuit, theta, inputs, readout);
//   double d = g.gradient(example, parameter);

#include <span>
#include <vector>

#include "jobs/quantum/parametrized_circuit.h"

namespace tessera::jobs::quantum {

struct GradientResult {
  int num_parameters = 0;
  std::vector<double> values;     // <Z_readout> per input
  std::vector<double> gradients;  // inputs x num_parameters, row-major; 0 for frozen parameters

  double gradient(std::size_t input, int parameter) const {
    return gradients
        [input * static_cast<std::size_t>(num_parameters) + static_cast<std::size_t>(parameter)];
  }
};

// `trainable`: one flag per parameter (0: frozen, not differentiated), or
// empty for all. Inputs are processed options.max_slots at a time.
template <class Real>
GradientResult adjoint_gradients(
    const ParametrizedCircuit& circuit,
    std::span<const double> parameters,
    std::span<const ProductState> inputs,
    int readout,
    std::span<const char> trainable = {},
    const EvaluationOptions& options = {});

}  // namespace tessera::jobs::quantum
