#include "jobs/quantum/distributed_state_vector.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <numeric>

#include "runtime/error.h"

namespace tessera::jobs::quantum {
namespace {

// k for a communicator of 2^k ranks, checked against the state's size.
int global_qubit_count(int num_qubits, const comm::Communicator& comm) {
  const auto size = static_cast<unsigned>(comm.size());
  TESSERA_CHECK(std::has_single_bit(size), "a distributed state vector needs 2^k ranks, not {}", size);
  const int k = std::countr_zero(size);
  TESSERA_CHECK(num_qubits - k >= kMaxGateQubits,
                "{} qubits over {} ranks leaves {} local qubits per rank (at least {} needed)", num_qubits,
                size, num_qubits - k, kMaxGateQubits);
  return k;
}

template <class Real>
comm::Buffer amplitude_buffer(std::complex<Real>* data, std::size_t count) {
  return {data, 2 * count, comm::dtype_of<Real>(), comm::Device::cpu()};
}

}  // namespace

template <class Real>
DistributedStateVector<Real>::DistributedStateVector(int num_qubits, comm::Communicator& comm,
                                                     DistributedOptions options)
    : comm_(comm),
      num_qubits_(num_qubits),
      global_qubits_(global_qubit_count(num_qubits, comm)),
      options_(std::move(options)),
      local_(num_qubits - global_qubits_, {options_.threads, options_.isa}) {
  physical_of_.resize(static_cast<std::size_t>(num_qubits));
  std::iota(physical_of_.begin(), physical_of_.end(), 0);
  logical_of_ = physical_of_;
  const std::uint64_t chunk =
      std::clamp<std::uint64_t>(options_.exchange_chunk_bytes / sizeof(Amplitude), 1, local_.size());
  send_.resize(chunk);
  recv_.resize(chunk);
  set_basis_state(0);
}

template <class Real>
std::uint64_t DistributedStateVector<Real>::memory_bytes_per_rank() const {
  return local_.memory_bytes() + (send_.size() + recv_.size()) * sizeof(Amplitude);
}

template <class Real>
std::uint64_t DistributedStateVector<Real>::physical_index(std::uint64_t logical) const {
  std::uint64_t physical = 0;
  for (int q = 0; q < num_qubits_; ++q) {
    physical |= ((logical >> q) & 1) << physical_of_[static_cast<std::size_t>(q)];
  }
  return physical;
}

template <class Real>
std::uint64_t DistributedStateVector<Real>::logical_index(std::uint64_t physical) const {
  std::uint64_t logical = 0;
  for (int p = 0; p < num_qubits_; ++p) {
    logical |= ((physical >> p) & 1) << logical_of_[static_cast<std::size_t>(p)];
  }
  return logical;
}

template <class Real>
void DistributedStateVector<Real>::set_basis_state(std::uint64_t index) {
  TESSERA_CHECK(index < (std::uint64_t{1} << num_qubits_), "basis state {} of {} qubits", index, num_qubits_);
  const std::uint64_t physical = physical_index(index);
  const auto owner = static_cast<int>(physical >> local_qubits());
  local_.set_basis_state(physical & (local_.size() - 1));
  if (owner != comm_.rank()) {
    local_.amplitudes()[physical & (local_.size() - 1)] = Amplitude{};
  }
}

template <class Real>
void DistributedStateVector<Real>::apply(const UnitaryGate& gate) {
  UnitaryCircuit one{num_qubits_, {}};
  one.add(gate);
  apply_at(one, 0);
}

template <class Real>
void DistributedStateVector<Real>::apply(const UnitaryCircuit& circuit) {
  TESSERA_CHECK(circuit.num_qubits == num_qubits_, "a {}-qubit circuit on a {}-qubit state", circuit.num_qubits,
                num_qubits_);
  for (std::size_t i = 0; i < circuit.gates.size(); ++i) {
    apply_at(circuit, i);
  }
}

template <class Real>
void DistributedStateVector<Real>::apply_at(const UnitaryCircuit& circuit, std::size_t index) {
  const UnitaryGate& gate = circuit.gates[index];
  check_gate(gate, num_qubits_);
  const std::span<const UnitaryGate> upcoming(circuit.gates.data() + index + 1, circuit.gates.size() - index - 1);
  make_local(gate.qubits, upcoming);
  UnitaryGate local = gate;
  for (int& q : local.qubits) {
    q = physical_of_[static_cast<std::size_t>(q)];
  }
  local_.apply(local);
}

template <class Real>
void DistributedStateVector<Real>::make_local(const std::vector<int>& logical, std::span<const UnitaryGate> upcoming) {
  const int local_bits = local_qubits();
  std::vector<int> global;
  for (int q : logical) {
    const int p = physical_of_[static_cast<std::size_t>(q)];
    if (p >= local_bits) {
      global.push_back(p);
    }
  }
  if (global.empty()) {
    return;
  }
  // Candidates: local bits holding qubits the gate does not use, ranked by
  // the next use of their qubit (never used again first), then by height
  // (higher bits move in longer contiguous runs).
  constexpr std::size_t kNever = std::numeric_limits<std::size_t>::max();
  struct Candidate {
    int bit;
    std::size_t next_use;
  };
  std::vector<Candidate> candidates;
  for (int p = 0; p < local_bits; ++p) {
    const int q = logical_of_[static_cast<std::size_t>(p)];
    if (std::find(logical.begin(), logical.end(), q) != logical.end()) {
      continue;
    }
    std::size_t next = kNever;
    for (std::size_t i = 0; i < upcoming.size() && next == kNever; ++i) {
      const std::vector<int>& qs = upcoming[i].qubits;
      if (std::find(qs.begin(), qs.end(), q) != qs.end()) {
        next = i;
      }
    }
    candidates.push_back({p, next});
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& x, const Candidate& y) {
    return x.next_use != y.next_use ? x.next_use > y.next_use : x.bit > y.bit;
  });
  TESSERA_CHECK(candidates.size() >= global.size(), "no room to make {} qubits local", global.size());
  std::vector<int> victims;
  for (std::size_t i = 0; i < global.size(); ++i) {
    victims.push_back(candidates[i].bit);
  }
  swap_bits(global, victims);
}

