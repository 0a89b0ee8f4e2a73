// tessera bench moe: one MoE layer (8 SwiGLU experts, top-2, d_model 256,
// d_ff 1024, 4,096 tokens per rank; dropless), forward + backward, on 2 ranks:
//
//   ep 1      every rank holds all 8 experts (pure data parallel, no all-to-all;
//             the expert gradients are all-reduced over the ranks)
//   ep 2      4 experts per rank, tokens exchanged with all_to_allv
//             (local experts as a loop over token blocks, and as one padded bmm)
//   dense     baseline: a dense SwiGLU FFN with the same active parameters per
//             token (d_ff 2 x 1024), same tokens
//
// plus the all-to-all alone: tessera's all_to_allv against raw MPI_Alltoallv
// on the same buffers (nccl-tests columns), both in the same run. Modes are
// interleaved in rounds so a shared machine's drift hits all alike; the
// slowest rank's median step is reported.
//
//   tessera bench moe                 # starts mpirun -np 2 itself
//   mpirun -np 2 tessera bench moe    # the same, launched by hand
//
// Reference (notes): a PyTorch (gloo) expert-parallel layer of this shape ran
// at ~7,700 tokens/s on two ranks of a 2-core machine.

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <torch/torch.h>

#include "bench/bench_registry.h"
#include "comm/factory.h"
#include "comm/torch/tensor_buffer.h"
#include "jobs/moe/moe_layer.h"
#include "jobs/train/torch_threads.h"
#include "runtime/error.h"
#include "runtime/launch_info.h"
#include "runtime/session.h"

namespace tessera::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int ranks = 2;
  int tokens = 4096;     // per rank
  int d_model = 256;
  int d_ff = 1024;
  int experts = 8;
  int top_k = 2;
  int steps = 8;         // timed steps per mode per round
  int warmup = 2;
  int rounds = 3;
  int threads = 1;
  bool worker = false;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  double one = 0;
  in >> one;
  return in ? fmt::format("{:.2f}", one) : std::string("?");
}

// The dense baseline: SwiGLU with the active parameters of top-k experts.
struct DenseFfn {
  torch::Tensor w1, w2, w3;
  DenseFfn(int d, int f, std::uint64_t seed) {
    at::Generator g = at::make_generator<at::CPUGeneratorImpl>(seed);
    auto u = [&](std::vector<std::int64_t> s, double b) {
      return (at::rand(s, g, torch::TensorOptions().dtype(torch::kFloat)) * (2 * b) - b).requires_grad_(true);
    };
    w1 = u({d, f}, 1 / std::sqrt(static_cast<double>(d)));
    w3 = u({d, f}, 1 / std::sqrt(static_cast<double>(d)));
    w2 = u({f, d}, 1 / std::sqrt(static_cast<double>(f)));
  }
  torch::Tensor forward(const torch::Tensor& x) const { return (torch::silu(x.matmul(w1)) * x.matmul(w3)).matmul(w2); }
  void zero_grad() {
    for (torch::Tensor* t : {&w1, &w2, &w3}) {
      if (t->grad().defined()) {
        t->mutable_grad().zero_();
      }
    }
  }
};

struct ModeTimes {
  std::vector<double> steps;
  double exchange = 0;   // seconds in all-to-all over the timed steps
  double total = 0;      // seconds of the timed steps
};

