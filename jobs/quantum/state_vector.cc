// StateVector: construction and gate application. The reductions
// (norms, occupations, sampling) are in state_vector_reductions.cc.

#include "jobs/quantum/state_vector.h"

#include <algorithm>
#include <bit>
#include <cstring>

#include "jobs/quantum/parallel.h"
#include "jobs/quantum/state_vector_kernels.h"
#include "runtime/error.h"

namespace tessera::jobs::quantum {
namespace {

using kernels::GatePlan;
using kernels::KernelTable;

constexpr int kMaxStateQubits = 40;

const KernelTable* choose_kernels(const std::string& isa) {
  if (isa == "auto") {
    return &kernels::best_kernels();
  }
  const KernelTable* table = nullptr;
  if (isa == "generic") {
    table = &kernels::generic_kernels();
  } else if (isa == "avx512") {
    table = kernels::avx512_kernels();
  } else if (isa == "avx2") {
    table = kernels::avx2_kernels();
  } else {
    throw InternalError(fmt::format("state vector isa '{}' (must be auto, avx512, avx2 or generic)", isa));
  }
  if (table == nullptr) {
    throw InternalError(fmt::format("state vector isa '{}' is not compiled into this build", isa));
  }
  __builtin_cpu_init();
  const bool runs = (isa != "avx512" || __builtin_cpu_supports("x86-64-v4")) &&
                    (isa != "avx2" || __builtin_cpu_supports("x86-64-v3"));
  if (!runs) {
    throw InternalError(fmt::format("state vector isa '{}' is not supported by this CPU", isa));
  }
  return table;
}

// The coefficient vectors and nonzero flags of a gate, in the layout
// kernels::GatePlan describes. They live in per-thread buffers (a gate on a
// small state costs less than an allocation), valid until the next prepare()
// on the same thread.
template <class Real>
struct PreparedGate {
  GatePlan<Real> plan;
  std::uint64_t groups = 0;
};

// The most terms a gate has: 4^H 2^l with H + l <= kMaxGateQubits.
constexpr int kMaxTerms = 1 << (2 * kMaxGateQubits);

template <class Real>
PreparedGate<Real> prepare(const UnitaryGate& gate, int num_qubits) {
  constexpr int kLaneBits = kernels::kLaneBits<Real>;
  constexpr int kLanes = kernels::kLanes<Real>;
  constexpr int kV = kernels::kRealsPerVector<Real>;
  const int k = gate.arity();

  std::vector<int> high;
  unsigned low_mask = 0;
  for (int q : gate.qubits) {
    if (q >= kLaneBits) {
      high.push_back(q);
    } else {
      low_mask |= 1u << q;
    }
  }
  std::sort(high.begin(), high.end());
  const int h = static_cast<int>(high.size());
  const int c_count = 1 << h;
  const int x_count = 1 << std::popcount(low_mask);

  PreparedGate<Real> out;
  out.plan.high_count = h;
  out.plan.low_mask = low_mask;
  for (int i = 0; i < h; ++i) {
    out.plan.high_positions[i] = high[static_cast<std::size_t>(i)] - kLaneBits;
  }
  out.groups = std::uint64_t{1} << (num_qubits - kLaneBits - h);
  const int terms = c_count * c_count * x_count;
  thread_local AlignedBuffer<Real> coefficients(std::uint64_t{kMaxTerms} * 2 * kV);
  thread_local std::vector<unsigned char> nonzero(kMaxTerms);
  std::fill(nonzero.begin(), nonzero.begin() + terms, 0);

  // Where each gate qubit's bit comes from: the high index (r or c) or the lane.
  std::vector<int> high_slot(static_cast<std::size_t>(k), -1);
  for (int t = 0; t < k; ++t) {
    auto it = std::find(high.begin(), high.end(), gate.qubits[static_cast<std::size_t>(t)]);
    if (it != high.end()) {
      high_slot[static_cast<std::size_t>(t)] = static_cast<int>(it - high.begin());
    }
  }
  auto matrix_index = [&](int high_bits, int lane) {
    int index = 0;
    for (int t = 0; t < k; ++t) {
      const int q = gate.qubits[static_cast<std::size_t>(t)];
      const int slot = high_slot[static_cast<std::size_t>(t)];
      const int bit = slot >= 0 ? (high_bits >> slot) & 1 : (lane >> q) & 1;
      index |= bit << (k - 1 - t);
    }
    return index;
  };

  for (int r = 0; r < c_count; ++r) {
    for (int c = 0; c < c_count; ++c) {
      for (int s = 0; s < x_count; ++s) {
        // The s-th subset of the lane qubits.
        unsigned x = 0;
        for (unsigned bit = 0, used = 0; bit < static_cast<unsigned>(kLaneBits); ++bit) {
          if ((low_mask >> bit) & 1u) {
            x |= ((static_cast<unsigned>(s) >> used) & 1u) << bit;
            ++used;
          }
        }
        const int term = (r * c_count + c) * x_count + s;
        Real* re = coefficients.data() + static_cast<std::size_t>(2 * term) * kV;
        Real* im = re + kV;
        for (int lane = 0; lane < kLanes; ++lane) {
          const Complex m = gate.at(matrix_index(r, lane), matrix_index(c, lane ^ static_cast<int>(x)));
          re[2 * lane] = re[2 * lane + 1] = static_cast<Real>(m.real());
          im[2 * lane] = static_cast<Real>(-m.imag());
          im[2 * lane + 1] = static_cast<Real>(m.imag());
          if (m != Complex{}) {
            nonzero[static_cast<std::size_t>(term)] = 1;
          }
        }
      }
    }
  }
  out.plan.coefficients = coefficients.data();
  out.plan.nonzero = nonzero.data();
  return out;
}

// States smaller than one vector: gather, multiply, scatter.
template <class Real>
void apply_scalar(std::complex<Real>* amplitudes, int num_qubits, const UnitaryGate& gate) {
  const int k = gate.arity();
  const int dim = gate.dimension();
  std::uint64_t gate_mask = 0;
  std::vector<std::uint64_t> offsets(static_cast<std::size_t>(dim), 0);
  for (int t = 0; t < k; ++t) {
    gate_mask |= std::uint64_t{1} << gate.qubits[static_cast<std::size_t>(t)];
  }
  for (int sub = 0; sub < dim; ++sub) {
    for (int t = 0; t < k; ++t) {
      if ((sub >> (k - 1 - t)) & 1) {
        offsets[static_cast<std::size_t>(sub)] |= std::uint64_t{1} << gate.qubits[static_cast<std::size_t>(t)];
      }
    }
  }
  std::vector<Complex> in(static_cast<std::size_t>(dim));
  const std::uint64_t size = std::uint64_t{1} << num_qubits;
  for (std::uint64_t base = 0; base < size; ++base) {
    if ((base & gate_mask) != 0) {
      continue;
    }
    for (int sub = 0; sub < dim; ++sub) {
      in[static_cast<std::size_t>(sub)] = amplitudes[base | offsets[static_cast<std::size_t>(sub)]];
    }
    for (int row = 0; row < dim; ++row) {
      Complex acc = 0;
      for (int col = 0; col < dim; ++col) {
        acc += gate.at(row, col) * in[static_cast<std::size_t>(col)];
      }
      amplitudes[base | offsets[static_cast<std::size_t>(row)]] = std::complex<Real>(acc);
    }
  }
}

}  // namespace

template <class Real>
StateVector<Real>::StateVector(int num_qubits, StateVectorOptions options)
    : num_qubits_(num_qubits), options_(std::move(options)), kernels_(choose_kernels(options_.isa)) {
  TESSERA_CHECK(num_qubits >= 1 && num_qubits <= kMaxStateQubits, "a state vector of {} qubits (1..{})",
                num_qubits, kMaxStateQubits);
  TESSERA_CHECK(options_.threads >= 1, "state vector threads = {} (must be >= 1)", options_.threads);
  amplitudes_ = AlignedBuffer<Amplitude>(std::uint64_t{1} << num_qubits);
  set_basis_state(0);
}

template <class Real>
const char* StateVector<Real>::isa() const {
  return kernels_->isa;
}

template <class Real>
void StateVector<Real>::set_basis_state(std::uint64_t index) {
  TESSERA_CHECK(index < size(), "basis state {} of a {}-qubit state", index, num_qubits_);
  Amplitude* a = amplitudes_.data();
  // Zeroed by the threads that will later work on each part (first touch).
  parallel_ranges(threads_for(options_.threads, size()), size(), [a](std::uint64_t b, std::uint64_t e, int) {
    std::memset(static_cast<void*>(a + b), 0, (e - b) * sizeof(Amplitude));
  });
  a[index] = Amplitude(1);
}

template <class Real>
void StateVector<Real>::set_amplitudes(std::span<const std::complex<double>> amplitudes) {
  TESSERA_CHECK(amplitudes.size() == size(), "{} amplitudes for a state of {}", amplitudes.size(), size());
  for (std::uint64_t i = 0; i < size(); ++i) {
    amplitudes_[i] = Amplitude(amplitudes[i]);
  }
}

template <class Real>
void StateVector<Real>::apply(const UnitaryGate& gate) {
  check_gate(gate, num_qubits_);
  if (num_qubits_ < kernels::kLaneBits<Real>) {
    apply_scalar(amplitudes_.data(), num_qubits_, gate);
    return;
  }
  const PreparedGate<Real> prepared = prepare<Real>(gate, num_qubits_);
  Real* data = reinterpret_cast<Real*>(amplitudes_.data());
  kernels::ApplyFn<Real> fn;
  if constexpr (std::is_same_v<Real, float>) {
    fn = kernels_->apply_f32;
  } else {
    fn = kernels_->apply_f64;
  }
  const GatePlan<Real>& plan = prepared.plan;
  parallel_ranges(threads_for(options_.threads, size()), prepared.groups,
                  [&](std::uint64_t b, std::uint64_t e, int) { fn(data, plan, b, e); });
}

template <class Real>
void StateVector<Real>::apply(const UnitaryCircuit& circuit) {
  TESSERA_CHECK(circuit.num_qubits == num_qubits_, "a {}-qubit circuit on a {}-qubit state",
                circuit.num_qubits, num_qubits_);
  for (const UnitaryGate& gate : circuit.gates) {
    apply(gate);
  }
}

template class StateVector<float>;
template class StateVector<double>;

}  // namespace tessera::jobs::quantum
