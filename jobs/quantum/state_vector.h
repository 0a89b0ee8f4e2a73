#pragma once

// StateVector: the full 2^n amplitudes of n qubits in complex64
// (StateVector<float>) or complex128 (StateVector<double>), with vectorised,
// threaded gate kernels.
//
//   StateVector<float> psi(24);                         // |0...0>
//   psi.apply(x_gate(12));
//   psi.apply(fuse_gates(cycle));                       // gate_fuser.h
//   std::vector<double> n = psi.occupations();          // <n_q> = P(q = 1)
//
// Basis index bit q is qubit q (little-endian, as qsim). Gate matrices follow
// unitary_gate.h (Cirq's ordering). Each gate is one read-modify-write pass
// over the state: at 20+ qubits memory bandwidth bounds it, so fuse gates
// (gate_fuser.h) to make fewer passes.
//
// Sums (norms, expectations, probabilities) accumulate in double precision.
// Memory: exactly 2^n amplitudes (8 or 16 bytes each), no scratch copy.
// Thread-safety: const methods may run concurrently; nothing else may.

#include <complex>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "jobs/quantum/aligned_buffer.h"
#include "jobs/quantum/unitary_gate.h"

namespace tessera::jobs::quantum {

namespace kernels {
struct KernelTable;
}

struct StateVectorOptions {
  int threads = 1;            // threads per gate and per reduction (OpenMP)
  std::string isa = "auto";   // kernels: auto (best supported), avx512, avx2, generic
};

template <class Real>
class StateVector {
 public:
  using Amplitude = std::complex<Real>;

  // |0...0> on `num_qubits` qubits (0..40). Throws InternalError for a bad
  // size or an ISA this build or CPU lacks, std::bad_alloc when memory is short.
  explicit StateVector(int num_qubits, StateVectorOptions options = {});

  int num_qubits() const { return num_qubits_; }
  std::uint64_t size() const { return amplitudes_.size(); }
  std::uint64_t memory_bytes() const { return size() * sizeof(Amplitude); }
  const StateVectorOptions& options() const { return options_; }
  // The instruction set the kernels use ("avx512", "avx2", "generic").
  const char* isa() const;

  std::span<Amplitude> amplitudes() { return amplitudes_.span(); }
  std::span<const Amplitude> amplitudes() const { return amplitudes_.span(); }
  Amplitude amplitude(std::uint64_t index) const { return amplitudes_[index]; }

  // The computational basis state |index>.
  void set_basis_state(std::uint64_t index);
  // Copies `amplitudes` (size() of them) in.
  void set_amplitudes(std::span<const std::complex<double>> amplitudes);

  // Applies one gate (1..kMaxGateQubits qubits) or every gate of a circuit in
  // order (no fusion: fuse first). Throws InternalError for a gate that does
  // not fit this state.
  void apply(const UnitaryGate& gate);
  void apply(const UnitaryCircuit& circuit);

  // Multiplies every amplitude by `factor`.
  void scale(std::complex<double> factor);
  double norm_squared() const;
  // Divides by the norm. Throws InternalError for the zero vector.
  void normalize();
  // <this|other>. Same number of qubits.
  std::complex<double> inner_product(const StateVector& other) const;

  // |amplitude|^2 of one basis state, and the sum over a list of them.
  double probability(std::uint64_t index) const;
  double probability_of(std::span<const std::uint64_t> indices) const;

  // P(qubit q = 1) for every qubit: the photon occupation <n_q>.
  std::vector<double> occupations() const;
  // P(qubit j = 1 and qubit k = 1) as a row-major n x n matrix (<n_j n_k>;
  // the diagonal holds occupations()).
  std::vector<double> pair_occupations() const;
  // <Z_q> = 1 - 2 P(q = 1) and <Z_a Z_b>.
  double expectation_z(int q) const;
  double expectation_zz(int a, int b) const;

  // `shots` basis indices drawn from |amplitude|^2 (normalised by the
  // squared norm), in random order.
  std::vector<std::uint64_t> sample(std::int64_t shots, std::mt19937_64& rng) const;

 private:
  int num_qubits_;
  StateVectorOptions options_;
  const kernels::KernelTable* kernels_;
  AlignedBuffer<Amplitude> amplitudes_;
};

extern template class StateVector<float>;
extern template class StateVector<double>;

using StateVectorC64 = StateVector<float>;
using StateVectorC128 = StateVector<double>;

}  // namespace tessera::jobs::quantum
