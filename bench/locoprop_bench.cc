// tessera bench locoprop: the cost of a LocoProp step against a backprop step
// with the same optimizer (the baseline), and data- vs layer-parallel
// LocoProp, on the deep autoencoder (784-1000-500-250-30 mirrored) with real
// Fashion-MNIST batches, in the same run.
//
//   tessera bench locoprop                   # one rank
//   mpirun -np 2 tessera bench locoprop      # global batch split over 2 ranks
//
// Modes alternate in rounds (bp, locoprop_m data-parallel, locoprop_m
// layer-parallel) so slow drifts of a shared machine hit all alike. Reported
// per mode: median and best step (the slowest rank's), exposed communication
// as a share of the step, and the ratio to the bp step. The analytic cost
// ratio (forward + backward + K x 2 layer matmuls, vs forward + backward) is
// printed beside it.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <numeric>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <torch/types.h>

#include "bench/bench_registry.h"
#include "comm/factory.h"
#include "comm/torch/tensor_buffer.h"
#include "datasets/fashion_mnist.h"
#include "jobs/locoprop/locoprop_step.h"
#include "jobs/train/dense_stack.h"
#include "jobs/train/memory_source.h"
#include "jobs/train/model_factory.h"
#include "jobs/train/shard_sources.h"
#include "jobs/train/torch_threads.h"
#include "runtime/error.h"
#include "runtime/session.h"

namespace tessera::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace lp = jobs::locoprop;

struct Options {
  int steps = 3;          // timed steps per round and mode
  int rounds = 2;
  int warmup = 1;         // untimed steps per mode first
  int batch = 1000;       // GLOBAL samples per step
  int local_iters = 10;   // K
  int threads = 1;        // LibTorch/OpenBLAS threads per rank
  int layer_threads = 1;  // LayerPool threads per rank
  std::string data;       // directory with fmnist-train-*.tar; default: converted into a temp dir
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  double one = 0;
  in >> one;
  return in ? fmt::format("{:.2f}", one) : std::string("?");
}

struct Mode {
  const char* name;
  lp::Mode mode;
  lp::Parallel parallel;
};

