#pragma once

// Internal to jobs/quantum: a StabilizerCircuit compiled for the bit-packed
// Pauli-frame engine (frame_engine.h). Loops stay loops; targets live in one
// flat array; each noise instruction becomes a NoiseChannel.

#include <cstdint>
#include <vector>

#include "jobs/quantum/stabilizer_circuit.h"

namespace tessera::jobs::quantum::detail {

enum class OpCode : std::uint8_t {
  kResetZ,
  kResetX,
  kMeasureZ,
  kMeasureX,
  kMeasureResetZ,
  kMeasureResetX,
  kH,
  kCX,
  kNoise,
  kDetector,
  kObservable,
  kLoop,
};

struct Op {
  OpCode code;
  std::uint32_t begin = 0;   // targets [begin, end) in Program::targets; kLoop: body ops (index, end)
  std::uint32_t end = 0;
  std::uint32_t arg = 0;     // kNoise: channel index; kObservable: observable index
  std::uint64_t repeat = 0;  // kLoop: iterations
};

struct NoiseChannel {
  Gate gate;          // X_ERROR, Z_ERROR, DEPOLARIZE1, DEPOLARIZE2
  double probability;
};

struct Program {
  std::vector<Op> ops;
  std::vector<std::uint32_t> targets;
  std::vector<NoiseChannel> channels;
  std::uint32_t num_qubits = 0;
  std::uint64_t num_detectors = 0;
  std::uint32_t num_observables = 0;
  std::uint32_t max_lookback = 0;
  bool has_x_basis = false;   // RX, MX, MRX
  bool has_z_basis = false;   // R, M, MR
  bool has_hadamard = false;
};

// Throws ConfigError when a record look-back reaches before the first
// measurement.
Program compile(const StabilizerCircuit& circuit);

}  // namespace tessera::jobs::quantum::detail