int worker(const Options& o, BenchArgs& args) {
  auto session = runtime::Session::start(args.argc, args.argv, "warn");
  runtime::Coordinator& coordinator = session->coordinator();
  jobs::train::set_torch_threads(o.threads);
  runtime::RuntimeConfig runtime_config;
  std::unique_ptr<comm::Communicator> world = comm::make_communicator(runtime_config, session->launch());
  const int rank = world->rank();
  const int size = world->size();
  if (o.experts % size != 0) {
    throw ConfigError(fmt::format("bench moe: {} experts do not divide over {} ranks", o.experts, size));
  }

  jobs::moe::MoeLayerConfig base;
  base.experts = o.experts;
  base.top_k = o.top_k;
  base.expert = "swiglu";
  jobs::moe::MoeLayerConfig one = base;
  jobs::moe::MoeLayerConfig loop = base;
  loop.ep_size = size;
  jobs::moe::MoeLayerConfig batched = loop;
  batched.expert_compute = "batched";
  jobs::moe::MoeLayer ep1(o.d_model, o.d_ff, one, nullptr, 7);
  jobs::moe::MoeLayer ep_loop(o.d_model, o.d_ff, loop, world.get(), 7);
  jobs::moe::MoeLayer ep_batched(o.d_model, o.d_ff, batched, world.get(), 7);
  DenseFfn dense(o.d_model, o.top_k * o.d_ff, 7);

  at::Generator g = at::make_generator<at::CPUGeneratorImpl>(100 + rank);
  torch::Tensor x = at::randn({o.tokens, o.d_model}, g, torch::TensorOptions().dtype(torch::kFloat));
  torch::Tensor up = at::randn({o.tokens, o.d_model}, g, torch::TensorOptions().dtype(torch::kFloat));

  const char* names[] = {"ep 1 (experts replicated)", "ep 2, loop", "ep 2, batched", "dense FFN baseline"};
  jobs::moe::MoeLayer* layers[] = {&ep1, &ep_loop, &ep_batched, nullptr};
  constexpr int kModes = 4;
  ModeTimes times[kModes];
  auto one_step = [&](int mode) {
    if (layers[mode] != nullptr) {
      layers[mode]->zero_grad();
      torch::Tensor y = layers[mode]->forward(x);
      ((y * up).sum() + layers[mode]->loss()).backward();
      if (mode == 0 && size > 1) {
        // Replicated experts need their gradients averaged over the ranks
        // (data parallel); sharded experts (ep 2) do not.
        for (const auto& item : layers[mode]->named_parameters()) {
          if (jobs::moe::MoeLayer::is_expert_parameter(item.key())) {
            world->all_reduce(comm::as_buffer(item.value().grad()), {.op = comm::ReduceOp::kAvg}).wait();
          }
        }
      }
    } else {
      dense.zero_grad();
      (dense.forward(x) * up).sum().backward();
    }
  };
  for (int mode = 0; mode < kModes; ++mode) {
    for (int i = 0; i < o.warmup; ++i) {
      one_step(mode);
    }
  }
  for (int round = 0; round < o.rounds; ++round) {
    for (int mode = 0; mode < kModes; ++mode) {
      coordinator.barrier();
      if (layers[mode] != nullptr) {
        layers[mode]->reset_times();
      }
      const auto start = Clock::now();
      for (int i = 0; i < o.steps; ++i) {
        const auto step_start = Clock::now();
        one_step(mode);
        times[mode].steps.push_back(seconds_since(step_start));
      }
      times[mode].total += seconds_since(start);
      if (layers[mode] != nullptr) {
        times[mode].exchange += layers[mode]->stats().exchange_seconds;
      }
    }
  }

  // The all-to-all alone, balanced (tokens * k / ranks rows to each rank),
  // tessera against raw MPI_Alltoallv on the same buffers.
  const std::size_t row = static_cast<std::size_t>(o.d_model);
  const std::size_t rows_per_peer = static_cast<std::size_t>(o.tokens) * o.top_k / size;
  std::vector<float> send(rows_per_peer * row * size, 1.0f + rank);
  std::vector<float> recv(send.size(), 0.0f);
  std::vector<std::size_t> counts(size, rows_per_peer * row);
  std::vector<int> mpi_counts(size, static_cast<int>(rows_per_peer * row));
  std::vector<int> displs(size);
  for (int i = 0; i < size; ++i) {
    displs[i] = i * mpi_counts[i];
  }
  MPI_Comm raw;
  MPI_Comm_dup(MPI_COMM_WORLD, &raw);
  std::vector<double> a2a[2];
  bool wrong = false;
  for (int rep = 0; rep < 2 + 5 * o.rounds; ++rep) {
    for (int which = 0; which < 2; ++which) {
      std::fill(recv.begin(), recv.end(), 0.0f);
      MPI_Barrier(raw);
      const auto start = Clock::now();
      if (which == 0) {
        world->all_to_allv(comm::as_buffer(send), counts, comm::as_buffer(recv), counts).wait();
      } else {
        MPI_Alltoallv(send.data(), mpi_counts.data(), displs.data(), MPI_FLOAT, recv.data(), mpi_counts.data(),
                      displs.data(), MPI_FLOAT, raw);
      }
      const double t = seconds_since(start);
      for (int src = 0; src < size; ++src) {
        wrong |= recv[static_cast<std::size_t>(displs[src])] != 1.0f + src;
      }
      if (rep >= 2) {
        a2a[which].push_back(t);
      }
    }
  }
  MPI_Comm_free(&raw);

  // The slowest rank sets the pace.
  std::string mine;
  for (int mode = 0; mode < kModes; ++mode) {
    mine += fmt::format("{:a} {:a} ", median(times[mode].steps),
                        times[mode].total > 0 ? times[mode].exchange / times[mode].total : 0.0);
  }
  mine += fmt::format("{:a} {:a} {}", median(a2a[0]), median(a2a[1]), wrong ? 1 : 0);
  std::vector<double> worst(2 * kModes + 3, 0.0);
  for (const std::string& part : coordinator.all_gather(mine)) {
    std::istringstream in(part);
    for (double& w : worst) {
      std::string s;
      in >> s;
      w = std::max(w, std::strtod(s.c_str(), nullptr));
    }
  }
  if (rank == 0) {
    const double tokens = static_cast<double>(o.tokens) * size;
    fmt::print("== moe: one MoE layer, {} SwiGLU experts top-{}, d_model {}, d_ff {}, {} tokens per rank, dropless,\n"
               "   forward + backward, {} ranks, {} thread{} per rank; {} rounds x {} steps per mode\n",
               o.experts, o.top_k, o.d_model, o.d_ff, o.tokens, size, o.threads, o.threads == 1 ? "" : "s", o.rounds,
               o.steps);
    fmt::print("{:<26} {:>9} {:>10} {:>10} {:>12}\n", "mode", "med ms", "tokens/s", "a2a share", "vs dense");
    const double dense_step = worst[2 * 3];
    for (int mode = 0; mode < kModes; ++mode) {
      const double step = worst[2 * mode];
      fmt::print("{:<26} {:>9.1f} {:>10.0f} {:>9.1f}% {:>11.3f}x\n", names[mode], step * 1e3, tokens / step,
                 100 * worst[2 * mode + 1], dense_step / step);
    }
    const double bytes = static_cast<double>(send.size() * sizeof(float));
    const double bus = static_cast<double>(size - 1) / size;
    fmt::print("\nall-to-all alone ({} rows of {} floats to each rank; {:.2f} MB per rank):\n", rows_per_peer, row,
               bytes / 1e6);
    fmt::print("{:<22} {:>9} {:>11} {:>11} {:>7}\n", "implementation", "time ms", "algbw GB/s", "busbw GB/s", "wrong");
    const char* impl[] = {"tessera all_to_allv", "raw MPI_Alltoallv"};
    for (int which = 0; which < 2; ++which) {
      const double t = worst[2 * kModes + which];
      fmt::print("{:<22} {:>9.3f} {:>11.2f} {:>11.2f} {:>7}\n", impl[which], t * 1e3, bytes / t / 1e9,
                 bytes / t / 1e9 * bus, worst[2 * kModes + 2] > 0 ? 1 : 0);
    }
    fmt::print("tessera / raw MPI busbw: {:.3f}x\n", worst[2 * kModes + 1] / worst[2 * kModes]);
    fmt::print("load average (1 min): {}; the host has {} cores\n", load_average(),
               std::thread::hardware_concurrency());
    fmt::print("reference (notes): PyTorch gloo expert-parallel layer of this shape, 2 ranks of a 2-core machine: "
               "~7,700 tokens/s\n");
    std::fflush(stdout);
  }
  return worst[2 * kModes + 2] > 0 ? 1 : 0;
}

