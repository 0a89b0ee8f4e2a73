// tessera bench train: data-parallel training throughput of the deep
// autoencoder (784-1000-500-250-30, mirrored) on real Fashion-MNIST, batch
// 1,000 per rank, against the same model with gradient communication
// disabled, measured in the same run.
//
//   tessera bench train                  # runs mpirun -np 1 and -np 2 itself, one table
//   mpirun -np 2 tessera bench train     # just this world size
//
// Each rank alternates rounds of DDP steps (bucketed all-reduce overlapping
// the backward pass) and no-communication steps (every rank trains alone),
// so slow drifts of a shared machine hit both alike. Reported: the median
// and best step, samples/s over all ranks (from the median step), the
// exposed communication (time waiting for the all-reduce after the backward
// pass, as a share of the step), and the ratio to the no-communication
// baseline. The load average of the machine is printed too: on a shared
// 2-core host scaling cannot be judged while other work runs.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/types.h>

#include "bench/bench_registry.h"
#include "datasets/fashion_mnist.h"
#include "comm/factory.h"
#include "comm/torch/gradient_reducer.h"
#include "jobs/train/reducer_grad_sync.h"
#include "jobs/train/backprop_step.h"
#include "jobs/train/memory_source.h"
#include "jobs/train/model_factory.h"
#include "jobs/train/shard_sources.h"
#include "jobs/train/torch_threads.h"
#include "optim/optimizer_factory.h"
#include "runtime/error.h"
#include "runtime/launch_info.h"
#include "runtime/session.h"

namespace tessera::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::vector<int> ranks{1, 2};
  int steps = 15;        // timed steps per round and mode
  int warmup = 3;        // untimed steps before the first round
  int rounds = 3;        // rounds of (ddp, no-comm)
  int batch = 1000;      // samples per rank per step
  int threads = 1;       // LibTorch/OpenBLAS threads per rank
  double bucket_mb = 25;
  std::string data;      // directory with fmnist-train-*.tar; default: converted into a temp dir
  bool worker = false;   // internal: one world size, print a RESULT line
};

struct ModeResult {
  double step_median = 0;  // seconds
  double step_min = 0;
  double comm_share = 0;   // exposed communication / step time
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

// Shards of the training split (made in a temp dir when not given).
std::string training_spec(const std::string& dir) {
  return dir + "/fmnist-train-{000000..000059}.tar";
}

std::string convert_to_temp() {
  char tmpl[] = "/tmp/tessera-bench-train-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    throw IoError("bench train: cannot make a temporary directory");
  }
  datasets::FashionMnistOptions options;
  options.out = tmpl;
  datasets::convert_fashion_mnist(options);
  return tmpl;
}

