#pragma once

// Internal to jobs/quantum: the bit-packed Pauli-frame engine behind
// FrameSimulator (random noise) and DetectorErrorModel (injected errors).
//
// A Pauli frame per shot says which Pauli error the shot carries relative to a
// noiseless reference run; measurement results are reported as flips relative
// to that reference, so detectors and observables come out directly as
// detection events and observable flips (Aaronson & Gottesman 2004; the same
// idea as Stim's FrameSimulator, Gidney 2021). Shots are bit lanes: row q of
// the X table holds qubit q's X component for 64 * words shots, so every gate
// is a few XORs over whole rows.
//
// Track: which frame components are kept. A circuit whose resets and
// measurements are all in one basis and that has no Hadamard never lets the
// other component reach a measurement, so the engine keeps only the one that
// matters (kX for the bit-flip code, kZ for the phase-flip code): half the CX
// work and no random re-randomisation after measurements.
//
// Noise policy (the Noise template argument):
//   void begin(std::size_t lanes);
//   void apply(std::uint32_t channel, std::span<const std::uint32_t> targets, Frame& frame);
//   void randomize(std::uint64_t* row, std::size_t words);  // conjugate component after M/R

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "jobs/quantum/detection_events.h"
#include "jobs/quantum/frame_program.h"

namespace tessera::jobs::quantum::detail {

enum class Track { kBoth, kX, kZ };

// Frame rows handed to noise policies. `x` or `z` is null when not tracked.
struct Frame {
  std::uint64_t* x;
  std::uint64_t* z;
  std::size_t words;

  void flip_x(std::uint32_t qubit, std::size_t lane) {
    if (x != nullptr) {
      x[qubit * words + (lane >> 6)] ^= std::uint64_t{1} << (lane & 63);
    }
  }
  void flip_z(std::uint32_t qubit, std::size_t lane) {
    if (z != nullptr) {
      z[qubit * words + (lane >> 6)] ^= std::uint64_t{1} << (lane & 63);
    }
  }
  // Pauli code: bit 0 = X part, bit 1 = Z part (1 X, 2 Z, 3 Y).
  void apply(std::uint32_t qubit, std::size_t lane, unsigned pauli) {
    if ((pauli & 1) != 0) {
      flip_x(qubit, lane);
    }
    if ((pauli & 2) != 0) {
      flip_z(qubit, lane);
    }
  }
};

template <Track kTrack, class Noise>
class FrameEngine {
 public:
  static constexpr bool kX = kTrack != Track::kZ;
  static constexpr bool kZ = kTrack != Track::kX;

  FrameEngine(const Program& program, std::size_t words) : program_(program), words_(words) {
    std::size_t ring = 1;
    while (ring <= program.max_lookback) {
      ring *= 2;
    }
    ring_mask_ = ring - 1;
    const std::size_t rows = std::max<std::size_t>(program.num_qubits, 1) * words;
    if (kX) {
      x_.assign(rows, 0);
    }
    if (kZ) {
      z_.assign(rows, 0);
    }
    rec_.assign(ring * words, 0);
    obs_.assign(std::max<std::size_t>(program.num_observables, 1) * words, 0);
    valid_.assign(words, 0);
  }

  std::size_t words() const { return words_; }

  // Runs the program for `lanes` shots (<= 64 * words) and writes what they
  // produced into `out`.
  void run(std::size_t lanes, Noise& noise, DetectionEvents& out) {
    for (std::size_t w = 0; w < words_; ++w) {
      const std::size_t lo = w * 64;
      valid_[w] = lanes >= lo + 64 ? ~std::uint64_t{0}
                  : lanes > lo     ? (std::uint64_t{1} << (lanes - lo)) - 1
                                   : 0;
    }
    // The initial state |0...0>: no X error, an irrelevant (random) Z part.
    std::fill(x_.begin(), x_.end(), 0);
    if (kZ) {
      if (kX) {
        for (std::size_t q = 0; q < program_.num_qubits; ++q) {
          noise.randomize(&z_[q * words_], words_);
        }
      } else {
        std::fill(z_.begin(), z_.end(), 0);
      }
    }
    std::fill(obs_.begin(), obs_.end(), 0);
    events_.clear();
    measurements_ = 0;
    detectors_ = 0;
    frame_ = Frame{kX ? x_.data() : nullptr, kZ ? z_.data() : nullptr, words_};
    noise.begin(lanes);
    execute(0, static_cast<std::uint32_t>(program_.ops.size()), noise);
    finish(lanes, out);
  }