template <class Real>
void DistributedStateVector<Real>::swap_bits(const std::vector<int>& global, const std::vector<int>& local) {
  const int m = static_cast<int>(global.size());
  const int local_bits = local_qubits();
  const int rank = comm_.rank();
  // This rank's value of the swapped global bits, and where its partners' are.
  unsigned own = 0;
  std::uint64_t fixed_mask = 0;
  for (int i = 0; i < m; ++i) {
    own |= static_cast<unsigned>((rank >> (global[static_cast<std::size_t>(i)] - local_bits)) & 1) << i;
    fixed_mask |= std::uint64_t{1} << local[static_cast<std::size_t>(i)];
  }
  const std::uint64_t rest_mask = (local_.size() - 1) & ~fixed_mask;
  const std::uint64_t part_size = std::uint64_t{1} << (local_bits - m);
  Amplitude* a = local_.amplitudes().data();

  // Round d pairs this rank with the one whose swapped bits are own ^ d, so
  // both sides of every pair meet in the same round. The part of this slice
  // whose local bits equal the partner's global bits goes there, and the
  // partner's part for this rank comes back into the same places.
  for (unsigned d = 1; d < (1u << m); ++d) {
    const unsigned v = own ^ d;
    int partner = rank;
    std::uint64_t fixed = 0;
    for (int i = 0; i < m; ++i) {
      const int rank_bit = global[static_cast<std::size_t>(i)] - local_bits;
      partner = (partner & ~(1 << rank_bit)) | static_cast<int>(((v >> i) & 1) << rank_bit);
      fixed |= static_cast<std::uint64_t>((v >> i) & 1) << local[static_cast<std::size_t>(i)];
    }
    std::uint64_t x = 0;  // the rest bits, enumerated as submasks of rest_mask in increasing order
    for (std::uint64_t done = 0; done < part_size;) {
      const std::uint64_t count = std::min<std::uint64_t>(send_.size(), part_size - done);
      const std::uint64_t start = x;
      for (std::uint64_t j = 0; j < count; ++j) {
        send_[j] = a[x | fixed];
        x = (x - rest_mask) & rest_mask;
      }
      comm::Work sent = comm_.send(amplitude_buffer(send_.data(), count), partner, {.async = true});
      comm::Work received = comm_.recv(amplitude_buffer(recv_.data(), count), partner, {.async = true});
      sent.wait();
      received.wait();
      x = start;
      for (std::uint64_t j = 0; j < count; ++j) {
        a[x | fixed] = recv_[j];
        x = (x - rest_mask) & rest_mask;
      }
      done += count;
    }
  }
  for (int i = 0; i < m; ++i) {
    const auto g = static_cast<std::size_t>(global[static_cast<std::size_t>(i)]);
    const auto l = static_cast<std::size_t>(local[static_cast<std::size_t>(i)]);
    std::swap(logical_of_[g], logical_of_[l]);
    physical_of_[static_cast<std::size_t>(logical_of_[g])] = static_cast<int>(g);
    physical_of_[static_cast<std::size_t>(logical_of_[l])] = static_cast<int>(l);
  }
  ++exchanges_;
}