// One world size: every rank alternates DDP and no-communication rounds.
int worker(const Options& o, BenchArgs& args) {
  auto session = runtime::Session::start(args.argc, args.argv, "warn");
  runtime::Coordinator& coordinator = session->coordinator();
  const int rank = coordinator.rank();
  const int world = coordinator.size();
  jobs::train::set_torch_threads(o.threads);
  runtime::RuntimeConfig runtime_config;
  std::unique_ptr<comm::Communicator> comm_world = comm::make_communicator(runtime_config, session->launch());
  std::string dir = o.data;
  if (dir.empty()) {
    dir = rank == 0 ? convert_to_temp() : std::string();
    dir = coordinator.broadcast(dir, 0);
  }

  jobs::train::TrainDataConfig data;
  data.loader.train = training_spec(dir);
  data.loader.outputs = {{"image", {"npy"}}, {"label", {"cls"}}};
  data.target = "input";
  jobs::train::MemorySource source(jobs::train::load_split(data, data.loader.train),
                                   {static_cast<std::int64_t>(o.batch) * world, rank, world, true, 1,
                                    jobs::train::sample_format(data)});

  jobs::train::ModelConfig model_config;
  model_config.kind = "autoencoder";
  model_config.layers = {784, 1000, 500, 250, 30};
  model_config.activation = "tanh";
  optim::OptimizerConfig optim_config;
  optim_config.kind = "sgd";
  optim_config.lr = 0.01;
  optim_config.momentum = 0.9;
  // Two copies of the model: one under the reducer, one that never communicates.
  torch::manual_seed(1);
  std::shared_ptr<jobs::train::Model> model = jobs::train::make_model(model_config);
  std::shared_ptr<jobs::train::Model> alone_model = jobs::train::make_model(model_config);
  auto optimizer = optim::make_optimizer(optim_config, model->parameters());
  auto alone_optimizer = optim::make_optimizer(optim_config, alone_model->parameters());
  comm::ReducerOptions reducer_options;
  reducer_options.bucket_mb = o.bucket_mb;
  comm::GradientReducer gradient_reducer(*model, *comm_world, reducer_options);
  jobs::train::ReducerGradSync reducer(gradient_reducer);
  jobs::train::LocalGradSync alone;
  const jobs::train::BackpropOptions loss{jobs::train::LossKind::kSigmoidCrossEntropy};
  jobs::train::BackpropStep ddp_step(*model, *optimizer, reducer, loss);
  jobs::train::BackpropStep alone_step(*alone_model, *alone_optimizer, alone, loss);

  auto run_steps = [&](jobs::train::BackpropStep& step, int count, std::vector<double>* times,
                       std::vector<double>* comm) {
    for (int i = 0; i < count; ++i) {
      jobs::train::Batch batch = source.next();
      const auto start = Clock::now();
      jobs::train::StepResult r = step.step(std::span<const jobs::train::Batch>(&batch, 1), 0.01);
      if (times != nullptr) {
        times->push_back(std::chrono::duration<double>(Clock::now() - start).count());
        comm->push_back(r.comm_seconds);
      }
    }
  };
  run_steps(ddp_step, o.warmup, nullptr, nullptr);
  run_steps(alone_step, o.warmup, nullptr, nullptr);
  std::vector<double> times[2];
  std::vector<double> comm[2];
  for (int round = 0; round < o.rounds; ++round) {
    for (int mode = 0; mode < 2; ++mode) {
      coordinator.barrier();
      run_steps(mode == 0 ? ddp_step : alone_step, o.steps, &times[mode], &comm[mode]);
    }
  }
  coordinator.barrier();
  // The slowest rank sets the pace of a data-parallel step: take the largest
  // per-rank median (and the largest per-rank best).
  std::string mine;
  for (int mode = 0; mode < 2; ++mode) {
    const double total = std::accumulate(times[mode].begin(), times[mode].end(), 0.0);
    const double waited = std::accumulate(comm[mode].begin(), comm[mode].end(), 0.0);
    mine += fmt::format("{:a} {:a} {:a} ", median(times[mode]),
                        *std::min_element(times[mode].begin(), times[mode].end()), waited / total);
  }
  ModeResult result[2];
  for (const std::string& part : coordinator.all_gather(mine)) {
    double v[6];
    std::istringstream in(part);
    for (double& x : v) {
      std::string s;
      in >> s;
      x = std::strtod(s.c_str(), nullptr);
    }
    for (int mode = 0; mode < 2; ++mode) {
      result[mode].step_median = std::max(result[mode].step_median, v[3 * mode]);
      result[mode].step_min = std::max(result[mode].step_min, v[3 * mode + 1]);
      result[mode].comm_share = std::max(result[mode].comm_share, v[3 * mode + 2]);
    }
  }
  if (rank == 0) {
    fmt::print("RESULT {} {:a} {:a} {:a} {:a} {:a} {:a} {} {}\n", world, result[0].step_median, result[0].step_min,
               result[0].comm_share, result[1].step_median, result[1].step_min, result[1].comm_share,
               jobs::train::parameter_count(*model), load_average());
    std::fflush(stdout);
  }
  if (o.data.empty() && rank == 0) {
    std::filesystem::remove_all(dir);
  }
  return 0;
}

struct WorldResult {
  int world = 0;
  ModeResult ddp;
  ModeResult alone;
  std::int64_t parameters = 0;
  std::string load;
};

std::optional<WorldResult> parse_result(const std::string& output) {
  std::size_t at = output.find("RESULT ");
  if (at == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream in(output.substr(at + 7));
  WorldResult r;
  std::string f[6];
  in >> r.world >> f[0] >> f[1] >> f[2] >> f[3] >> f[4] >> f[5] >> r.parameters >> r.load;
  if (!in) {
    return std::nullopt;
  }
  auto d = [&](int i) { return std::strtod(f[i].c_str(), nullptr); };
  r.ddp = {d(0), d(1), d(2)};
  r.alone = {d(3), d(4), d(5)};
  return r;
}

std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

// Runs the worker under `mpirun -np world` and returns its result.
WorldResult run_world(const Options& o, const std::string& data, int world) {
  std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::string command = fmt::format(
      "mpirun {}--oversubscribe --bind-to none --mca mpi_yield_when_idle 1 -np {} {} bench train --worker "
      "--data {} --steps {} --warmup {} --rounds {} --batch {} --threads {} --bucket-mb {} 2>&1",
      ::geteuid() == 0 ? "--allow-run-as-root " : "", world, shell_quoted(self), shell_quoted(data), o.steps, o.warmup,
      o.rounds, o.batch, o.threads, o.bucket_mb);
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    throw IoError("bench train: cannot start mpirun");
  }
  std::string output;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
    output += buffer;
  }
  const int status = ::pclose(pipe);
  std::optional<WorldResult> r = parse_result(output);
  if (status != 0 || !r) {
    throw Error(fmt::format("bench train: mpirun -np {} failed:\n{}", world, output));
  }
  return *r;
}