 private:
  std::uint64_t* xrow(std::uint32_t q) { return &x_[q * words_]; }
  std::uint64_t* zrow(std::uint32_t q) { return &z_[q * words_]; }
  std::uint64_t* record_row(std::uint64_t lookback) {
    return &rec_[((measurements_ - lookback) & ring_mask_) * words_];
  }
  std::uint64_t* next_record_row() {
    std::uint64_t* row = &rec_[(measurements_ & ring_mask_) * words_];
    ++measurements_;
    return row;
  }

  static void copy(std::uint64_t* __restrict dst, const std::uint64_t* __restrict src, std::size_t n) {
    std::memcpy(dst, src, n * sizeof(std::uint64_t));
  }
  static void xor_into(std::uint64_t* __restrict dst, const std::uint64_t* __restrict src, std::size_t n) {
    for (std::size_t w = 0; w < n; ++w) {
      dst[w] ^= src[w];
    }
  }

  void execute(std::uint32_t begin, std::uint32_t end, Noise& noise) {
    const std::uint32_t* targets = program_.targets.data();
    const std::size_t W = words_;
    for (std::uint32_t i = begin; i < end; ++i) {
      const Op& op = program_.ops[i];
      switch (op.code) {
        case OpCode::kLoop:
          for (std::uint64_t r = 0; r < op.repeat; ++r) {
            execute(i + 1, op.end, noise);
          }
          i = op.end - 1;
          break;
        case OpCode::kResetZ:
          for (std::uint32_t k = op.begin; k < op.end; ++k) {
            reset_z(targets[k], noise);
          }
          break;
        case OpCode::kResetX:
          for (std::uint32_t k = op.begin; k < op.end; ++k) {
            reset_x(targets[k], noise);
          }
          break;
        case OpCode::kMeasureZ:
        case OpCode::kMeasureResetZ:
          for (std::uint32_t k = op.begin; k < op.end; ++k) {
            const std::uint32_t q = targets[k];
            std::uint64_t* rec = next_record_row();
            if (kX) {
              copy(rec, xrow(q), W);
            } else {
              std::fill(rec, rec + W, 0);
            }
            if (op.code == OpCode::kMeasureResetZ) {
              reset_z(q, noise);
            } else if (kZ && kX) {
              noise.randomize(zrow(q), W);
            }
          }
          break;
        case OpCode::kMeasureX:
        case OpCode::kMeasureResetX:
          for (std::uint32_t k = op.begin; k < op.end; ++k) {
            const std::uint32_t q = targets[k];
            std::uint64_t* rec = next_record_row();
            if (kZ) {
              copy(rec, zrow(q), W);
            } else {
              std::fill(rec, rec + W, 0);
            }
            if (op.code == OpCode::kMeasureResetX) {
              reset_x(q, noise);
            } else if (kZ && kX) {
              noise.randomize(xrow(q), W);
            }
          }
          break;
        case OpCode::kH:
          if constexpr (kX && kZ) {
            for (std::uint32_t k = op.begin; k < op.end; ++k) {
              std::uint64_t* __restrict x = xrow(targets[k]);
              std::uint64_t* __restrict z = zrow(targets[k]);
              for (std::size_t w = 0; w < W; ++w) {
                std::swap(x[w], z[w]);
              }
            }
          }
          break;
        case OpCode::kCX:
          for (std::uint32_t k = op.begin; k < op.end; k += 2) {
            const std::uint32_t c = targets[k];
            const std::uint32_t t = targets[k + 1];
            if (kX) {
              xor_into(xrow(t), xrow(c), W);
            }
            if (kZ) {
              xor_into(zrow(c), zrow(t), W);
            }
          }
          break;
        case OpCode::kNoise:
          noise.apply(op.arg, std::span<const std::uint32_t>(targets + op.begin, op.end - op.begin),
                      frame_);
          break;
        case OpCode::kDetector:
          detector(targets + op.begin, op.end - op.begin);
          break;
        case OpCode::kObservable: {
          std::uint64_t* obs = &obs_[op.arg * W];
          for (std::uint32_t k = op.begin; k < op.end; ++k) {
            xor_into(obs, record_row(targets[k]), W);
          }
          break;
        }
      }
    }
  }