template <class Real>
double DistributedStateVector<Real>::all_sum(double value) const {
  comm_.all_reduce(comm::as_buffer(value)).wait();
  return value;
}

template <class Real>
void DistributedStateVector<Real>::all_sum(std::vector<double>& values) const {
  comm_.all_reduce(comm::as_buffer(values)).wait();
}

template <class Real>
double DistributedStateVector<Real>::norm_squared() const {
  return all_sum(local_.norm_squared());
}

template <class Real>
std::vector<double> DistributedStateVector<Real>::occupations() const {
  const int local_bits = local_qubits();
  const std::vector<double> local = local_.occupations();
  const double norm = local_.norm_squared();
  std::vector<double> out(static_cast<std::size_t>(num_qubits_));
  for (int q = 0; q < num_qubits_; ++q) {
    const int p = physical_of_[static_cast<std::size_t>(q)];
    out[static_cast<std::size_t>(q)] =
        p < local_bits ? local[static_cast<std::size_t>(p)] : ((comm_.rank() >> (p - local_bits)) & 1) * norm;
  }
  all_sum(out);
  return out;
}

template <class Real>
std::vector<double> DistributedStateVector<Real>::pair_occupations() const {
  const int local_bits = local_qubits();
  const auto n = static_cast<std::size_t>(num_qubits_);
  const auto l = static_cast<std::size_t>(local_bits);
  const std::vector<double> pairs = local_.pair_occupations();
  const double norm = local_.norm_squared();
  auto on = [&](int p) { return p >= local_bits && ((comm_.rank() >> (p - local_bits)) & 1) != 0; };
  std::vector<double> out(n * n);
  for (std::size_t j = 0; j < n; ++j) {
    for (std::size_t k = 0; k < n; ++k) {
      const int pj = physical_of_[j], pk = physical_of_[k];
      double value;
      if (pj < local_bits && pk < local_bits) {
        value = pairs[static_cast<std::size_t>(pj) * l + static_cast<std::size_t>(pk)];
      } else if (pj < local_bits) {
        value = on(pk) ? pairs[static_cast<std::size_t>(pj) * l + static_cast<std::size_t>(pj)] : 0.0;
      } else if (pk < local_bits) {
        value = on(pj) ? pairs[static_cast<std::size_t>(pk) * l + static_cast<std::size_t>(pk)] : 0.0;
      } else {
        value = on(pj) && on(pk) ? norm : 0.0;
      }
      out[j * n + k] = value;
    }
  }
  all_sum(out);
  return out;
}

template <class Real>
double DistributedStateVector<Real>::expectation_z(int q) const {
  TESSERA_CHECK(q >= 0 && q < num_qubits_, "qubit {} of {}", q, num_qubits_);
  const int p = physical_of_[static_cast<std::size_t>(q)];
  const int local_bits = local_qubits();
  const double value = p < local_bits ? local_.expectation_z(p)
                                      : (((comm_.rank() >> (p - local_bits)) & 1) ? -1.0 : 1.0) * local_.norm_squared();
  return all_sum(value);
}

