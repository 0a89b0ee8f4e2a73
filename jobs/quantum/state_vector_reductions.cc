// StateVector: norms, inner products, occupations, expectations and
// sampling. Every sum runs in double precision, per thread, then combined.

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>

#include "jobs/quantum/parallel.h"
#include "jobs/quantum/state_vector.h"
#include "runtime/error.h"

namespace tessera::jobs::quantum {
namespace {

// Occupations come from one read of the state: chunks of 2^kChunkBits
// amplitudes; the low qubits from per-lane sums, the high ones from chunk totals.
constexpr int kChunkBits = 6;
constexpr std::uint64_t kChunk = std::uint64_t{1} << kChunkBits;

template <class Real>
inline double prob(const std::complex<Real>& a) {
  const double re = a.real(), im = a.imag();
  return re * re + im * im;
}

// Sums fn(begin, end) -> double over [0, items) on up to `threads` threads.
template <class Fn>
double parallel_sum(int threads, std::uint64_t items, Fn&& fn) {
  const int team = threads_for(threads, items);
  std::vector<double> partial(static_cast<std::size_t>(team), 0.0);
  parallel_ranges(team, items, [&](std::uint64_t b, std::uint64_t e, int t) {
    partial[static_cast<std::size_t>(t)] = fn(b, e);
  });
  return std::accumulate(partial.begin(), partial.end(), 0.0);
}

}  // namespace

template <class Real>
void StateVector<Real>::scale(std::complex<double> factor) {
  Amplitude* a = amplitudes_.data();
  const Amplitude f(factor);
  parallel_ranges(threads_for(options_.threads, size()), size(), [a, f](std::uint64_t b, std::uint64_t e, int) {
    for (std::uint64_t i = b; i < e; ++i) {
      const Real re = a[i].real() * f.real() - a[i].imag() * f.imag();
      const Real im = a[i].real() * f.imag() + a[i].imag() * f.real();
      a[i] = Amplitude(re, im);
    }
  });
}

template <class Real>
double StateVector<Real>::norm_squared() const {
  const Amplitude* a = amplitudes_.data();
  return parallel_sum(options_.threads, size(), [a](std::uint64_t b, std::uint64_t e) {
    double sum = 0;
    for (std::uint64_t i = b; i < e; ++i) {
      sum += prob(a[i]);
    }
    return sum;
  });
}

template <class Real>
void StateVector<Real>::normalize() {
  const double norm = std::sqrt(norm_squared());
  TESSERA_CHECK(norm > 0, "normalising a zero state vector");
  scale(1.0 / norm);
}

template <class Real>
std::complex<double> StateVector<Real>::inner_product(const StateVector& other) const {
  TESSERA_CHECK(other.num_qubits_ == num_qubits_, "inner product of {} and {} qubits", num_qubits_,
                other.num_qubits_);
  const Amplitude* a = amplitudes_.data();
  const Amplitude* b = other.amplitudes_.data();
  auto part = [&](bool imaginary) {
    return parallel_sum(options_.threads, size(), [=](std::uint64_t lo, std::uint64_t hi) {
      double sum = 0;
      for (std::uint64_t i = lo; i < hi; ++i) {
        const double ar = a[i].real(), ai = a[i].imag(), br = b[i].real(), bi = b[i].imag();
        sum += imaginary ? ar * bi - ai * br : ar * br + ai * bi;
      }
      return sum;
    });
  };
  return {part(false), part(true)};
}

template <class Real>
double StateVector<Real>::probability(std::uint64_t index) const {
  TESSERA_CHECK(index < size(), "basis state {} of a {}-qubit state", index, num_qubits_);
  return prob(amplitudes_[index]);
}

template <class Real>
double StateVector<Real>::probability_of(std::span<const std::uint64_t> indices) const {
  double sum = 0;
  for (std::uint64_t index : indices) {
    sum += probability(index);
  }
  return sum;
}

template <class Real>
std::vector<double> StateVector<Real>::occupations() const {
  const int n = num_qubits_;
  const Amplitude* a = amplitudes_.data();
  std::vector<double> occupation(static_cast<std::size_t>(n), 0.0);
  if (n < kChunkBits) {
    for (std::uint64_t i = 0; i < size(); ++i) {
      for (int q = 0; q < n; ++q) {
        occupation[static_cast<std::size_t>(q)] += ((i >> q) & 1) ? prob(a[i]) : 0.0;
      }
    }
    return occupation;
  }
  const std::uint64_t chunks = size() / kChunk;
  const int team = threads_for(options_.threads, size());
  // Per thread: kChunk per-lane sums, then n per-qubit sums for the high qubits.
  const std::size_t stride = kChunk + static_cast<std::size_t>(n);
  std::vector<double> partial(static_cast<std::size_t>(team) * stride, 0.0);
  parallel_ranges(team, chunks, [&](std::uint64_t b, std::uint64_t e, int t) {
    double* lane = partial.data() + static_cast<std::size_t>(t) * stride;
    double* high = lane + kChunk;
    for (std::uint64_t chunk = b; chunk < e; ++chunk) {
      const Amplitude* block = a + chunk * kChunk;
      double total = 0;
      for (std::uint64_t l = 0; l < kChunk; ++l) {
        const double p = prob(block[l]);
        lane[l] += p;
        total += p;
      }
      for (std::uint64_t bits = chunk; bits != 0; bits &= bits - 1) {
        high[kChunkBits + std::countr_zero(bits)] += total;
      }
    }
  });
  for (int t = 0; t < team; ++t) {
    const double* lane = partial.data() + static_cast<std::size_t>(t) * stride;
    for (int q = 0; q < n; ++q) {
      if (q < kChunkBits) {
        for (std::uint64_t l = 0; l < kChunk; ++l) {
          occupation[static_cast<std::size_t>(q)] += ((l >> q) & 1) ? lane[l] : 0.0;
        }
      } else {
        occupation[static_cast<std::size_t>(q)] += lane[kChunk + static_cast<std::size_t>(q)];
      }
    }
  }
  return occupation;
}

template <class Real>
std::vector<double> StateVector<Real>::pair_occupations() const {
  const int n = num_qubits_;
  const auto un = static_cast<std::size_t>(n);
  const Amplitude* a = amplitudes_.data();
  std::vector<double> pairs(un * un, 0.0);
  if (n < kChunkBits) {
    for (std::uint64_t i = 0; i < size(); ++i) {
      for (int j = 0; j < n; ++j) {
        for (int k = 0; k < n; ++k) {
          pairs[static_cast<std::size_t>(j) * un + static_cast<std::size_t>(k)] +=
              ((i >> j) & (i >> k) & 1) ? prob(a[i]) : 0.0;
        }
      }
    }
    return pairs;
  }
  // Per thread: lane sums (kChunk), lane sums restricted to chunks with high
  // qubit j set (n x kChunk), and chunk totals for pairs of high qubits (n x n).
  const std::uint64_t chunks = size() / kChunk;
  const int team = threads_for(options_.threads, size());
  const std::size_t stride = kChunk + un * kChunk + un * un;
  std::vector<double> partial(static_cast<std::size_t>(team) * stride, 0.0);
  parallel_ranges(team, chunks, [&](std::uint64_t b, std::uint64_t e, int t) {
    double* lane = partial.data() + static_cast<std::size_t>(t) * stride;
    double* lane_high = lane + kChunk;
    double* high_high = lane_high + un * kChunk;
    double p[kChunk];
    for (std::uint64_t chunk = b; chunk < e; ++chunk) {
      const Amplitude* block = a + chunk * kChunk;
      double total = 0;
      for (std::uint64_t l = 0; l < kChunk; ++l) {
        p[l] = prob(block[l]);
        lane[l] += p[l];
        total += p[l];
      }
      for (std::uint64_t bits = chunk; bits != 0; bits &= bits - 1) {
        const int j = kChunkBits + std::countr_zero(bits);
        double* row = lane_high + static_cast<std::size_t>(j) * kChunk;
        for (std::uint64_t l = 0; l < kChunk; ++l) {
          row[l] += p[l];
        }
        for (std::uint64_t more = bits & (bits - 1); more != 0; more &= more - 1) {
          const int k = kChunkBits + std::countr_zero(more);
          high_high[static_cast<std::size_t>(j) * un + static_cast<std::size_t>(k)] += total;
        }
      }
    }
  });
  for (int t = 0; t < team; ++t) {
    const double* lane = partial.data() + static_cast<std::size_t>(t) * stride;
    const double* lane_high = lane + kChunk;
    const double* high_high = lane_high + un * kChunk;
    for (int j = 0; j < n; ++j) {
      for (int k = j; k < n; ++k) {
        double sum = 0;
        if (k < kChunkBits) {  // both in the lane
          for (std::uint64_t l = 0; l < kChunk; ++l) {
            sum += ((l >> j) & (l >> k) & 1) ? lane[l] : 0.0;
          }
        } else if (j < kChunkBits || j == k) {  // j in the lane (or j == k high), k high
          const double* row = lane_high + static_cast<std::size_t>(k) * kChunk;
          for (std::uint64_t l = 0; l < kChunk; ++l) {
            sum += (j == k || ((l >> j) & 1)) ? row[l] : 0.0;
          }
        } else {  // both high
          sum = high_high[static_cast<std::size_t>(j) * un + static_cast<std::size_t>(k)];
        }
        pairs[static_cast<std::size_t>(j) * un + static_cast<std::size_t>(k)] += sum;
      }
    }
  }
  for (std::size_t j = 0; j < un; ++j) {
    for (std::size_t k = 0; k < j; ++k) {
      pairs[j * un + k] = pairs[k * un + j];
    }
  }
  return pairs;
}

template <class Real>
double StateVector<Real>::expectation_z(int q) const {
  TESSERA_CHECK(q >= 0 && q < num_qubits_, "qubit {} of {}", q, num_qubits_);
  const Amplitude* a = amplitudes_.data();
  const std::uint64_t low = (std::uint64_t{1} << q) - 1;
  // Sum over the half of the indices with bit q set.
  const double ones = parallel_sum(options_.threads, size() / 2, [=](std::uint64_t b, std::uint64_t e) {
    double sum = 0;
    for (std::uint64_t i = b; i < e; ++i) {
      sum += prob(a[(i & low) | ((i & ~low) << 1) | (low + 1)]);
    }
    return sum;
  });
  return norm_squared() - 2 * ones;
}

template <class Real>
double StateVector<Real>::expectation_zz(int a_qubit, int b_qubit) const {
  TESSERA_CHECK(a_qubit >= 0 && a_qubit < num_qubits_ && b_qubit >= 0 && b_qubit < num_qubits_,
                "qubits {}, {} of {}", a_qubit, b_qubit, num_qubits_);
  const Amplitude* a = amplitudes_.data();
  return parallel_sum(options_.threads, size(), [=](std::uint64_t b, std::uint64_t e) {
    double sum = 0;
    for (std::uint64_t i = b; i < e; ++i) {
      const double sign = 1.0 - 2.0 * static_cast<double>(((i >> a_qubit) ^ (i >> b_qubit)) & 1);
      sum += sign * prob(a[i]);
    }
    return sum;
  });
}

template <class Real>
std::vector<std::uint64_t> StateVector<Real>::sample(std::int64_t shots, std::mt19937_64& rng) const {
  TESSERA_CHECK(shots >= 0, "{} shots", shots);
  // Chunk totals, then sorted uniform draws walked through the cumulative sum.
  constexpr int kBlockBits = 10;
  const std::uint64_t block = std::min<std::uint64_t>(size(), std::uint64_t{1} << kBlockBits);
  const std::uint64_t blocks = size() / block;
  std::vector<double> totals(blocks);
  const Amplitude* a = amplitudes_.data();
  parallel_ranges(threads_for(options_.threads, size()), blocks, [&](std::uint64_t b, std::uint64_t e, int) {
    for (std::uint64_t k = b; k < e; ++k) {
      double sum = 0;
      for (std::uint64_t i = k * block; i < (k + 1) * block; ++i) {
        sum += prob(a[i]);
      }
      totals[k] = sum;
    }
  });
  const double norm = std::accumulate(totals.begin(), totals.end(), 0.0);
  TESSERA_CHECK(norm > 0, "sampling a zero state vector");
  std::uniform_real_distribution<double> uniform(0.0, norm);
  std::vector<double> draws(static_cast<std::size_t>(shots));
  for (double& d : draws) {
    d = uniform(rng);
  }
  std::sort(draws.begin(), draws.end());
  std::vector<std::uint64_t> out;
  out.reserve(draws.size());
  double before = 0;              // mass of the blocks before block k (summed as `norm` was)
  std::uint64_t last_nonzero = 0; // where draws lost to rounding go
  std::size_t next = 0;
  for (std::uint64_t k = 0; k < blocks && next < draws.size(); ++k) {
    const double after = before + totals[k];
    std::size_t stop = next;  // draws [next, stop) fall in this block
    while (stop < draws.size() && (draws[stop] < after || k + 1 == blocks)) {
      ++stop;
    }
    double running = before;
    for (std::uint64_t i = k * block; i < (k + 1) * block && next < stop; ++i) {
      const double p = prob(a[i]);
      if (p == 0) {
        continue;
      }
      running += p;
      last_nonzero = i;
      while (next < stop && draws[next] < running) {
        out.push_back(i);
        ++next;
      }
    }
    for (; next < stop; ++next) {
      out.push_back(last_nonzero);
    }
    before = after;
  }
  std::shuffle(out.begin(), out.end(), rng);
  return out;
}

// The members defined here (the class itself is instantiated in state_vector.cc).
#define TESSERA_INSTANTIATE_REDUCTIONS(Real)                                                       \
  template void StateVector<Real>::scale(std::complex<double>);                                    \
  template double StateVector<Real>::norm_squared() const;                                         \
  template void StateVector<Real>::normalize();                                                    \
  template std::complex<double> StateVector<Real>::inner_product(const StateVector&) const;        \
  template double StateVector<Real>::probability(std::uint64_t) const;                             \
  template double StateVector<Real>::probability_of(std::span<const std::uint64_t>) const;        \
  template std::vector<double> StateVector<Real>::occupations() const;                             \
  template std::vector<double> StateVector<Real>::pair_occupations() const;                        \
  template double StateVector<Real>::expectation_z(int) const;                                     \
  template double StateVector<Real>::expectation_zz(int, int) const;                               \
  template std::vector<std::uint64_t> StateVector<Real>::sample(std::int64_t, std::mt19937_64&) const;
TESSERA_INSTANTIATE_REDUCTIONS(float)
TESSERA_INSTANTIATE_REDUCTIONS(double)
#undef TESSERA_INSTANTIATE_REDUCTIONS

}  // namespace tessera::jobs::quantum
