#include "jobs/layerwise/layerwise_job.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "jobs/layerwise/layerwise_analysis.h"
#include "jobs/layerwise/layerwise_kernel.h"
#include "jobs/sweep/sweep_engine.h"
#include "runtime/error.h"
#include "runtime/run_dir.h"

namespace tessera::jobs::layerwise {

LayerwiseJobConfig::LayerwiseJobConfig() {
  sweep.max_shots = 1;
  sweep.first_chunk_shots = 1;
  sweep.max_chunk_shots = 1;
}

void LayerwiseJobConfig::fields(config::Fields& f) {
  f("data", data, "the two Fashion-MNIST classes, image size, encoding and set sizes");
  f("model", model, "the circuit (depth, readout), loss, shots per expectation and precision");
  f("train", train, "Adam, batch size, and the analysis' sampling rate and success threshold");
  f("ll", ll, "layerwise learning's schedule (phase 1 growth, phase 2 partition sweeps)");
  f("cdl", cdl, "complete-depth learning's schedule");
  f("layerwise", layerwise, "output options");
  // Grid points are checked with a kernel built from the sections above
  // (fields are visited in order, so they are parsed by now).
  validator_ = std::make_shared<const LayerwiseKernel>(LayerwiseSetup{data, model, train, ll, cdl});
  sweep.kernel = validator_.get();
  f("sweep", sweep, "the runs: grid over strategy (ll, cdl), lr, seed (the circuit) and shots");
}

void LayerwiseJob::run(runtime::JobContext& context) {
  LayerwiseKernel kernel(
      LayerwiseSetup{config_.data, config_.model, config_.train, config_.ll, config_.cdl});
  sweep::SweepEngine engine(config_.sweep, kernel, context);
  std::vector<sweep::TaskRecord> records = engine.run();
  if (context.launch.rank != 0 || records.empty()) {
    return;
  }
  records.resize(std::min(records.size(), engine.tasks().size()));  // this grid's tasks
  const std::vector<ConfigSummary> summaries = summarize(
      read_runs(records), config_.train.success_threshold, config_.train.sampling_rate_hz);
  const std::string table =
      summary_table(summaries, config_.train.success_threshold, config_.train.sampling_rate_hz);
  runtime::write_file_atomically(context.run_dir.root() / "analysis.txt", table);
  spdlog::info(
      "layerwise analysis{}:\n{}",
      engine.stopped() ? " (so far; the sweep was stopped)" : "",
      table);
  if (config_.layerwise.plot && !summaries.empty()) {
    const auto figure = context.run_dir.root() / "test_error_vs_wallclock.png";
    try {
      plot_test_error_vs_wallclock(summaries, figure);
      spdlog::info("layerwise: figure {}", figure.string());
    } catch (const IoError& e) {
      spdlog::warn("layerwise: no figure: {}", e.what());
    }
  }
}

void register_layerwise(runtime::JobRegistry& registry) {
  registry.add<LayerwiseJobConfig, LayerwiseJob>(
      "layerwise",
      "layerwise learning vs complete-depth learning of quantum neural networks under shot noise");
}

}  // namespace tessera::jobs::layerwise