  void reset_z(std::uint32_t q, Noise& noise) {
    if (kX) {
      std::fill(xrow(q), xrow(q) + words_, 0);
    }
    if (kX && kZ) {
      noise.randomize(zrow(q), words_);
    }
  }
  void reset_x(std::uint32_t q, Noise& noise) {
    if (kZ) {
      std::fill(zrow(q), zrow(q) + words_, 0);
    }
    if (kX && kZ) {
      noise.randomize(xrow(q), words_);
    }
  }

  void detector(const std::uint32_t* lookbacks, std::uint32_t n) {
    const std::uint64_t index = detectors_++;
    const std::uint64_t* rows[8];
    const std::uint32_t direct = std::min<std::uint32_t>(n, 8);
    for (std::uint32_t k = 0; k < direct; ++k) {
      rows[k] = record_row(lookbacks[k]);
    }
    for (std::size_t w = 0; w < words_; ++w) {
      std::uint64_t bits = 0;
      for (std::uint32_t k = 0; k < direct; ++k) {
        bits ^= rows[k][w];
      }
      for (std::uint32_t k = direct; k < n; ++k) {
        bits ^= record_row(lookbacks[k])[w];
      }
      bits &= valid_[w];
      while (bits != 0) {
        const std::uint64_t lane = w * 64 + static_cast<std::uint64_t>(__builtin_ctzll(bits));
        events_.push_back((lane << 32) | index);
        bits &= bits - 1;
      }
    }
  }

  // Sorts the (lane, detector) events by lane into `out` (counting sort; the
  // detector order within a lane is kept, so it stays ascending).
  void finish(std::size_t lanes, DetectionEvents& out) {
    out.shots = lanes;
    out.offsets.assign(lanes + 1, 0);
    for (std::uint64_t e : events_) {
      ++out.offsets[(e >> 32) + 1];
    }
    for (std::size_t s = 0; s < lanes; ++s) {
      out.offsets[s + 1] += out.offsets[s];
    }
    out.detectors.resize(events_.size());
    cursor_.assign(out.offsets.begin(), out.offsets.end() - 1);
    for (std::uint64_t e : events_) {
      out.detectors[cursor_[e >> 32]++] = static_cast<std::uint32_t>(e);
    }
    out.observables.assign(lanes, 0);
    for (std::uint32_t k = 0; k < program_.num_observables; ++k) {
      const std::uint64_t* obs = &obs_[k * words_];
      for (std::size_t w = 0; w < words_; ++w) {
        std::uint64_t bits = obs[w] & valid_[w];
        while (bits != 0) {
          out.observables[w * 64 + static_cast<std::size_t>(__builtin_ctzll(bits))] |= std::uint64_t{1} << k;
          bits &= bits - 1;
        }
      }
    }
  }

  const Program& program_;
  std::size_t words_;
  std::size_t ring_mask_ = 0;
  std::vector<std::uint64_t> x_;
  std::vector<std::uint64_t> z_;
  std::vector<std::uint64_t> rec_;
  std::vector<std::uint64_t> obs_;
  std::vector<std::uint64_t> valid_;
  std::vector<std::uint64_t> events_;
  std::vector<std::uint32_t> cursor_;
  std::uint64_t measurements_ = 0;
  std::uint64_t detectors_ = 0;
  Frame frame_{nullptr, nullptr, 0};
};

}  // namespace tessera::jobs::quantum::detail
