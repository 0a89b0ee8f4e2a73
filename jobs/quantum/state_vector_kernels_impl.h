// The body of the state-vector kernels, compiled once per instruction set.
//
// Included only by state_vector_kernels_<isa>.cc, each of which defines
// TESSERA_SV_ISA (the namespace) and is compiled with its own -m flags. Code
// here must not call inline functions outside that namespace (std::
// algorithms, say): the linker would keep one copy of such a function, built
// for whichever instruction set it saw first. Hence GCC vector extensions and
// builtins only.

#ifndef TESSERA_SV_ISA
#error "define TESSERA_SV_ISA before including state_vector_kernels_impl.h"
#endif

#include <cstdint>
#include <utility>

#include "jobs/quantum/state_vector_kernels.h"

namespace tessera::jobs::quantum::kernels::TESSERA_SV_ISA {
namespace {

template <class Real>
struct Simd;

template <>
struct Simd<float> {
  typedef float Vec __attribute__((vector_size(kVectorBytes)));
  typedef std::int32_t Index __attribute__((vector_size(kVectorBytes)));
};

template <>
struct Simd<double> {
  typedef double Vec __attribute__((vector_size(kVectorBytes)));
  typedef std::int64_t Index __attribute__((vector_size(kVectorBytes)));
};

template <class Real>
inline typename Simd<Real>::Vec load(const Real* p) {
  typename Simd<Real>::Vec v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}

template <class Real>
inline void store(Real* p, typename Simd<Real>::Vec v) {
  __builtin_memcpy(p, &v, sizeof(v));
}

// The elements of v permuted by e -> e ^ Xor (a compile-time shuffle). On
// interleaved complex data, Xor = 2 x swaps lanes j and j ^ x, and Xor = 1
// swaps real and imaginary parts.
template <class Real, int Xor, int... E>
inline typename Simd<Real>::Vec xor_shuffle(typename Simd<Real>::Vec v, std::integer_sequence<int, E...>) {
  if constexpr (Xor == 0) {
    return v;
  } else {
    constexpr typename Simd<Real>::Index mask = {(E ^ Xor)...};
    return __builtin_shuffle(v, mask);
  }
}

template <class Real, int Xor>
inline typename Simd<Real>::Vec xor_shuffle(typename Simd<Real>::Vec v) {
  return xor_shuffle<Real, Xor>(v, std::make_integer_sequence<int, kRealsPerVector<Real>>{});
}

// The s-th subset of `mask` (bits of s deposited into the set bits of mask).
constexpr int deposit(int s, int mask) {
  int out = 0;
  for (int bit = 0, k = 0; bit < 8; ++bit) {
    if ((mask >> bit) & 1) {
      out |= ((s >> k) & 1) << bit;
      ++k;
    }
  }
  return out;
}

// How far ahead (in vectors of each stream) the kernels prefetch.
constexpr int kPrefetchVectors = 64;

constexpr int popcount(int v) { return v == 0 ? 0 : (v & 1) + popcount(v >> 1); }

template <class Real, int H, int LowMask>
void apply_range(Real* __restrict data, const GatePlan<Real>& plan, std::uint64_t begin, std::uint64_t end) {
  using Vec = typename Simd<Real>::Vec;
  constexpr int kV = kRealsPerVector<Real>;
  constexpr int kC = 1 << H;
  constexpr int kX = 1 << popcount(LowMask);

  std::uint64_t offsets[kC];
  for (int c = 0; c < kC; ++c) {
    std::uint64_t vector_offset = 0;
    for (int i = 0; i < H; ++i) {
      vector_offset |= static_cast<std::uint64_t>((c >> i) & 1) << plan.high_positions[i];
    }
    offsets[c] = vector_offset * kV;
  }
  // Local copies: stores through `data` cannot alias them, so the compiler
  // keeps them in registers (or at least does not reload them after stores).
  constexpr int kTerms = kC * kC * kX;
  Vec coefficient_re[kTerms];
  Vec coefficient_im[kTerms];
  bool nonzero[kTerms];
  for (int t = 0; t < kTerms; ++t) {
    coefficient_re[t] = load(plan.coefficients + 2 * t * kV);
    coefficient_im[t] = load(plan.coefficients + (2 * t + 1) * kV);
    nonzero[t] = plan.nonzero[t] != 0;
  }

  for (std::uint64_t g = begin; g < end; ++g) {
    std::uint64_t base = g;
    for (int i = 0; i < H; ++i) {
      const int p = plan.high_positions[i];
      base = (base & ((std::uint64_t{1} << p) - 1)) | ((base >> p) << (p + 1));
    }
    Real* group = data + base * kV;
    // Ask for the lines a few groups ahead in every stream: with one or two
    // streams the hardware prefetcher alone leaves the kernel well short of
    // the bandwidth bound (measured at 24 qubits: 10 ms per fSim on qubits
    // (3, 4) without, 6 ms with 64 vectors ahead, against 5.4 ms for the bound).
#pragma GCC unroll 16
    for (int c = 0; c < kC; ++c) {
      __builtin_prefetch(group + offsets[c] + kPrefetchVectors * kV, 1, 3);
    }

    Vec in[kC][kX];
    Vec in_swapped[kC][kX];
#pragma GCC unroll 16
    for (int c = 0; c < kC; ++c) {
      const Vec v = load(group + offsets[c]);
      [&]<int... S>(std::integer_sequence<int, S...>) {
        ((in[c][S] = xor_shuffle<Real, 2 * deposit(S, LowMask)>(v),
          in_swapped[c][S] = xor_shuffle<Real, 2 * deposit(S, LowMask) + 1>(v)),
         ...);
      }(std::make_integer_sequence<int, kX>{});
    }
#pragma GCC unroll 16
    for (int r = 0; r < kC; ++r) {
      Vec acc = {};
#pragma GCC unroll 16
      for (int c = 0; c < kC; ++c) {
#pragma GCC unroll 8
        for (int s = 0; s < kX; ++s) {
          const int t = (r * kC + c) * kX + s;
          if (nonzero[t]) {
            acc += coefficient_re[t] * in[c][s] + coefficient_im[t] * in_swapped[c][s];
          }
        }
      }
      store(group + offsets[r], acc);
    }
  }
}

template <class Real>
using Apply = ApplyFn<Real>;

// Table [H][LowMask] of instantiations with H + popcount(LowMask) <= kMaxQubits.
template <class Real, int H, int LowMask>
constexpr Apply<Real> pick() {
  if constexpr (H + popcount(LowMask) <= kMaxQubits && H + popcount(LowMask) >= 1) {
    return &apply_range<Real, H, LowMask>;
  } else {
    return nullptr;
  }
}

template <class Real, int... M>
constexpr void fill_row(Apply<Real>* row, std::integer_sequence<int, M...>, auto h) {
  ((row[M] = pick<Real, decltype(h)::value, M>()), ...);
}

template <class Real>
struct Dispatch {
  static constexpr int kMasks = kLanes<Real>;
  Apply<Real> table[kMaxQubits + 1][kMasks] = {};
  constexpr Dispatch() {
    [this]<int... Hs>(std::integer_sequence<int, Hs...>) {
      (fill_row<Real>(table[Hs], std::make_integer_sequence<int, kMasks>{},
                      std::integral_constant<int, Hs>{}),
       ...);
    }(std::make_integer_sequence<int, kMaxQubits + 1>{});
  }
};

template <class Real>
void apply(Real* data, const GatePlan<Real>& plan, std::uint64_t begin, std::uint64_t end) {
  static constexpr Dispatch<Real> dispatch;
  dispatch.table[plan.high_count][plan.low_mask](data, plan, begin, end);
}

void rmw(float* data, std::uint64_t count, float alpha, float beta) {
  using Vec = Simd<float>::Vec;
  constexpr int kV = kRealsPerVector<float>;
  const Vec a = Vec{} + alpha;
  const Vec b = Vec{} + beta;
  for (std::uint64_t i = 0; i + kV <= count; i += kV) {
    store(data + i, a * load(data + i) + b);
  }
}

}  // namespace

const KernelTable& table() {
  static const KernelTable kTable{TESSERA_SV_ISA_NAME, &apply<float>, &apply<double>, &rmw};
  return kTable;
}

}  // namespace tessera::jobs::quantum::kernels::TESSERA_SV_ISA
