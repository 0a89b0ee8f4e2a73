#pragma once

// StateBatch: many independent n-qubit states simulated together as one
// StateVector of n + m qubits, whose top m qubits number the 2^m slots.
//
//   StateBatch<float> batch(9, 20);                  // 20 slots of 9 qubits (32 allocated)
//   for (int s = 0; s < 20; ++s) batch.set_product_state(s, inputs[s]);
//   batch.apply(ry_gate(3, 0.4));                   // acts on every slot at once
//   std::vector<double> z = batch.expectation_z(0); // <Z_0> of each slot
//
// A gate on qubits < n acts on every slot alike (it never touches the slot
// qubits), so one kernel pass serves the whole batch: small states (9 qubits
// are 4 KiB in complex64) then cost a fraction of the per-gate overhead they
// would cost one at a time. Slot s holds amplitudes [s 2^n, (s+1) 2^n).
//
// Memory: 2^(n+m) amplitudes, m = ceil(log2 slots). Not thread-safe.

#include <array>
#include <complex>
#include <span>
#include <vector>

#include "jobs/quantum/state_vector.h"

namespace tessera::jobs::quantum {

// One qubit's state a|0> + b|1>, and a product state of n qubits (qubit q first).
using QubitState = std::array<Complex, 2>;
using ProductState = std::vector<QubitState>;

template <class Real>
class StateBatch {
 public:
  using Amplitude = std::complex<Real>;

  // `slots` states (>= 1) of `num_qubits` qubits, all |0...0>.
  StateBatch(int num_qubits, int slots, StateVectorOptions options = {});

  int num_qubits() const { return num_qubits_; }
  int slots() const { return slots_; }
  std::uint64_t slot_size() const { return std::uint64_t{1} << num_qubits_; }

  std::span<Amplitude> slot(int s);
  std::span<const Amplitude> slot(int s) const;

  // Slot s = the product state (num_qubits entries, each normalised by the caller).
  void set_product_state(int s, std::span<const QubitState> qubits);
  // Slot s = the given amplitudes (slot_size() of them).
  void set_slot(int s, std::span<const Amplitude> amplitudes);

  // Applies a gate on qubits < num_qubits to every slot.
  void apply(const UnitaryGate& gate);
  void apply(const UnitaryCircuit& circuit);

  // <Z_q> of every slot (slots() values; unnormalised slots are not rescaled).
  std::vector<double> expectation_z(int q) const;

  StateVector<Real>& state() { return state_; }
  const StateVector<Real>& state() const { return state_; }

 private:
  int num_qubits_;
  int slots_;
  StateVector<Real> state_;
};

extern template class StateBatch<float>;
extern template class StateBatch<double>;

// <Z_q> of one state held in `amplitudes` (2^n of them, qubit q = bit q).
template <class Real>
double expectation_z(std::span<const std::complex<Real>> amplitudes, int q);

}  // namespace tessera::jobs::quantum
