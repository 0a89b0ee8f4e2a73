#pragma once

// The parameter-shift rule: for a rotation R_P(theta) = exp(-i theta P / 2),
//   d<Z>/d theta_k = ( f(theta + pi/2 e_k) - f(theta - pi/2 e_k) ) / 2
// exactly (Mitarai et al. 2018; Schuld et al., PRA 99, 032331, 2019). On
// hardware each shifted expectation is estimated from shots, which is where
// sampling noise enters a QNN's training; so a simulation of that training
// needs the two exact shifted expectations of every (input, trainable
// parameter) pair, to sample from (shot_sampling.h).
//
// shifted_expectations() gets them cheaply. As a function of one angle,
// f(theta_k + s) = A + B cos s + C sin s, so
//   f(+-pi/2) = A +- C,   C = f'(theta_k),   A = (f(theta) + f(theta_k + pi)) / 2,
// with C from one adjoint pass (adjoint_gradient.h) and f(theta_k + pi) from
// the rest of the circuit after inserting P_k at the rotation's insertion
// point (R_P(theta + pi) = R_P(theta) (-i P)): one suffix per parameter
// instead of two whole circuits, all inputs and all rotations of a layer
// simulated together as one batch. shifted_expectations_by_resimulation()
// runs every shifted circuit from the start: the reference in tests.

#include <span>
#include <vector>

#include "jobs/quantum/parametrized_circuit.h"

namespace tessera::jobs::quantum {

struct ShiftedExpectations {
  std::vector<int> parameters;  // the trainable parameters, ascending
  std::vector<double> values;   // f(theta) per input
  std::vector<double> plus;     // inputs x parameters.size(): f(theta + pi/2 e_k)
  std::vector<double> minus;    // inputs x parameters.size(): f(theta - pi/2 e_k)

  std::size_t index(std::size_t input, std::size_t k) const {
    return input * parameters.size() + k;
  }
  // The exact parameter-shift gradient (plus - minus) / 2 of parameters[k].
  double gradient(std::size_t input, std::size_t k) const {
    return (plus[index(input, k)] - minus[index(input, k)]) / 2;
  }
};

// `trainable`: one flag per parameter, or empty for all.
template <class Real>
ShiftedExpectations shifted_expectations(
    const ParametrizedCircuit& circuit,
    std::span<const double> parameters,
    std::span<const ProductState> inputs,
    int readout,
    std::span<const char> trainable = {},
    const EvaluationOptions& options = {});

// The same by simulating each shifted circuit from the start (2 circuits per
// trainable parameter): slow, independent of the identity above.
template <class Real>
ShiftedExpectations shifted_expectations_by_resimulation(
    const ParametrizedCircuit& circuit,
    std::span<const double> parameters,
    std::span<const ProductState> inputs,
    int readout,
    std::span<const char> trainable = {},
    const EvaluationOptions& options = {});

}  // namespace tessera::jobs::quantum
