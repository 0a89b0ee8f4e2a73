#include "tests/testing/test_jobs.h"

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "runtime/error.h"
#include "runtime/progress.h"

namespace tessera::testing {
namespace {

struct CountConfig final : runtime::JobConfig {
  std::int64_t steps = 10;   // steps to count
  double increment = 1.0;    // added per step
  config::Seconds step_time{0};  // pause per step

  void fields(config::Fields& f) override {
    f("steps", steps, "steps to count", config::at_least<std::int64_t>(1));
    f("increment", increment, "added per step");
    f("step_time", step_time, "pause per step");
  }
};

class CountJob final : public runtime::Job {
 public:
  explicit CountJob(const CountConfig& config) : config_(config) {}

  void run(runtime::JobContext& context) override {
    runtime::Progress progress("step", config_.steps, context.spec.runtime.progress_every,
                               context.launch.rank == 0);
    double value = 0;
    for (std::int64_t step = 1; step <= config_.steps; ++step) {
      value += config_.increment;
      // Agree on the step across ranks (exercises the coordinator every step).
      std::int64_t slowest = context.coordinator.all_reduce_max(step);
      context.metrics.append(step, "value", value);
      context.metrics.append(step, "agreed_step", static_cast<double>(slowest));
      progress.update(step);
      std::this_thread::sleep_for(config_.step_time);
    }
    progress.finish(config_.steps);
    spdlog::info("counted to {}", value);
  }

 private:
  CountConfig config_;
};

struct StateConfig final : runtime::JobConfig {
  std::int64_t steps = 20;            // steps to run
  std::int64_t local_size = 1000;     // float64 elements of each rank's local array
  std::int64_t replicated_size = 1000;  // float32 elements of the replicated array
  std::int64_t shard_size = 1000;     // int64 elements of each rank's block of the shard array
  config::Seconds step_time{0};       // pause per step
  bool announce = false;              // print "test_state step N" to stdout on rank 0 per step

  void fields(config::Fields& f) override {
    f("steps", steps, "steps to run", config::at_least<std::int64_t>(1));
    f("local_size", local_size, "float64 elements of each rank's local array",
      config::at_least<std::int64_t>(0));
    f("replicated_size", replicated_size, "float32 elements of the replicated array",
      config::at_least<std::int64_t>(0));
    f("shard_size", shard_size, "int64 elements of each rank's block of the shard array",
      config::at_least<std::int64_t>(0));
    f("step_time", step_time, "pause per step");
    f("announce", announce, "print 'test_state step N' to stdout on rank 0 after each step");
  }
  std::vector<std::string> resume_may_change() const override { return {"steps", "step_time", "announce"}; }
};

// Arrays of every kind, updated from a per-rank RNG (local, shard) and an RNG
// shared by all ranks (replicated), as data-parallel training would.
class StateJob final : public runtime::Job {
 public:
  explicit StateJob(const StateConfig& config) : config_(config) {}

  void run(runtime::JobContext& ctx) override {
    const int rank = ctx.launch.rank;
    const int size = ctx.launch.size;
    local_.assign(static_cast<std::size_t>(config_.local_size), 0.0);
    replicated_.assign(static_cast<std::size_t>(config_.replicated_size), 0.0F);
    shard_.assign(static_cast<std::size_t>(config_.shard_size), 0);
    own_rng_.seed(ctx.spec.seed * 1000 + static_cast<std::uint64_t>(rank));
    shared_rng_.seed(ctx.spec.seed);
    std::int64_t step = 0;
    if (const runtime::Checkpoint* ckpt = ctx.checkpoints.resumed()) {
      if (!ckpt->same_world_size()) {
        throw ConfigError("test_state resumes only on the world size that wrote the checkpoint");
      }
      step = ckpt->step();
      ckpt->read("state/local", runtime::mutable_array_ref(std::span(local_)));
      ckpt->read("state/replicated", runtime::mutable_array_ref(std::span(replicated_)));
      ckpt->read_region("state/shard", runtime::mutable_array_ref(std::span(shard_)),
                        {rank * config_.shard_size});
      std::istringstream rng(*ckpt->rng_state());
      rng >> own_rng_ >> shared_rng_;
      consumed_ = std::stoll(*ckpt->blob("data/position"));
      spdlog::info("test_state resumed at step {}", step);
    }
    runtime::Progress progress("step", config_.steps, ctx.spec.runtime.progress_every, rank == 0);
    while (step < config_.steps) {
      update();
      ++step;
      ctx.metrics.append(step, "local_sum", sum(local_));
      const bool stop = ctx.stop.should_stop(step);
      if (stop || ctx.checkpoints.due(step) || step == config_.steps) {
        save(ctx, step, rank, size);
      }
      if (config_.announce && rank == 0) {
        std::printf("test_state step %lld\n", static_cast<long long>(step));
        std::fflush(stdout);
      }
      if (stop) {
        return;
      }
      progress.update(step);
      std::this_thread::sleep_for(config_.step_time);
    }
    progress.finish(step);
    write_final(ctx, rank);
  }

