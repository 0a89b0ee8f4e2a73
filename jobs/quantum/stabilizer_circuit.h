#pragma once

// StabilizerCircuit: a Clifford circuit with Pauli noise, detectors and
// observables, in the vocabulary of Stim's circuit format (.stim), so circuits
// can be exported to and read from that ecosystem.
//
// Supported instructions (Stim names and meaning):
//   R, RX            reset to |0> / |+>
//   M, MX            measure in Z / X (appends to the measurement record)
//   MR, MRX          measure then reset, in Z / X
//   H                Hadamard
//   CX               controlled-X on target pairs (c0 t0 c1 t1 ...)
//   X_ERROR(p), Z_ERROR(p)               independent flips per target
//   DEPOLARIZE1(p), DEPOLARIZE2(p)       uniform non-identity Pauli with prob p
//   DETECTOR(coords...) rec[-k] ...      parity of earlier measurements,
//                                        deterministic without noise
//   OBSERVABLE_INCLUDE(i) rec[-k] ...    XORs measurements into observable i
//   SHIFT_COORDS(...), QUBIT_COORDS(...) q, TICK    annotations
//   REPEAT n { ... }                     a loop
//
// Record targets are stored as positive look-backs: rec[-k] is target k.
// Value type; cheap to move, copying copies every block.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::jobs::quantum {

enum class Gate : std::uint8_t {
  kR,
  kRX,
  kM,
  kMX,
  kMR,
  kMRX,
  kH,
  kCX,
  kXError,
  kZError,
  kDepolarize1,
  kDepolarize2,
  kDetector,
  kObservableInclude,
  kShiftCoords,
  kQubitCoords,
  kTick,
  kRepeat,
};

// Stim's spelling ("DEPOLARIZE2"); the parser also accepts "CNOT" and "ZCX".
std::string_view gate_name(Gate gate);
std::optional<Gate> gate_from_name(std::string_view name);
// Whether the gate's targets are measurement-record look-backs.
bool takes_record_targets(Gate gate);
// Noise channels: X_ERROR, Z_ERROR, DEPOLARIZE1, DEPOLARIZE2.
bool is_noise(Gate gate);

struct Instruction {
  Gate gate = Gate::kTick;
  std::vector<double> args;             // the parenthesised arguments
  std::vector<std::uint32_t> targets;   // qubits, or look-backs k of rec[-k]
  std::uint64_t repeat = 0;             // kRepeat: iterations
  std::size_t block = 0;                // kRepeat: index into blocks()
};

class StabilizerCircuit {
 public:
  // Appends one instruction. Throws ConfigError when the targets or arguments
  // do not fit the gate (odd CX target count, probability outside [0, 1],
  // a look-back of 0, ...).
  void append(Gate gate, std::vector<std::uint32_t> targets, std::vector<double> args = {});
  // Appends `body` repeated `count` (>= 1) times.
  void append_repeat(std::uint64_t count, StabilizerCircuit body);

  const std::vector<Instruction>& instructions() const { return instructions_; }
  const StabilizerCircuit& block(std::size_t index) const { return blocks_[index]; }

  // Totals over the whole execution (loops multiplied out).
  std::uint32_t num_qubits() const;          // 1 + the largest qubit index
  std::uint64_t num_measurements() const;
  std::uint64_t num_detectors() const;
  std::uint32_t num_observables() const;     // 1 + the largest observable index
  // The largest k in any rec[-k].
  std::uint32_t max_lookback() const;

  // Stim's text format, loops kept.
  std::string to_stim() const;
  // Parses Stim's text format for the instructions above. Throws ConfigError
  // naming the line on anything else.
  static StabilizerCircuit from_stim(std::string_view text);

  bool operator==(const StabilizerCircuit& other) const;

 private:
  void write(std::string& out, int indent) const;

  std::vector<Instruction> instructions_;
  std::vector<StabilizerCircuit> blocks_;
};

}  // namespace tessera::jobs::quantum
