// tessera bench statevector: the state-vector simulators against the memory
// bandwidth bound and against each other.
//
//   gate      seconds per fSim on a full n-qubit state (default 24) beside a
//             read-modify-write pass over the same memory (the bound), with
//             one thread and with --threads;
//   fusion    seconds per brick-wall ring cycle for each fusion size;
//   subspace  20 cycles of the ring with 5 photons: photon-number subspace
//             against the full state vector.
//   sweep     a photons sweep by `mpirun -np r tessera run`, r = 1, 2, 4.
//   distributed  one ring state over the ranks of this launch against
//             rank 0 alone (mpirun -np 2 tessera bench statevector --sections distributed).
//
// The machines this runs on are shared and noisy, so every figure is a
// minimum and a median over repetitions, never one total (state-vector note).

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <numbers>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench/bench_registry.h"
#include "bench/statevector_bench_ranks.h"
#include "jobs/quantum/parallel.h"
#include "jobs/quantum/gate_fuser.h"
#include "jobs/quantum/state_vector.h"
#include "jobs/quantum/state_vector_kernels.h"
#include "jobs/quantum/subspace_state.h"
#include "jobs/photons/photon_geometry.h"

namespace tessera::bench {
namespace {

using jobs::quantum::StateVector;
using jobs::quantum::UnitaryCircuit;
using Clock = std::chrono::steady_clock;

struct Options {
  int qubits = 24;
  int repeats = 15;
  int threads = 2;
  int cycles = 20;
  int photons = 5;
  std::vector<std::string> sections = {"gate", "fusion", "subspace", "sweep"};
  int max_ranks = 4;
};

// Minimum and median of timings (seconds).
struct Stats {
  double min = 0;
  double p10 = 0;
  double median = 0;
};

Stats stats(std::vector<double> t) {
  std::sort(t.begin(), t.end());
  return {t.front(), t[t.size() / 10], t[t.size() / 2]};
}

// The bandwidth baseline on `threads` threads, each on its share (like a gate).
void run_threaded_rmw(jobs::quantum::kernels::RmwFn rmw, float* data, std::uint64_t count, int threads) {
  constexpr std::uint64_t kAlign = 16;  // whole vectors per thread
  jobs::quantum::parallel_ranges(threads, count / kAlign, [&](std::uint64_t b, std::uint64_t e, int) {
    rmw(data + b * kAlign, (e - b) * kAlign, 1.0f, 0.0f);
  });
}

UnitaryCircuit ring_cycle(int n, double theta, double phi) {
  UnitaryCircuit c{n, {}};
  for (int parity : {0, 1}) {
    for (int i = parity; i < n; i += 2) {
      c.add(jobs::quantum::fsim_gate(i, (i + 1) % n, theta, phi));
    }
  }
  return c;
}

double seconds_of(const std::function<void()>& fn) {
  const auto start = Clock::now();
  fn();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

template <class Real>
void bench_gate(const Options& o, int threads) {
  jobs::quantum::StateVectorOptions sv_options{threads, "auto"};
  StateVector<Real> psi(o.qubits, sv_options);
  for (int q = 0; q < o.qubits; ++q) {
    psi.apply(jobs::quantum::h_gate(q));
  }
  const double bytes = 2.0 * static_cast<double>(psi.memory_bytes());  // read + write
  const auto& kernels = jobs::quantum::kernels::best_kernels();

  // The baseline: a[i] = 1 * a[i] + 0 over the same floats (threads share it like a gate).
  auto* floats = reinterpret_cast<float*>(psi.amplitudes().data());
  const std::uint64_t count = psi.memory_bytes() / sizeof(float);
  std::vector<double> rmw;
  for (int r = 0; r < o.repeats; ++r) {
    rmw.push_back(seconds_of([&] { run_threaded_rmw(kernels.rmw, floats, count, threads); }));
  }
  // fSims on low, middle and high qubit pairs (lane qubits included).
  const int n = o.qubits;
  const std::vector<std::pair<int, int>> pairs = {{0, 1}, {2, 3}, {5, 6}, {n / 2, n / 2 + 1}, {n - 2, n - 1}, {n - 1, 0}};
  std::vector<double> gates;
  for (int r = 0; r < o.repeats; ++r) {
    for (auto [a, b] : pairs) {
      const auto gate = jobs::quantum::fsim_gate(a, b, std::numbers::pi / 6, 2 * std::numbers::pi / 3);
      gates.push_back(seconds_of([&] { psi.apply(gate); }));
    }
  }
  const Stats base = stats(rmw), gate = stats(gates);
  fmt::print("{:>5} {:>7} {:>7} | {:>9} {:>9} {:>9} {:>8} | {:>9} {:>9} {:>8} | {:>7} {:>7}\n", "prec",
             "threads", "MiB", "rmw min", "rmw med", "GB/s", "bound", "gate min", "gate p10", "gate med",
             "frac", "frac@m");
  fmt::print("{:>5} {:>7} {:>7} | {:>7.2f}ms {:>7.2f}ms {:>9.1f} {:>6.2f}ms | {:>7.2f}ms {:>7.2f}ms {:>6.2f}ms | {:>6.0f}% {:>6.0f}%\n",
             sizeof(Real) == 4 ? "c64" : "c128", threads, psi.memory_bytes() >> 20, base.min * 1e3,
             base.median * 1e3, bytes / base.min / 1e9, base.min * 1e3, gate.min * 1e3, gate.p10 * 1e3,
             gate.median * 1e3, 100 * base.min / gate.min, 100 * base.median / gate.median);
}

void section_gate(const Options& o) {
  fmt::print("\n== gate: one fSim on a {}-qubit state vs a read-modify-write pass over the same memory\n",
             o.qubits);
  fmt::print("   kernels: {}; bound = rmw min (reads and writes the state once, like a gate);\n"
             "   frac = bound / gate min (target >= 70% at 1 thread); frac@m = the same with medians.\n"
             "   qsim (state-vector note, this machine type): 3.95-4.48 ms min per fSim at 24 qubits, 1 thread.\n",
             jobs::quantum::kernels::best_kernels().isa);
  bench_gate<float>(o, 1);
  bench_gate<double>(o, 1);
  if (o.threads > 1) {
    bench_gate<float>(o, o.threads);
  }
}

void section_fusion(const Options& o) {
  fmt::print("\n== fusion: brick-wall fSim cycles on a {}-site ring, c64, 1 thread, {} cycles\n", o.qubits,
             o.cycles);
  fmt::print("{:>6} {:>13} {:>12} {:>12} {:>12} {:>10}\n", "fused", "gates/cycle", "cycle min", "cycle med",
             "gate min", "vs f=2");
  const UnitaryCircuit cycle = ring_cycle(o.qubits, std::numbers::pi / 6, 2 * std::numbers::pi / 3);
  double f2 = 0;
  for (int f = 2; f <= jobs::quantum::kMaxGateQubits; ++f) {
    UnitaryCircuit many{o.qubits, {}};
    for (int c = 0; c < o.cycles; ++c) {
      many.append(cycle);
    }
    const UnitaryCircuit fused = jobs::quantum::fuse_gates(many, {f});
    StateVector<float> psi(o.qubits);
    psi.apply(jobs::quantum::x_gate(o.qubits / 2));
    std::vector<double> per_gate;
    std::vector<double> per_cycle;
    const std::size_t per = fused.gates.size() / static_cast<std::size_t>(o.cycles);
    double cycle_time = 0;
    for (std::size_t i = 0; i < fused.gates.size(); ++i) {
      const double t = seconds_of([&] { psi.apply(fused.gates[i]); });
      per_gate.push_back(t);
      cycle_time += t;
      if ((i + 1) % per == 0) {
        per_cycle.push_back(cycle_time);
        cycle_time = 0;
      }
    }
    const Stats g = stats(per_gate), c = stats(per_cycle);
    const double gates_per_cycle = static_cast<double>(fused.gates.size()) / o.cycles;
    const double min_cycle = g.min * gates_per_cycle;
    if (f == 2) {
      f2 = min_cycle;
    }
    fmt::print("{:>6} {:>13.2f} {:>10.1f}ms {:>10.1f}ms {:>10.2f}ms {:>9.2f}x\n", f, gates_per_cycle,
               c.min * 1e3, c.median * 1e3, g.min * 1e3, f2 / min_cycle);
  }
  fmt::print("   qsim (note): f=2 0.095-0.108 s/cycle, f=3 0.068-0.072 s/cycle (min-based), 1 thread.\n");
}

// Seconds for `cycles` cycles of `circuit` (applied per cycle) from `start`, min over repeats.
template <class State>
Stats time_cycles(State& psi, std::uint64_t start, const UnitaryCircuit& circuit, int cycles, int repeats,
                  bool observables) {
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    psi.set_basis_state(start);
    t.push_back(seconds_of([&] {
      for (int c = 0; c < cycles; ++c) {
        psi.apply(circuit);
        if (observables) {
          (void)psi.occupations();
        }
      }
    }));
  }
  return stats(t);
}

void section_subspace(const Options& o) {
  using jobs::photons::PhotonGeometry;
  const PhotonGeometry ring = PhotonGeometry::ring(o.qubits);
  const UnitaryCircuit cycle = ring.cycle({std::numbers::pi / 6, 2 * std::numbers::pi / 3, 0, 0});
  const std::uint64_t start = ring.initial_mask(o.photons, o.qubits / 2);
  fmt::print("\n== subspace: {} cycles, {} photons on the {}-site ring, 1 thread\n", o.cycles, o.photons, o.qubits);
  fmt::print("{:>10} {:>6} {:>12} {:>12} {:>12} {:>12} {:>10}\n", "simulator", "prec", "amplitudes", "evolve min",
             "+occ min", "evolve med", "speedup");
  const int full_repeats = std::max(3, o.repeats / 5);
  const UnitaryCircuit fused = jobs::quantum::fuse_gates(cycle, {4});
  StateVector<float> full(o.qubits);
  const Stats full_evolve = time_cycles(full, start, fused, o.cycles, full_repeats, false);
  const Stats full_occ = time_cycles(full, start, fused, o.cycles, full_repeats, true);
  fmt::print("{:>10} {:>6} {:>12} {:>11.3f}s {:>11.3f}s {:>11.3f}s {:>10}\n", "full f=4", "c64", full.size(),
             full_evolve.min, full_occ.min, full_evolve.median, "1x");
  auto subspace_row = [&](auto real) {
    using Real = decltype(real);
    jobs::quantum::SubspaceState<Real> psi(o.qubits, o.photons);
    const Stats evolve = time_cycles(psi, start, cycle, o.cycles, o.repeats, false);
    const Stats occ = time_cycles(psi, start, cycle, o.cycles, o.repeats, true);
    fmt::print("{:>10} {:>6} {:>12} {:>11.4f}s {:>11.4f}s {:>11.4f}s {:>7.0f}x (target >= 100x; +occ {:.0f}x)\n",
               "subspace", sizeof(Real) == 4 ? "c64" : "c128", psi.dimension(), evolve.min, occ.min,
               evolve.median, full_evolve.min / evolve.min, full_occ.min / occ.min);
  };
  subspace_row(float{});
  subspace_row(double{});
  // Beyond any full state vector: the decorated ring (ring + one extra site per two ring sites).
  const PhotonGeometry deco = PhotonGeometry::decorated_ring(o.qubits, 0);
  jobs::quantum::SubspaceState<float> big(deco.sites(), o.photons);
  const Stats b = time_cycles(big, deco.initial_mask(o.photons, o.qubits / 2),
                              deco.cycle({std::numbers::pi / 6, 2 * std::numbers::pi / 3, 0.3, 1.0}), o.cycles,
                              std::max(3, o.repeats / 3), true);
  fmt::print("{:>10} {:>6} {:>12} {:>12} {:>11.4f}s {:>12}   ({} sites: a full state would need {} GiB)\n",
             "decorated", "c64", big.dimension(), "", b.min, "", deco.sites(),
             (std::uint64_t{8} << deco.sites()) >> 30);
  fmt::print("   qsim (note): 20 cycles at 24 qubits 2.6-4.3 s wall; naive hash-map subspace code 0.07 s for 5 photons.\n");
}

int run(BenchArgs& args) {
  Options o;
  CLI::App app("tessera bench statevector", "statevector");
  app.add_option("--qubits", o.qubits, "full-state qubits (ring sites)")->check(CLI::Range(8, 32));
  app.add_option("--repeats", o.repeats, "repetitions per timing")->check(CLI::Range(3, 1000));
  app.add_option("--threads", o.threads, "threads for the threaded gate row")->check(CLI::Range(1, 256));
  app.add_option("--cycles", o.cycles, "ring cycles")->check(CLI::Range(1, 1000));
  app.add_option("--photons", o.photons, "photons in the subspace comparison")->check(CLI::Range(1, 12));
  app.add_option("--sections", o.sections, "gate,fusion,subspace,sweep (default) and distributed (under mpirun)")
      ->delimiter(',');
  app.add_option("--max-ranks", o.max_ranks, "largest rank count of the sweep section")->check(CLI::Range(1, 64));
  std::vector<std::string> argv(args.args.rbegin(), args.args.rend());  // CLI11 wants them reversed
  try {
    app.parse(argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto wants = [&](const char* s) { return std::find(o.sections.begin(), o.sections.end(), s) != o.sections.end(); };
  if (wants("gate")) {
    section_gate(o);
  }
  if (wants("fusion")) {
    section_fusion(o);
  }
  if (wants("subspace")) {
    section_subspace(o);
  }
  if (wants("sweep")) {
    const int rc = statevector_sweep_section(o.max_ranks);
    if (rc != 0) {
      return rc;
    }
  }
  if (wants("distributed")) {
    return statevector_distributed_section(args, o.qubits, o.cycles, o.repeats);
  }
  return 0;
}

}  // namespace

void register_statevector_bench(BenchRegistry& registry) {
  registry.add({"statevector", "fSim gates vs memory bandwidth, fusion, subspace vs full, sweep scaling", &run});
}

}  // namespace tessera::bench
