#include "tests/testing/test_jobs.h"

#include <thread>

#include <spdlog/spdlog.h>

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

}  // namespace

void register_test_jobs(runtime::JobRegistry& registry) {
  registry.add<CountConfig, CountJob>("test_count", "counts steps (test suite only)");
}

}  // namespace tessera::testing
