// tessera bench layerwise: the cost of one parameter-shift gradient of the
// layerwise job's QNN (a batch of binary-encoded inputs, every parameter
// trained, both shifted expectations of every parameter), the inner loop of
// training under shot noise.
//
// tessera's shifted_expectations() (one adjoint pass for f(theta +- pi/2)'s
// odd part, one circuit suffix per parameter for its even part; all inputs
// and all rotations of a layer in one batched state) is measured beside the
// textbook rule in the same run: two whole shifted circuits per parameter
// (shifted_expectations_by_resimulation(), batched over the inputs on the
// same simulator). Also: the exact adjoint gradient, the largest difference
// between the two shift results ("wrong" when above 1e-4 in complex64), and
// the simulated circuit executions per CPU-second against what the paper's
// hardware model does (10 kHz sampling, `shots` shots per execution).
//
//   tessera bench layerwise [--qubits 9] [--layers 5,11,21] [--inputs 20]
//                           [--shots 10] [--seconds 0.5] [--repeats 3]

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>

#include <fmt/format.h>
#include <time.h>

#include "bench/bench_registry.h"
#include "jobs/layerwise/qnn_model.h"
#include "jobs/quantum/adjoint_gradient.h"
#include "jobs/quantum/parameter_shift.h"
#include "runtime/error.h"

namespace tessera::bench {
namespace {

namespace quantum = jobs::quantum;

struct Options {
  int qubits = 9;
  std::vector<int> layers{5, 11, 21};
  int inputs = 20;
  int shots = 10;
  double seconds = 0.5;
  int repeats = 3;
};

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

std::vector<int> parse_ints(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    out.push_back(std::stoi(item));
  }
  return out;
}

Options parse(const std::vector<std::string>& args) {
  Options o;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) {
        throw ConfigError(fmt::format("bench layerwise: {} needs a value", a));
      }
      return args[++i];
    };
    if (a == "--qubits") {
      o.qubits = std::stoi(value());
    } else if (a == "--layers") {
      o.layers = parse_ints(value());
    } else if (a == "--inputs") {
      o.inputs = std::stoi(value());
    } else if (a == "--shots") {
      o.shots = std::stoi(value());
    } else if (a == "--seconds") {
      o.seconds = std::stod(value());
    } else if (a == "--repeats") {
      o.repeats = std::stoi(value());
    } else if (a == "--help" || a == "-h") {
      fmt::print(
          "tessera bench layerwise [--qubits 9] [--layers 5,11,21] [--inputs 20] [--shots 10]\n"
          "                        [--seconds 0.5] [--repeats 3]\n");
      std::exit(0);
    } else {
      throw ConfigError(fmt::format("bench layerwise: unknown option '{}' (see --help)", a));
    }
  }
  if (o.qubits < 2 || o.qubits > 20 || o.inputs < 1 || o.shots < 1 || o.repeats < 1 ||
      o.layers.empty()) {
    throw ConfigError(
        "bench layerwise: needs 2 <= qubits <= 20, inputs, shots, repeats >= 1 and some layers");
  }
  return o;
}

// Median CPU seconds of one call of `f`, each repeat running it for >= `seconds`.
template <class F>
double time_call(const Options& o, F&& f) {
  std::vector<double> per_call;
  for (int rep = 0; rep < o.repeats; ++rep) {
    int calls = 0;
    const double start = cpu_seconds();
    double elapsed = 0;
    do {
      f();
      ++calls;
      elapsed = cpu_seconds() - start;
    } while (elapsed < o.seconds);
    per_call.push_back(elapsed / calls);
  }
  std::sort(per_call.begin(), per_call.end());
  return per_call[per_call.size() / 2];
}

int run_layerwise_bench(BenchArgs& args) {
  const Options o = parse(args.args);
  fmt::print(
      "# tessera bench layerwise: one parameter-shift gradient of the layerwise QNN ({} qubits, "
      "random\n",
      o.qubits);
  fmt::print(
      "#   Rx/Ry/Rz + CZ ladder layers), {} binary inputs, every parameter trained; complex64, one "
      "core.\n",
      o.inputs);
  fmt::print(
      "# ms: median CPU milliseconds per gradient over {} runs of >= {} s.\n",
      o.repeats,
      o.seconds);
  fmt::print(
      "#   shift: tessera (adjoint + one suffix per parameter); resim: two whole shifted circuits "
      "per\n");
  fmt::print(
      "#   parameter (baseline, same simulator); ratio = resim / shift; adjoint: exact "
      "gradient.\n");
  fmt::print(
      "#   sim exec/s: circuit executions per CPU-second as tessera simulates them (1 + 2 per "
      "parameter\n");
  fmt::print(
      "#   per input); hw exec/s: the paper's hardware model, 10 kHz / {} shots.\n", o.shots);
  fmt::print(
      "{:>6} {:>6} | {:>9} {:>9} {:>7} | {:>9} | {:>11} {:>9} | {:>9} {:>6}\n",
      "layers",
      "params",
      "shift ms",
      "resim ms",
      "ratio",
      "adjoint",
      "sim exec/s",
      "hw exec/s",
      "max diff",
      "wrong");
  std::mt19937_64 rng(7);
  std::bernoulli_distribution bit(0.5);
  std::vector<quantum::ProductState> inputs(static_cast<std::size_t>(o.inputs));
  for (quantum::ProductState& p : inputs) {
    for (int q = 0; q < o.qubits; ++q) {
      p.push_back(bit(rng) ? quantum::QubitState{0, 1} : quantum::QubitState{1, 0});
    }
  }
  for (int layers : o.layers) {
    const jobs::layerwise::QnnModel model(o.qubits, layers, o.qubits - 1, 1);
    const quantum::ParametrizedCircuit circuit = model.circuit(layers);
    std::uniform_real_distribution<double> angle(-0.5, 0.5);
    std::vector<double> theta(static_cast<std::size_t>(circuit.num_parameters()));
    for (double& t : theta) {
      t = angle(rng);
    }
    const int readout = model.readout();
    quantum::ShiftedExpectations fast, slow;
    const double shift = time_call(
        o, [&] { fast = quantum::shifted_expectations<float>(circuit, theta, inputs, readout); });
    const double resim = time_call(o, [&] {
      slow = quantum::shifted_expectations_by_resimulation<float>(circuit, theta, inputs, readout);
    });
    const double adjoint = time_call(
        o, [&] { (void)quantum::adjoint_gradients<float>(circuit, theta, inputs, readout); });
    double diff = 0;
    for (std::size_t i = 0; i < fast.plus.size(); ++i) {
      diff = std::max(
          {diff, std::abs(fast.plus[i] - slow.plus[i]), std::abs(fast.minus[i] - slow.minus[i])});
    }
    const double executions =
        static_cast<double>(o.inputs) * (1.0 + 2.0 * circuit.num_parameters());
    fmt::print(
        "{:>6} {:>6} | {:9.3f} {:9.3f} {:7.2f} | {:9.3f} | {:11.4g} {:9.4g} | {:9.2e} {:>6}\n",
        layers,
        circuit.num_parameters(),
        shift * 1e3,
        resim * 1e3,
        resim / shift,
        adjoint * 1e3,
        executions / shift,
        10000.0 / o.shots,
        diff,
        diff > 1e-4 ? "WRONG" : "0");
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

void register_layerwise_bench(BenchRegistry& registry) {
  registry.add(
      {"layerwise",
       "QNN parameter-shift gradient: adjoint + suffix evaluation vs resimulating every shifted "
       "circuit",
       run_layerwise_bench});
}

}  // namespace tessera::bench