std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

int orchestrate(const Options& o) {
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::string command = fmt::format(
      "mpirun {}--oversubscribe --bind-to none --mca mpi_yield_when_idle 1 -np {} {} bench moe --worker "
      "--tokens {} --d-model {} --d-ff {} --experts {} --top-k {} --steps {} --warmup {} --rounds {} --threads {}",
      ::geteuid() == 0 ? "--allow-run-as-root " : "", o.ranks, shell_quoted(self), o.tokens, o.d_model, o.d_ff,
      o.experts, o.top_k, o.steps, o.warmup, o.rounds, o.threads);
  std::fflush(stdout);
  const int status = std::system(command.c_str());
  return status == 0 ? 0 : 1;
}

int run(BenchArgs& args) {
  Options o;
  CLI::App app("tessera bench moe", "moe");
  app.add_option("--ranks", o.ranks, "ranks to start under mpirun (when not launched by one)")->check(CLI::Range(1, 64));
  app.add_option("--tokens", o.tokens, "tokens per rank")->check(CLI::Range(1, 1 << 20));
  app.add_option("--d-model", o.d_model, "model width")->check(CLI::Range(1, 1 << 16));
  app.add_option("--d-ff", o.d_ff, "expert hidden width")->check(CLI::Range(1, 1 << 16));
  app.add_option("--experts", o.experts, "experts")->check(CLI::Range(1, 1024));
  app.add_option("--top-k", o.top_k, "experts per token")->check(CLI::Range(1, 64));
  app.add_option("--steps", o.steps, "timed steps per mode per round")->check(CLI::Range(1, 100000));
  app.add_option("--warmup", o.warmup, "untimed steps per mode first")->check(CLI::Range(0, 1000));
  app.add_option("--rounds", o.rounds, "rounds over the modes")->check(CLI::Range(1, 1000));
  app.add_option("--threads", o.threads, "LibTorch threads per rank")->check(CLI::Range(1, 256));
  app.add_flag("--worker", o.worker, "internal: measure in this MPI world");
  std::vector<std::string> argv(args.args.rbegin(), args.args.rend());
  try {
    app.parse(argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  const runtime::LaunchInfo launch = runtime::detect_launch(runtime::current_environment(), runtime::host_name());
  if (o.worker || launch.launcher != runtime::Launcher::kNone) {
    return worker(o, args);
  }
  return orchestrate(o);
}

}  // namespace

void register_moe_bench(BenchRegistry& registry) {
  registry.add({"moe", "MoE layer tokens/s at ep 1 and ep 2 vs a dense FFN; all_to_allv vs raw MPI_Alltoallv", run});
}

}  // namespace tessera::bench
