#pragma once

// The vectorised gate kernels behind StateVector (internal to jobs/quantum).
//
// A state is an array of interleaved (re, im) pairs, 64-byte aligned. The
// kernels work on 64-byte vectors: 8 complex64 or 4 complex128 amplitudes,
// so the lowest 3 (complex64) or 2 (complex128) qubits are "lane" qubits
// inside one vector and the rest index vectors.
//
// A k-qubit gate with H qubits above the lane bits and l lane qubits is
// applied group by group: a group is the 2^H vectors that differ only in the
// gate's high qubits. Output vector r of a group is
//     out[r] = sum over c < 2^H, s < 2^l of  C[r][c][s] (*) perm_s(in[c])
// where perm_s XORs the lane index with the s-th subset of the lane qubits
// and (*) is a lane-wise complex product. The coefficient vectors C are built
// once per gate from its matrix (see StateVector), so every gate shape runs
// the same few lines of code with all shuffles known at compile time, and
// terms whose coefficients are all zero (block-diagonal gates such as fSim,
// diagonal gates such as CZ and Rz) are skipped by a branch that is the same
// for every group.
//
// The kernels are compiled once per instruction set (AVX-512, AVX2+FMA and
// baseline x86-64 / the build's default elsewhere), each in its own
// namespace, and the best one the CPU supports is picked at run time.

#include <cstdint>

namespace tessera::jobs::quantum::kernels {

inline constexpr int kVectorBytes = 64;
inline constexpr int kMaxQubits = 4;   // == kMaxGateQubits

template <class Real>
inline constexpr int kLaneBits = kVectorBytes / static_cast<int>(2 * sizeof(Real)) == 8 ? 3 : 2;
template <class Real>
inline constexpr int kLanes = 1 << kLaneBits<Real>;   // complex amplitudes per vector
template <class Real>
inline constexpr int kRealsPerVector = 2 * kLanes<Real>;

// One gate prepared for the kernels.
template <class Real>
struct GatePlan {
  int high_count = 0;                       // H
  unsigned low_mask = 0;                    // lane qubits of the gate, as lane-index bits
  int high_positions[kMaxQubits] = {};      // vector-index bit of each high qubit, ascending
  // Term t = (r * 2^H + c) * 2^l + s holds two vectors at coefficients + 2 t V
  // (V = kRealsPerVector): (Re m, Re m) per lane, then (-Im m, Im m) per lane.
  const Real* coefficients = nullptr;
  const unsigned char* nonzero = nullptr;   // per term: 0 if both vectors are zero
};

// Applies the gate to groups [begin, end) of `data` (groups are numbered by
// the vector index with the high qubits' bits removed).
template <class Real>
using ApplyFn = void (*)(Real* data, const GatePlan<Real>& plan, std::uint64_t begin, std::uint64_t end);

// A read-modify-write pass a[i] = alpha * a[i] + beta over `count` floats:
// the bandwidth baseline of `tessera bench statevector`.
using RmwFn = void (*)(float* data, std::uint64_t count, float alpha, float beta);

struct KernelTable {
  const char* isa = "";                     // "avx512", "avx2", "generic"
  ApplyFn<float> apply_f32 = nullptr;
  ApplyFn<double> apply_f64 = nullptr;
  RmwFn rmw = nullptr;
};

// The best kernels this CPU runs (chosen once).
const KernelTable& best_kernels();

// Per instruction set (only the ones this build compiled return non-null).
const KernelTable* avx512_kernels();
const KernelTable* avx2_kernels();
const KernelTable& generic_kernels();

}  // namespace tessera::jobs::quantum::kernels
