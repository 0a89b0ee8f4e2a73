#pragma once

// DistributedStateVector: one n-qubit state spread over 2^k ranks of a
// Communicator, each holding 2^(n-k) amplitudes.
//
// The physical index of an amplitude is (rank << (n-k)) | local index; its
// top k bits are "global". Logical qubits map to physical bits through a
// permutation that starts as the identity. A gate whose qubits are all local
// runs on each rank's slice with no communication. A gate that touches global
// qubits first swaps each of them with a local qubit (the one whose next use
// in the circuit is furthest away, as Belady's cache rule): every rank
// exchanges the matching parts of its slice with its partner ranks, pairwise,
// in chunks, in place. Only the permutation changes meaning; no second copy
// of the state is ever held (the "2x memory" complaint about QuEST), just two
// chunk buffers (options.exchange_chunk_bytes each). This is the index-bit
// swap of cuStateVec and mpiQulacs' FusedSWAP, batched over all the global
// qubits one gate needs.
//
// Every method except the accessors is collective: all ranks call it in the
// same order with the same arguments. Results equal a single-rank
// StateVector's up to rounding (the per-rank sums are combined in rank
// order).

#include <complex>
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "comm/communicator.h"
#include "jobs/quantum/state_vector.h"

namespace tessera::jobs::quantum {

struct DistributedOptions {
  int threads = 1;                                  // threads per rank
  std::string isa = "auto";                         // as StateVectorOptions
  std::uint64_t exchange_chunk_bytes = 8u << 20;    // per message; two buffers of this size
};

template <class Real>
class DistributedStateVector {
 public:
  using Amplitude = std::complex<Real>;

  // |0...0> on `num_qubits` qubits over every rank of `comm`, whose size must
  // be a power of two 2^k with k <= num_qubits - kMaxGateQubits (each rank
  // keeps enough local qubits for any gate). Collective.
  DistributedStateVector(int num_qubits, comm::Communicator& comm, DistributedOptions options = {});

  int num_qubits() const { return num_qubits_; }
  int global_qubits() const { return global_qubits_; }
  int local_qubits() const { return num_qubits_ - global_qubits_; }
  std::uint64_t local_size() const { return local_.size(); }
  // What each rank holds: its slice and the two exchange buffers.
  std::uint64_t memory_bytes_per_rank() const;
  // The physical bit of each logical qubit.
  const std::vector<int>& layout() const { return physical_of_; }
  // Qubit swaps (exchanges between ranks) so far.
  std::int64_t exchanges() const { return exchanges_; }

  void set_basis_state(std::uint64_t index);
  void apply(const UnitaryGate& gate);
  // Applies the gates in order, choosing which qubits to make global with a
  // look at the gates still to come.
  void apply(const UnitaryCircuit& circuit);

  double norm_squared() const;
  std::vector<double> occupations() const;
  std::vector<double> pair_occupations() const;
  double expectation_z(int q) const;
  double expectation_zz(int a, int b) const;
  // Sum of |amplitude|^2 over logical basis indices.
  double probability_of(std::span<const std::uint64_t> indices) const;
  // `shots` logical indices from the Born rule; `rng` must be in the same
  // state on every rank, and every rank gets the same samples.
  std::vector<std::uint64_t> sample(std::int64_t shots, std::mt19937_64& rng) const;
  // The whole state in logical order on every rank (for tests: 2^n amplitudes).
  std::vector<std::complex<double>> gather() const;

 private:
  void apply_at(const UnitaryCircuit& circuit, std::size_t index);
  // Makes every listed logical qubit local, evicting the local qubits not in
  // `keep` whose next use in `upcoming` is furthest.
  void make_local(const std::vector<int>& logical, std::span<const UnitaryGate> upcoming);
  // Swaps physical bits: global[i] <-> local[i].
  void swap_bits(const std::vector<int>& global, const std::vector<int>& local);
  // Physical index of a logical one.
  std::uint64_t physical_index(std::uint64_t logical) const;
  std::uint64_t logical_index(std::uint64_t physical) const;
  double all_sum(double value) const;
  void all_sum(std::vector<double>& values) const;

  comm::Communicator& comm_;
  int num_qubits_;
  int global_qubits_;
  DistributedOptions options_;
  StateVector<Real> local_;
  std::vector<int> physical_of_;   // logical qubit -> physical bit
  std::vector<int> logical_of_;    // physical bit -> logical qubit
  std::vector<Amplitude> send_;
  std::vector<Amplitude> recv_;
  std::int64_t exchanges_ = 0;
};

extern template class DistributedStateVector<float>;
extern template class DistributedStateVector<double>;

}  // namespace tessera::jobs::quantum
