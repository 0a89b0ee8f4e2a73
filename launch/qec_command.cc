// tessera qec export-circuit: print a repetition-code memory circuit in
// Stim's format (and optionally its detector error model), so results can be
// cross-checked with Stim, PyMatching and sinter.
//
//   tessera qec export-circuit --distance 5 --rounds 10 --p 0.001 [--basis x]
//       [--after-clifford-depolarization P] [--before-measure-flip-probability P]
//       [--after-reset-flip-probability P] [--before-round-data-depolarization P]
//       [--dem] [-o FILE]

#include <fstream>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "jobs/quantum/detector_error_model.h"
#include "jobs/quantum/repetition_code.h"
#include "launch/cli.h"
#include "runtime/error.h"

namespace tessera::launch {
namespace {

struct ExportOptions {
  int distance = 3;
  int rounds = 1;
  double p = 0;
  std::string basis = "z";
  std::optional<double> after_clifford;
  std::optional<double> before_measure;
  std::optional<double> after_reset;
  std::optional<double> before_round;
  bool dem = false;
  std::string output;
};

int export_circuit(const ExportOptions& o) {
  jobs::quantum::RepetitionCode code;
  code.distance = o.distance;
  code.rounds = o.rounds;
  code.basis = o.basis == "x" ? jobs::quantum::Basis::kX : jobs::quantum::Basis::kZ;
  code.noise = jobs::quantum::RepetitionCodeNoise::uniform(o.p);
  code.noise.after_clifford_depolarization = o.after_clifford.value_or(o.p);
  code.noise.before_measure_flip_probability = o.before_measure.value_or(o.p);
  code.noise.after_reset_flip_probability = o.after_reset.value_or(o.p);
  code.noise.before_round_data_depolarization = o.before_round.value_or(o.p);
  const jobs::quantum::StabilizerCircuit circuit = jobs::quantum::make_repetition_code_circuit(code);
  const std::string text = o.dem ? jobs::quantum::DetectorErrorModel::from_circuit(circuit).to_stim()
                                 : circuit.to_stim();
  if (o.output.empty()) {
    fmt::print("{}", text);
    return kExitOk;
  }
  std::ofstream out(o.output);
  out << text;
  if (!out) {
    throw IoError(fmt::format("cannot write {}", o.output));
  }
  return kExitOk;
}

}  // namespace

void add_qec_command(CLI::App& app, Cli& cli) {
  CLI::App* qec = app.add_subcommand("qec", "Repetition-code tools (export-circuit)");
  qec->require_subcommand(1);
  auto o = std::make_shared<ExportOptions>();
  CLI::App* exp = qec->add_subcommand(
      "export-circuit", "Print the memory-experiment circuit in Stim's format (--dem: its detector error model)");
  exp->add_option("--distance,-d", o->distance, "code distance (data qubits), >= 2")->required();
  exp->add_option("--rounds,-r", o->rounds, "measurement rounds, >= 1")->required();
  exp->add_option("--p", o->p, "every noise knob at once (default 0)");
  exp->add_option("--basis", o->basis, "z (bit-flip code) or x (phase-flip code)")
      ->check(CLI::IsMember({"z", "x"}));
  exp->add_option("--after-clifford-depolarization", o->after_clifford, "DEPOLARIZE2 after each CX layer");
  exp->add_option("--before-measure-flip-probability", o->before_measure, "flip before each measurement");
  exp->add_option("--after-reset-flip-probability", o->after_reset, "flip after each reset");
  exp->add_option("--before-round-data-depolarization", o->before_round, "DEPOLARIZE1 on data each round");
  exp->add_flag("--dem", o->dem, "print the detector error model (.dem) instead of the circuit");
  exp->add_option("-o,--output", o->output, "write to this file instead of stdout");
  exp->callback([&cli, o] { cli.action = [o] { return export_circuit(*o); }; });
}

}  // namespace tessera::launch