void print_row(int world, const char* mode, const ModeResult& r, int batch, const ModeResult& baseline) {
  const double rate = world * batch / r.step_median;
  fmt::print("{:>5}  {:<8} {:>9.1f} {:>9.1f} {:>10.0f} {:>10.1f}% {:>10.3f}x\n", world, mode, r.step_median * 1e3,
             r.step_min * 1e3, rate, 100 * r.comm_share, baseline.step_median / r.step_median);
}

int orchestrate(const Options& o) {
  std::string data = o.data.empty() ? convert_to_temp() : o.data;
  std::vector<WorldResult> results;
  for (int world : o.ranks) {
    results.push_back(run_world(o, data, world));
  }
  if (o.data.empty()) {
    std::filesystem::remove_all(data);
  }
  fmt::print("== train: deep autoencoder 784-1000-500-250-30 mirrored ({} parameters), real Fashion-MNIST,\n"
             "   batch {} per rank, {} thread{} per rank, SGD momentum; {} rounds x {} steps per mode\n",
             results.front().parameters, o.batch, o.threads, o.threads == 1 ? "" : "s", o.rounds, o.steps);
  fmt::print("{:>5}  {:<8} {:>9} {:>9} {:>10} {:>11} {:>11}\n", "ranks", "mode", "med ms", "best ms", "samples/s",
             "exposed", "vs no-comm");
  for (const WorldResult& r : results) {
    print_row(r.world, "ddp", r.ddp, o.batch, r.alone);
    print_row(r.world, "no-comm", r.alone, o.batch, r.alone);
  }
  const WorldResult& first = results.front();
  for (const WorldResult& r : results) {
    if (r.world == 1 || first.world != 1) {
      continue;
    }
    const double one = o.batch / first.ddp.step_median;
    const double many = r.world * o.batch / r.ddp.step_median;
    fmt::print("scaling at {} ranks: {:.0f} samples/s = {:.0f}% of {}x the 1-rank rate (target >= 90%); "
               "no-comm at {} ranks: {:.0f}%\n",
               r.world, many, 100 * many / (r.world * one), r.world, r.world,
               100 * (r.world * o.batch / r.alone.step_median) / (r.world * o.batch / first.alone.step_median));
    fmt::print("exposed communication at {} ranks: {:.1f}% of the step (target <= 10%)\n", r.world,
               100 * r.ddp.comm_share);
  }
  fmt::print("load average (1 min) during the runs: {}; the host has {} cores\n",
             fmt::join([&] {
               std::vector<std::string> l;
               for (const WorldResult& r : results) {
                 l.push_back(r.load);
               }
               return l;
             }(), ", "),
             std::thread::hardware_concurrency());
  fmt::print("reference (notes): PyTorch DDP, gloo, CPU, 1 rank of a 2-core machine: ~3,100 samples/s\n");
  return 0;
}

int run(BenchArgs& args) {
  Options o;
  CLI::App app("tessera bench train", "train");
  app.add_option("--ranks", o.ranks, "world sizes to run (each under mpirun)")->delimiter(',');
  app.add_option("--steps", o.steps, "timed steps per round and mode")->check(CLI::Range(1, 100000));
  app.add_option("--warmup", o.warmup, "untimed steps first")->check(CLI::Range(0, 1000));
  app.add_option("--rounds", o.rounds, "rounds of (ddp, no-comm)")->check(CLI::Range(1, 1000));
  app.add_option("--batch", o.batch, "samples per rank per step")->check(CLI::Range(1, 1000000));
  app.add_option("--threads", o.threads, "LibTorch threads per rank")->check(CLI::Range(1, 256));
  app.add_option("--bucket-mb", o.bucket_mb, "gradient bucket size (MB)");
  app.add_option("--data", o.data, "directory with fmnist-train-*.tar (default: converted into a temp dir)");
  app.add_flag("--worker", o.worker, "internal: measure this world size only");
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

void register_train_bench(BenchRegistry& registry) {
  registry.add({"train", "autoencoder DDP samples/s at 1 and 2 ranks vs the same model without communication", &run});
}

}  // namespace tessera::bench
