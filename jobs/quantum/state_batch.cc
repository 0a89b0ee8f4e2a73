#include "jobs/quantum/state_batch.h"

#include <algorithm>
#include <bit>

#include "runtime/error.h"

namespace tessera::jobs::quantum {
namespace {

int slot_qubits(int slots) {
  TESSERA_CHECK(slots >= 1, "a state batch of {} slots (must be >= 1)", slots);
  return std::bit_width(static_cast<unsigned>(slots - 1));
}

}  // namespace

template <class Real>
StateBatch<Real>::StateBatch(int num_qubits, int slots, StateVectorOptions options)
    : num_qubits_(num_qubits),
      slots_(slots),
      state_(num_qubits + slot_qubits(slots), std::move(options)) {
  std::span<Amplitude> all = state_.amplitudes();
  std::fill(all.begin(), all.end(), Amplitude(0));
  for (int s = 0; s < slots_; ++s) {
    slot(s)[0] = Amplitude(1);
  }
}

template <class Real>
std::span<typename StateBatch<Real>::Amplitude> StateBatch<Real>::slot(int s) {
  TESSERA_CHECK(s >= 0 && s < slots_, "slot {} of a batch of {}", s, slots_);
  return state_.amplitudes().subspan(static_cast<std::size_t>(s) * slot_size(), slot_size());
}

template <class Real>
std::span<const typename StateBatch<Real>::Amplitude> StateBatch<Real>::slot(int s) const {
  TESSERA_CHECK(s >= 0 && s < slots_, "slot {} of a batch of {}", s, slots_);
  return state_.amplitudes().subspan(static_cast<std::size_t>(s) * slot_size(), slot_size());
}

template <class Real>
void StateBatch<Real>::set_product_state(int s, std::span<const QubitState> qubits) {
  TESSERA_CHECK(
      static_cast<int>(qubits.size()) == num_qubits_,
      "a product state of {} qubits for {}-qubit slots",
      qubits.size(),
      num_qubits_);
  std::span<Amplitude> a = slot(s);
  // Built qubit by qubit: after qubit q the first 2^(q+1) entries hold the
  // product of qubits 0..q.
  std::vector<Complex> product(slot_size());
  product[0] = 1;
  for (int q = 0; q < num_qubits_; ++q) {
    const std::uint64_t half = std::uint64_t{1} << q;
    const QubitState& v = qubits[static_cast<std::size_t>(q)];
    for (std::uint64_t i = 0; i < half; ++i) {
      product[half + i] = product[i] * v[1];
      product[i] *= v[0];
    }
  }
  for (std::uint64_t i = 0; i < slot_size(); ++i) {
    a[i] = Amplitude(product[i]);
  }
}

template <class Real>
void StateBatch<Real>::set_slot(int s, std::span<const Amplitude> amplitudes) {
  TESSERA_CHECK(
      amplitudes.size() == slot_size(),
      "{} amplitudes for a slot of {}",
      amplitudes.size(),
      slot_size());
  std::copy(amplitudes.begin(), amplitudes.end(), slot(s).begin());
}

template <class Real>
void StateBatch<Real>::apply(const UnitaryGate& gate) {
  for (int q : gate.qubits) {
    TESSERA_CHECK(
        q >= 0 && q < num_qubits_,
        "gate '{}' on qubit {} of {}-qubit slots",
        gate.name,
        q,
        num_qubits_);
  }
  state_.apply(gate);
}

template <class Real>
void StateBatch<Real>::apply(const UnitaryCircuit& circuit) {
  TESSERA_CHECK(
      circuit.num_qubits == num_qubits_,
      "a {}-qubit circuit on {}-qubit slots",
      circuit.num_qubits,
      num_qubits_);
  for (const UnitaryGate& gate : circuit.gates) {
    state_.apply(gate);
  }
}

template <class Real>
std::vector<double> StateBatch<Real>::expectation_z(int q) const {
  TESSERA_CHECK(q >= 0 && q < num_qubits_, "<Z> of qubit {} of {}-qubit slots", q, num_qubits_);
  std::vector<double> out(static_cast<std::size_t>(slots_));
  for (int s = 0; s < slots_; ++s) {
    out[static_cast<std::size_t>(s)] = quantum::expectation_z<Real>(slot(s), q);
  }
  return out;
}

template <class Real>
double expectation_z(std::span<const std::complex<Real>> amplitudes, int q) {
  const std::uint64_t bit = std::uint64_t{1} << q;
  double sum = 0;
  for (std::uint64_t i = 0; i < amplitudes.size(); ++i) {
    const double p = std::norm(std::complex<double>(amplitudes[i]));
    sum += (i & bit) != 0 ? -p : p;
  }
  return sum;
}

template class StateBatch<float>;
template class StateBatch<double>;
template double expectation_z<float>(std::span<const std::complex<float>>, int);
template double expectation_z<double>(std::span<const std::complex<double>>, int);

}  // namespace tessera::jobs::quantum
