#pragma once

// FrameSimulator: samples detection events and observable flips of a noisy
// StabilizerCircuit, many shots at once, bit-packed (64 shots per machine
// word, `batch_shots` shots per pass; the word loops vectorise).
//
// Noise is drawn with geometric skipping over (target, shot) positions, so the
// cost is per error that happens, not per place one could happen; the skip
// carries over between instructions of equal probability (the Bernoulli
// stream is memoryless, so this is exact).
//
// Deterministic: the same circuit, options and Rng state give the same events
// on every machine. Not thread-safe; use one simulator per thread (they are
// cheap to build).

#include <cstddef>
#include <cstdint>
#include <memory>

#include "jobs/quantum/detection_events.h"
#include "runtime/rng.h"
#include "jobs/quantum/stabilizer_circuit.h"

namespace tessera::jobs::quantum {

// Which Pauli frame components the simulator keeps (see frame_engine.h).
enum class FrameMode { kFull, kXOnly, kZOnly };

struct FrameSimulatorOptions {
  std::size_t batch_shots = 1024;  // shots per pass; a multiple of 64
  bool reduce_frame = true;        // keep one component when the circuit allows it
};

class FrameSimulator {
 public:
  // Throws ConfigError for a malformed circuit (look-back before the first
  // measurement) or a batch size that is not a positive multiple of 64.
  explicit FrameSimulator(const StabilizerCircuit& circuit, FrameSimulatorOptions options = {});
  ~FrameSimulator();
  FrameSimulator(FrameSimulator&&) noexcept;
  FrameSimulator& operator=(FrameSimulator&&) noexcept;

  std::size_t batch_shots() const;
  FrameMode mode() const;
  std::uint64_t num_detectors() const;
  std::uint32_t num_observables() const;

  // Samples `shots` shots (1 <= shots <= batch_shots()) into `out`, drawing
  // from `rng`.
  void sample(std::size_t shots, runtime::Rng& rng, DetectionEvents& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::jobs::quantum