int run(BenchArgs& args) {
  Options o;
  CLI::App app("tessera bench locoprop", "locoprop");
  app.add_option("--steps", o.steps, "timed steps per round and mode")->check(CLI::Range(1, 10000));
  app.add_option("--rounds", o.rounds, "rounds over the modes")->check(CLI::Range(1, 1000));
  app.add_option("--warmup", o.warmup, "untimed steps per mode first")->check(CLI::Range(0, 1000));
  app.add_option("--batch", o.batch, "global samples per step")->check(CLI::Range(1, 1000000));
  app.add_option("--local-iters", o.local_iters, "K inner steps")->check(CLI::Range(1, 1000));
  app.add_option("--threads", o.threads, "LibTorch threads per rank")->check(CLI::Range(1, 256));
  app.add_option("--layer-threads", o.layer_threads, "threads solving layers per rank")->check(CLI::Range(0, 256));
  app.add_option("--data", o.data, "directory with fmnist-train-*.tar (default: converted into a temp dir)");
  std::vector<std::string> argv(args.args.rbegin(), args.args.rend());
  try {
    app.parse(argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto session = runtime::Session::start(args.argc, args.argv, "warn");
  runtime::Coordinator& coordinator = session->coordinator();
  const int rank = coordinator.rank();
  const int world = coordinator.size();
  if (o.batch % world != 0) {
    throw ConfigError(fmt::format("--batch {} must divide over {} ranks", o.batch, world));
  }
  jobs::train::set_torch_threads(o.threads);
  runtime::RuntimeConfig runtime_config;
  std::unique_ptr<comm::Communicator> comm_world = comm::make_communicator(runtime_config, session->launch());
  std::string dir = o.data;
  if (dir.empty()) {
    if (rank == 0) {
      char tmpl[] = "/tmp/tessera-bench-locoprop-XXXXXX";
      if (::mkdtemp(tmpl) == nullptr) {
        throw IoError("bench locoprop: cannot make a temporary directory");
      }
      datasets::FashionMnistOptions convert;
      convert.out = tmpl;
      convert.limit = 10000;
      convert.per_shard = 10000;
      datasets::convert_fashion_mnist(convert);
      dir = tmpl;
    }
    dir = coordinator.broadcast(dir, 0);
  }
  jobs::train::TrainDataConfig data;
  data.loader.train = dir + "/fmnist-train-000000.tar";
  if (!o.data.empty()) {
    data.loader.train = dir + "/fmnist-train-{000000..000059}.tar";
  }
  data.loader.outputs = {{"image", {"npy"}}, {"label", {"cls"}}};
  data.target = "input";
  jobs::train::MemorySource source(jobs::train::load_split(data, data.loader.train),
                                   {o.batch, rank, world, true, 1, jobs::train::sample_format(data)});

  jobs::train::ModelConfig model_config;
  model_config.kind = "autoencoder";
  model_config.layers = {784, 1000, 500, 250, 30};
  model_config.activation = "tanh";
  model_config.weight_init = "glorot_uniform";
  model_config.bias_init = "glorot_uniform";
  optim::OptimizerConfig inner;
  inner.kind = "rmsprop_tf1";
  inner.lr = 1e-5;
  inner.momentum = 0.999;
  inner.alpha = 0.9;
  inner.eps = 1e-5;

  const Mode modes[] = {{"bp", lp::Mode::kBackprop, lp::Parallel::kData},
                        {"loco-m data", lp::Mode::kLocoPropM, lp::Parallel::kData},
                        {"loco-m layers", lp::Mode::kLocoPropM, lp::Parallel::kLayers}};
  constexpr int kModes = 3;
  std::vector<std::shared_ptr<jobs::train::Model>> models;
  std::vector<std::unique_ptr<lp::LocoPropStep>> steps;
  std::int64_t parameters = 0;
  for (const Mode& mode : modes) {
    torch::manual_seed(1);
    models.push_back(jobs::train::make_model(model_config));
    parameters = jobs::train::parameter_count(*models.back());
    lp::LocoPropOptions options;
    options.mode = mode.mode;
    options.parallel = mode.parallel;
    options.local_iters = o.local_iters;
    options.layer_threads = o.layer_threads;
    steps.push_back(std::make_unique<lp::LocoPropStep>(dynamic_cast<jobs::train::DenseStack&>(*models.back()),
                                                       inner, comm_world.get(), options));
  }
  std::vector<double> times[kModes];
  std::vector<double> comm[kModes];
  auto run_steps = [&](int mode, int count, bool timed) {
    for (int i = 0; i < count; ++i) {
      jobs::train::Batch batch = source.next();
      coordinator.barrier();
      const auto start = Clock::now();
      jobs::train::StepResult r = steps[mode]->step(std::span<const jobs::train::Batch>(&batch, 1), 1e-5);
      if (timed) {
        times[mode].push_back(std::chrono::duration<double>(Clock::now() - start).count());
        comm[mode].push_back(r.comm_seconds);
      }
    }
  };
  for (int mode = 0; mode < kModes; ++mode) {
    run_steps(mode, o.warmup, false);
  }
  for (int round = 0; round < o.rounds; ++round) {
    for (int mode = 0; mode < kModes; ++mode) {
      run_steps(mode, o.steps, true);
    }
  }
  // The slowest rank sets the pace: the largest per-rank median, best and share.
  std::string mine;
  for (int mode = 0; mode < kModes; ++mode) {
    const double total = std::accumulate(times[mode].begin(), times[mode].end(), 0.0);
    const double waited = std::accumulate(comm[mode].begin(), comm[mode].end(), 0.0);
    mine += fmt::format("{:a} {:a} {:a} ", median(times[mode]),
                        *std::min_element(times[mode].begin(), times[mode].end()), waited / total);
  }
  double result[kModes][3] = {};
  for (const std::string& part : coordinator.all_gather(mine)) {
    std::istringstream in(part);
    for (auto& row : result) {
      for (double& x : row) {
        std::string s;
        in >> s;
        x = std::max(x, std::strtod(s.c_str(), nullptr));
      }
    }
  }
  if (rank == 0) {
    // Multiply-adds per sample: forward P, backward 2P (input and weight
    // gradients), each inner step 2P (z and grad_W).
    const double analytic = (3.0 + 2.0 * o.local_iters) / 3.0;
    fmt::print("== locoprop: deep autoencoder 784-1000-500-250-30 mirrored ({} parameters), real Fashion-MNIST,\n"
               "   global batch {} over {} rank{}, K = {}, rmsprop_tf1, {} LibTorch thread{} + {} layer thread{} "
               "per rank; {} rounds x {} steps per mode\n",
               parameters, o.batch, world, world == 1 ? "" : "s", o.local_iters, o.threads,
               o.threads == 1 ? "" : "s", o.layer_threads, o.layer_threads == 1 ? "" : "s", o.rounds, o.steps);
    fmt::print("{:<14} {:>9} {:>9} {:>10} {:>9} {:>10}\n", "mode", "med ms", "best ms", "samples/s", "exposed",
               "vs bp");
    for (int mode = 0; mode < kModes; ++mode) {
      fmt::print("{:<14} {:>9.1f} {:>9.1f} {:>10.0f} {:>8.1f}% {:>9.2f}x\n", modes[mode].name,
                 result[mode][0] * 1e3, result[mode][1] * 1e3, o.batch / result[mode][0], 100 * result[mode][2],
                 result[mode][0] / result[0][0]);
    }
    fmt::print("analytic cost of a LocoProp step vs a bp step (multiply-adds): {:.2f}x\n", analytic);
    fmt::print("layer-parallel vs data-parallel step: {:.2f}x (below 1: layers win)\n", result[2][0] / result[1][0]);
    fmt::print("load average (1 min): {}; the host has {} cores\n", load_average(),
               std::thread::hardware_concurrency());
  }
  coordinator.barrier();
  if (o.data.empty() && rank == 0) {
    std::filesystem::remove_all(dir);
  }
  return 0;
}

}  // namespace

void register_locoprop_bench(BenchRegistry& registry) {
  registry.add({"locoprop", "LocoProp-M step (data- and layer-parallel) vs a backprop step, deep autoencoder", &run});
}

}  // namespace tessera::bench