template <class Real>
double DistributedStateVector<Real>::expectation_zz(int a, int b) const {
  TESSERA_CHECK(a >= 0 && a < num_qubits_ && b >= 0 && b < num_qubits_, "qubits {}, {} of {}", a, b, num_qubits_);
  const int local_bits = local_qubits();
  const int pa = physical_of_[static_cast<std::size_t>(a)], pb = physical_of_[static_cast<std::size_t>(b)];
  auto sign = [&](int p) { return ((comm_.rank() >> (p - local_bits)) & 1) ? -1.0 : 1.0; };
  double value;
  if (pa < local_bits && pb < local_bits) {
    value = local_.expectation_zz(pa, pb);
  } else if (pa < local_bits) {
    value = sign(pb) * local_.expectation_z(pa);
  } else if (pb < local_bits) {
    value = sign(pa) * local_.expectation_z(pb);
  } else {
    value = sign(pa) * sign(pb) * local_.norm_squared();
  }
  return all_sum(value);
}

template <class Real>
double DistributedStateVector<Real>::probability_of(std::span<const std::uint64_t> indices) const {
  const int local_bits = local_qubits();
  double sum = 0;
  for (std::uint64_t index : indices) {
    TESSERA_CHECK(index >> num_qubits_ == 0, "basis state {} of {} qubits", index, num_qubits_);
    const std::uint64_t physical = physical_index(index);
    if (static_cast<int>(physical >> local_bits) == comm_.rank()) {
      sum += local_.probability(physical & (local_.size() - 1));
    }
  }
  return all_sum(sum);
}

template <class Real>
std::vector<std::uint64_t> DistributedStateVector<Real>::sample(std::int64_t shots, std::mt19937_64& rng) const {
  TESSERA_CHECK(shots >= 0, "{} shots", shots);
  const auto ranks = static_cast<std::size_t>(comm_.size());
  double own = local_.norm_squared();
  std::vector<double> totals(ranks);
  comm_.all_gather(comm::as_buffer(own), comm::as_buffer(totals)).wait();
  std::vector<double> cumulative(ranks);
  std::partial_sum(totals.begin(), totals.end(), cumulative.begin());
  TESSERA_CHECK(cumulative.back() > 0, "sampling a zero state vector");
  // The same draws on every rank decide how many shots each rank owns.
  std::uniform_real_distribution<double> uniform(0.0, cumulative.back());
  std::vector<std::size_t> counts(ranks, 0);
  for (std::int64_t s = 0; s < shots; ++s) {
    const auto it = std::upper_bound(cumulative.begin(), cumulative.end(), uniform(rng));
    ++counts[std::min<std::size_t>(static_cast<std::size_t>(it - cumulative.begin()), ranks - 1)];
  }
  std::mt19937_64 own_rng(rng() + 0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(comm_.rank() + 1));
  std::vector<std::int64_t> mine;
  const auto rank = static_cast<std::size_t>(comm_.rank());
  if (counts[rank] > 0) {
    for (std::uint64_t i : local_.sample(static_cast<std::int64_t>(counts[rank]), own_rng)) {
      mine.push_back(static_cast<std::int64_t>(logical_index((static_cast<std::uint64_t>(rank) << local_qubits()) | i)));
    }
  }
  std::vector<std::int64_t> all(static_cast<std::size_t>(shots));
  comm_.all_gatherv(comm::as_buffer(mine), comm::as_buffer(all), counts).wait();
  std::shuffle(all.begin(), all.end(), rng);
  return {all.begin(), all.end()};
}

template <class Real>
std::vector<std::complex<double>> DistributedStateVector<Real>::gather() const {
  std::vector<Amplitude> physical(local_.size() * static_cast<std::uint64_t>(comm_.size()));
  Amplitude* own = const_cast<Amplitude*>(local_.amplitudes().data());
  comm_.all_gather(amplitude_buffer(own, local_.size()), amplitude_buffer(physical.data(), physical.size())).wait();
  std::vector<std::complex<double>> out(physical.size());
  for (std::uint64_t p = 0; p < physical.size(); ++p) {
    out[logical_index(p)] = std::complex<double>(physical[p]);
  }
  return out;
}

template class DistributedStateVector<float>;
template class DistributedStateVector<double>;

}  // namespace tessera::jobs::quantum
