#include "jobs/quantum/frame_program.h"

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::jobs::quantum::detail {
namespace {

struct Compiler {
  Program program;
  std::uint64_t measurements = 0;  // measurements before this point in the first iteration

  void add(const StabilizerCircuit& circuit) {
    for (const Instruction& in : circuit.instructions()) {
      if (in.gate == Gate::kRepeat) {
        const auto loop_index = static_cast<std::uint32_t>(program.ops.size());
        program.ops.push_back(Op{OpCode::kLoop, 0, 0, 0, in.repeat});
        const std::uint64_t before = measurements;
        add(circuit.block(in.block));
        measurements += (in.repeat - 1) * (measurements - before);
        program.ops[loop_index].end = static_cast<std::uint32_t>(program.ops.size());
        continue;
      }
      Op op{OpCode::kNoise};
      op.begin = static_cast<std::uint32_t>(program.targets.size());
      program.targets.insert(program.targets.end(), in.targets.begin(), in.targets.end());
      op.end = static_cast<std::uint32_t>(program.targets.size());
      if (!takes_record_targets(in.gate)) {
        for (std::uint32_t q : in.targets) {
          program.num_qubits = std::max(program.num_qubits, q + 1);
        }
      }
      switch (in.gate) {
        case Gate::kR: op.code = OpCode::kResetZ; program.has_z_basis = true; break;
        case Gate::kRX: op.code = OpCode::kResetX; program.has_x_basis = true; break;
        case Gate::kM: op.code = OpCode::kMeasureZ; program.has_z_basis = true; break;
        case Gate::kMX: op.code = OpCode::kMeasureX; program.has_x_basis = true; break;
        case Gate::kMR: op.code = OpCode::kMeasureResetZ; program.has_z_basis = true; break;
        case Gate::kMRX: op.code = OpCode::kMeasureResetX; program.has_x_basis = true; break;
        case Gate::kH: op.code = OpCode::kH; program.has_hadamard = true; break;
        case Gate::kCX: op.code = OpCode::kCX; break;
        case Gate::kXError:
        case Gate::kZError:
        case Gate::kDepolarize1:
        case Gate::kDepolarize2:
          if (in.args[0] == 0) {
            continue;  // a channel that never fires
          }
          op.code = OpCode::kNoise;
          op.arg = static_cast<std::uint32_t>(program.channels.size());
          program.channels.push_back(NoiseChannel{in.gate, in.args[0]});
          break;
        case Gate::kDetector:
        case Gate::kObservableInclude:
          for (std::uint32_t k : in.targets) {
            if (k > measurements) {
              throw ConfigError(fmt::format(
                  "{} refers to rec[-{}] but only {} measurements happened before it",
                  gate_name(in.gate), k, measurements));
            }
            program.max_lookback = std::max(program.max_lookback, k);
          }
          if (in.gate == Gate::kDetector) {
            op.code = OpCode::kDetector;
          } else {
            op.code = OpCode::kObservable;
            op.arg = static_cast<std::uint32_t>(in.args[0]);
            program.num_observables = std::max(program.num_observables, op.arg + 1);
          }
          break;
        case Gate::kShiftCoords:
        case Gate::kQubitCoords:
        case Gate::kTick:
        case Gate::kRepeat:
          continue;
      }
      if (op.code == OpCode::kMeasureZ || op.code == OpCode::kMeasureX ||
          op.code == OpCode::kMeasureResetZ || op.code == OpCode::kMeasureResetX) {
        measurements += in.targets.size();
      }
      program.ops.push_back(op);
    }
  }
};

}  // namespace

Program compile(const StabilizerCircuit& circuit) {
  Compiler compiler;
  compiler.add(circuit);
  compiler.program.num_detectors = circuit.num_detectors();
  return std::move(compiler.program);
}

}  // namespace tessera::jobs::quantum::detail
