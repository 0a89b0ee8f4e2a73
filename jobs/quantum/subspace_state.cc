#include "jobs/quantum/subspace_state.h"

#include <algorithm>
#include <bit>
#include <numeric>

#include "runtime/error.h"

namespace tessera::jobs::quantum {
namespace {

template <class Real>
inline double prob(const std::complex<Real>& a) {
  const double re = a.real(), im = a.imag();
  return re * re + im * im;
}

// (m * x) in Real arithmetic, without the NaN-recovery call std::complex makes.
template <class Real>
inline std::complex<Real> mul(std::complex<Real> m, std::complex<Real> x) {
  return {m.real() * x.real() - m.imag() * x.imag(), m.real() * x.imag() + m.imag() * x.real()};
}

}  // namespace

template <class Real>
SubspaceState<Real>::SubspaceState(int sites, int photons)
    : basis_(sites, photons), amplitudes_(basis_.dimension()) {
  amplitudes_[0] = Amplitude(1);
}

template <class Real>
typename SubspaceState<Real>::Amplitude SubspaceState<Real>::amplitude(std::uint64_t mask) const {
  if (std::popcount(mask) != photons() || (sites() < 64 && (mask >> sites()) != 0)) {
    return {};
  }
  return amplitudes_[basis_.rank_unchecked(mask)];
}

template <class Real>
void SubspaceState<Real>::set_occupied(std::span<const int> occupied) {
  std::uint64_t mask = 0;
  for (int site : occupied) {
    TESSERA_CHECK(site >= 0 && site < sites(), "site {} of {}", site, sites());
    mask |= std::uint64_t{1} << site;
  }
  set_basis_state(mask);
}

template <class Real>
void SubspaceState<Real>::set_basis_state(std::uint64_t mask) {
  const std::uint64_t r = basis_.rank(mask);
  std::fill(amplitudes_.begin(), amplitudes_.end(), Amplitude{});
  amplitudes_[r] = Amplitude(1);
}

template <class Real>
const typename SubspaceState<Real>::PairTable& SubspaceState<Real>::pair_table(int a, int b) {
  auto it = tables_.find({a, b});
  if (it != tables_.end()) {
    return it->second;
  }
  PairTable table;
  const std::uint64_t bit_a = std::uint64_t{1} << a, bit_b = std::uint64_t{1} << b;
  const std::span<const std::uint64_t> states = basis_.states();
  for (std::uint64_t i = 0; i < states.size(); ++i) {
    const std::uint64_t s = states[i];
    if ((s & bit_a) != 0 && (s & bit_b) == 0) {
      table.only_a.push_back(static_cast<std::uint32_t>(i));
      table.only_b.push_back(static_cast<std::uint32_t>(basis_.rank_unchecked(s ^ bit_a ^ bit_b)));
    } else if ((s & bit_a) != 0 && (s & bit_b) != 0) {
      table.both.push_back(static_cast<std::uint32_t>(i));
    }
  }
  return tables_.emplace(std::make_pair(a, b), std::move(table)).first->second;
}

template <class Real>
void SubspaceState<Real>::multiply_where(std::uint64_t mask, std::uint64_t value, std::complex<double> factor) {
  if (factor == std::complex<double>(1)) {
    return;
  }
  const Amplitude f(factor);
  const std::span<const std::uint64_t> states = basis_.states();
  for (std::uint64_t i = 0; i < states.size(); ++i) {
    if ((states[i] & mask) == value) {
      amplitudes_[i] = mul(f, amplitudes_[i]);
    }
  }
}

template <class Real>
void SubspaceState<Real>::apply(const UnitaryGate& gate) {
  check_gate(gate, sites());
  TESSERA_CHECK(gate.arity() <= 2 && conserves_number(gate),
                "gate '{}' on {} sites cannot run in the photon-number subspace (it needs a "
                "number-conserving gate on 1 or 2 sites)",
                gate.name, gate.arity());
  if (gate.arity() == 1) {
    const std::uint64_t bit = std::uint64_t{1} << gate.qubits[0];
    multiply_where(bit, 0, gate.at(0, 0));
    multiply_where(bit, bit, gate.at(1, 1));
    return;
  }
  // Order the sites so a < b; matrix rows follow the gate's own order
  // (qubits[0] is the high bit): |only first> is row 2, |only second> row 1.
  int a = gate.qubits[0], b = gate.qubits[1];
  int row_a = 2, row_b = 1;
  if (a > b) {
    std::swap(a, b);
    std::swap(row_a, row_b);
  }
  const std::uint64_t bit_a = std::uint64_t{1} << a, bit_b = std::uint64_t{1} << b;
  multiply_where(bit_a | bit_b, 0, gate.at(0, 0));
  const PairTable& table = pair_table(a, b);
  const Amplitude m_aa(gate.at(row_a, row_a)), m_ab(gate.at(row_a, row_b));
  const Amplitude m_ba(gate.at(row_b, row_a)), m_bb(gate.at(row_b, row_b));
  Amplitude* psi = amplitudes_.data();
  const std::size_t pairs = table.only_a.size();
  const std::uint32_t* ia = table.only_a.data();
  const std::uint32_t* ib = table.only_b.data();
  for (std::size_t k = 0; k < pairs; ++k) {
    const Amplitude xa = psi[ia[k]], xb = psi[ib[k]];
    const Amplitude ya = mul(m_aa, xa), yb = mul(m_ba, xa);
    const Amplitude za = mul(m_ab, xb), zb = mul(m_bb, xb);
    psi[ia[k]] = Amplitude(ya.real() + za.real(), ya.imag() + za.imag());
    psi[ib[k]] = Amplitude(yb.real() + zb.real(), yb.imag() + zb.imag());
  }
  const Amplitude m_11(gate.at(3, 3));
  if (m_11 != Amplitude(1)) {
    for (std::uint32_t i : table.both) {
      psi[i] = mul(m_11, psi[i]);
    }
  }
}

template <class Real>
void SubspaceState<Real>::apply(const UnitaryCircuit& circuit) {
  TESSERA_CHECK(circuit.num_qubits == sites(), "a {}-qubit circuit on {} sites", circuit.num_qubits, sites());
  for (const UnitaryGate& gate : circuit.gates) {
    apply(gate);
  }
}

template <class Real>
double SubspaceState<Real>::norm_squared() const {
  double sum = 0;
  for (const Amplitude& a : amplitudes_) {
    sum += prob(a);
  }
  return sum;
}

template <class Real>
std::vector<double> SubspaceState<Real>::occupations() const {
  std::vector<double> n(static_cast<std::size_t>(sites()), 0.0);
  const std::span<const std::uint64_t> states = basis_.states();
  for (std::uint64_t i = 0; i < states.size(); ++i) {
    const double p = prob(amplitudes_[i]);
    for (std::uint64_t bits = states[i]; bits != 0; bits &= bits - 1) {
      n[static_cast<std::size_t>(std::countr_zero(bits))] += p;
    }
  }
  return n;
}

template <class Real>
std::vector<double> SubspaceState<Real>::pair_occupations() const {
  const auto n = static_cast<std::size_t>(sites());
  std::vector<double> pairs(n * n, 0.0);
  const std::span<const std::uint64_t> states = basis_.states();
  for (std::uint64_t i = 0; i < states.size(); ++i) {
    const double p = prob(amplitudes_[i]);
    for (std::uint64_t bits = states[i]; bits != 0; bits &= bits - 1) {
      const auto j = static_cast<std::size_t>(std::countr_zero(bits));
      for (std::uint64_t more = bits; more != 0; more &= more - 1) {
        const auto k = static_cast<std::size_t>(std::countr_zero(more));
        pairs[j * n + k] += p;
      }
    }
  }
  for (std::size_t j = 0; j < n; ++j) {
    for (std::size_t k = 0; k < j; ++k) {
      pairs[j * n + k] = pairs[k * n + j];
    }
  }
  return pairs;
}

template <class Real>
double SubspaceState<Real>::probability_of(std::span<const std::uint64_t> masks) const {
  double sum = 0;
  for (std::uint64_t mask : masks) {
    sum += prob(amplitude(mask));
  }
  return sum;
}

template <class Real>
std::vector<std::uint64_t> SubspaceState<Real>::sample(std::int64_t shots, std::mt19937_64& rng) const {
  TESSERA_CHECK(shots >= 0, "{} shots", shots);
  std::vector<double> cumulative(amplitudes_.size());
  double total = 0;
  for (std::size_t i = 0; i < amplitudes_.size(); ++i) {
    total += prob(amplitudes_[i]);
    cumulative[i] = total;
  }
  TESSERA_CHECK(total > 0, "sampling a zero state");
  std::uniform_real_distribution<double> uniform(0.0, total);
  std::vector<std::uint64_t> out;
  out.reserve(static_cast<std::size_t>(shots));
  for (std::int64_t s = 0; s < shots; ++s) {
    const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), uniform(rng));
    const auto i = static_cast<std::size_t>(std::min<std::ptrdiff_t>(it - cumulative.begin(),
                                                                       static_cast<std::ptrdiff_t>(cumulative.size()) - 1));
    out.push_back(basis_.state(i));
  }
  return out;
}

template class SubspaceState<float>;
template class SubspaceState<double>;

}  // namespace tessera::jobs::quantum