 private:
  void update() {
    std::uniform_real_distribution<double> uniform(-1.0, 1.0);
    for (double& x : local_) {
      x = 0.5 * x + uniform(own_rng_);
    }
    std::normal_distribution<float> normal(0.0F, 1.0F);
    for (float& x : replicated_) {
      x += 0.01F * normal(shared_rng_);
    }
    for (std::int64_t& x : shard_) {
      x += static_cast<std::int64_t>(own_rng_() % 1000);
    }
    consumed_ += 32;  // "samples" read per step
  }

  static double sum(const std::vector<double>& values) {
    double total = 0;
    for (double v : values) {
      total += v;
    }
    return total;
  }

  std::string rng_text() const {
    std::ostringstream out;
    out << own_rng_ << "\n" << shared_rng_;
    return out.str();
  }

  void save(runtime::JobContext& ctx, std::int64_t step, int rank, int size) {
    runtime::CheckpointState state(step);
    state.add_local("state/local", runtime::array_ref(std::span<const double>(local_)));
    state.add_replicated("state/replicated", runtime::array_ref(std::span<const float>(replicated_)));
    state.add_shard("state/shard", runtime::array_ref(std::span<const std::int64_t>(shard_)),
                    {size * config_.shard_size}, {rank * config_.shard_size});
    state.set_rng_state(rng_text());
    state.set_blob("data/position", std::to_string(consumed_));
    state.set_metadata("test_state", "1");
    ctx.checkpoints.save(std::move(state));
  }

  void write_final(runtime::JobContext& ctx, int rank) const {
    const std::filesystem::path dir = ctx.run_dir.root() / "final";
    std::filesystem::create_directories(dir);
    std::ofstream out(dir / fmt::format("rank-{:05d}.bin", rank), std::ios::binary);
    out.write(reinterpret_cast<const char*>(local_.data()), static_cast<std::streamsize>(local_.size() * sizeof(double)));
    out.write(reinterpret_cast<const char*>(replicated_.data()),
              static_cast<std::streamsize>(replicated_.size() * sizeof(float)));
    out.write(reinterpret_cast<const char*>(shard_.data()),
              static_cast<std::streamsize>(shard_.size() * sizeof(std::int64_t)));
    out << rng_text() << "\n" << consumed_ << "\n";
  }

  StateConfig config_;
  std::vector<double> local_;
  std::vector<float> replicated_;
  std::vector<std::int64_t> shard_;
  std::mt19937_64 own_rng_;
  std::mt19937_64 shared_rng_;
  std::int64_t consumed_ = 0;
};

}  // namespace

void register_test_jobs(runtime::JobRegistry& registry) {
  registry.add<CountConfig, CountJob>("test_count", "counts steps (test suite only)");
  registry.add<StateConfig, StateJob>("test_state",
                                      "updates real arrays with RNGs; checkpoints and resumes them "
                                      "(test suite only)");
}

}  // namespace tessera::testing
