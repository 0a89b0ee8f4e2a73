// The multi-rank sections of `tessera bench statevector`.

#include "bench/statevector_bench_ranks.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "comm/factory.h"
#include "jobs/photons/photon_geometry.h"
#include "jobs/quantum/distributed_state_vector.h"
#include "jobs/quantum/gate_fuser.h"
#include "jobs/sweep/results_file.h"
#include "runtime/session.h"

namespace tessera::bench {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

int statevector_distributed_section(BenchArgs& args, int qubits, int cycles, int repeats) {
  auto session = runtime::Session::start(args.argc, args.argv, "warn");
  auto comm = comm::make_communicator(runtime::RuntimeConfig{}, session->launch());
  const bool root = comm->rank() == 0;
  const auto ring = jobs::photons::PhotonGeometry::ring(qubits);
  const jobs::quantum::UnitaryCircuit fused = jobs::quantum::fuse_gates(
      ring.cycle({std::numbers::pi / 6, 2 * std::numbers::pi / 3, 0, 0}), {3});
  const std::uint64_t start = ring.initial_mask(2, qubits / 2);

  // The baseline: rank 0 alone, the others wait.
  double single = 1e30;
  if (root) {
    jobs::quantum::StateVector<float> psi(qubits);
    psi.set_basis_state(start);
    for (int r = 0; r < repeats; ++r) {
      const auto t = Clock::now();
      psi.apply(fused);
      single = std::min(single, since(t));
    }
  }
  comm->barrier().wait();

  jobs::quantum::DistributedStateVector<float> psi(qubits, *comm);
  psi.set_basis_state(start);
  std::vector<double> per_cycle;
  for (int c = 0; c < std::max(cycles, repeats); ++c) {
    comm->barrier().wait();
    const auto t = Clock::now();
    psi.apply(fused);
    comm->barrier().wait();
    per_cycle.push_back(since(t));
  }
  std::sort(per_cycle.begin(), per_cycle.end());
  if (root) {
    fmt::print("\n== distributed: one {}-qubit ring state (c64, fused f=3) over {} ranks vs rank 0 alone\n",
               qubits, comm->size());
    fmt::print("{:>6} {:>12} {:>16} {:>12} {:>12} {:>14} {:>9}\n", "ranks", "MiB/rank", "exchanges/cycle",
               "cycle min", "cycle med", "1 rank min", "speedup");
    fmt::print("{:>6} {:>12.1f} {:>16.2f} {:>10.1f}ms {:>10.1f}ms {:>12.1f}ms {:>8.2f}x\n", comm->size(),
               static_cast<double>(psi.memory_bytes_per_rank()) / (1 << 20),
               static_cast<double>(psi.exchanges()) / static_cast<double>(per_cycle.size()), per_cycle.front() * 1e3,
               per_cycle[per_cycle.size() / 2] * 1e3, single * 1e3, single / per_cycle.front());
    fmt::print("   ranks on one machine share its memory bandwidth: expect little gain here (QuEST#268);\n"
               "   the mode is for states larger than one machine.\n");
  }
  return 0;
}

int statevector_sweep_section(int max_ranks) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / fmt::format("tessera-sweep-bench-{}", ::getpid());
  fs::create_directories(dir);
  std::string phis;
  for (int k = 0; k < 16; ++k) {
    phis += fmt::format("{}{:.6f}", k == 0 ? "" : ", ", k * std::numbers::pi / 15);
  }
  const fs::path config = dir / "sweep.yaml";
  std::ofstream(config) << fmt::format(
      "job: photons\nname: sweep-bench\ngeometries: [{{name: deco24, kind: decorated_ring, sites: 24}}]\n"
      "experiment: {{cycles: 20, phi_extra: 0.0}}\nplots: {{enabled: false}}\n"
      "sweep: {{grid: {{photons: [4, 5], phi: [{}]}}}}\n",
      phis);
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const std::string root_flags = ::geteuid() == 0 ? "--allow-run-as-root " : "";
  fmt::print("\n== sweep: 32 photon tasks (4 and 5 photons on the decorated 24-site ring, 36 sites, 20 cycles,\n"
             "   subspace c64) by `mpirun -np r tessera run`; wall time includes start-up\n");
  fmt::print("{:>6} {:>10} {:>12} {:>10} {:>12}\n", "ranks", "wall", "task CPU s", "speedup", "efficiency");
  double base = 0;
  for (int ranks = 1; ranks <= max_ranks; ranks *= 2) {
    const fs::path run = dir / fmt::format("run{}", ranks);
    const std::string command =
        fmt::format("mpirun {}--oversubscribe --bind-to none -np {} '{}' run '{}' output.dir='{}' > '{}' 2>&1",
                    root_flags, ranks, self, config.string(), run.string(), (dir / "log.txt").string());
    const auto start = Clock::now();
    const int rc = std::system(command.c_str());
    const double wall = since(start);
    if (rc != 0) {
      fmt::print("mpirun -np {} failed ({}); its output is in {}\n", ranks, rc, (dir / "log.txt").string());
      return 1;
    }
    double cpu = 0;
    for (const auto& record : jobs::sweep::read_results(run / "results.h5")) {
      cpu += record.total.counts.seconds;
    }
    base = ranks == 1 ? wall : base;
    fmt::print("{:>6} {:>9.2f}s {:>11.2f}s {:>9.2f}x {:>11.0f}%\n", ranks, wall, cpu, base / wall,
               100 * base / wall / ranks);
  }
  fmt::print("   this machine has {} cores: ranks beyond them share cores.\n", std::thread::hardware_concurrency());
  fs::remove_all(dir);
  return 0;
}

}  // namespace tessera::bench
