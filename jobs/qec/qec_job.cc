#include "jobs/qec/qec_job.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "jobs/qec/qec_analysis.h"
#include "jobs/qec/qec_kernel.h"
#include "jobs/sweep/sweep_engine.h"
#include "runtime/error.h"
#include "runtime/run_dir.h"

namespace tessera::jobs::qec {

void QecOptions::fields(config::Fields& f) {
  f("batch_shots", batch_shots, "shots simulated together by the frame simulator (multiple of 64)",
    config::Rule<int>{"must be a positive multiple of 64", [](const int& v) { return v > 0 && v % 64 == 0; }});
  f("plot", plot, "draw epsilon_vs_distance.png in the run directory at the end");
}

QecConfig::QecConfig() {
  sweep.max_shots = 10'000'000;
  sweep.max_errors = 1000;
  sweep.first_chunk_shots = 4096;
  sweep.max_chunk_shots = 1 << 20;
}

void QecConfig::fields(config::Fields& f) {
  static const QecKernel kValidator;  // describe() only: checks grid points while parsing
  sweep.kernel = &kValidator;
  f("sweep", sweep, "the parameter sweep: grid (distance, rounds, p or the four noise knobs, basis, decoder), "
                    "limits and chunking");
  f("qec", qec, "simulation and output options");
}

void QecJob::run(runtime::JobContext& context) {
  QecKernel kernel(static_cast<std::size_t>(config_.qec.batch_shots));
  sweep::SweepEngine engine(config_.sweep, kernel, context);
  std::vector<sweep::TaskRecord> records = engine.run();
  if (context.launch.rank != 0 || records.empty()) {
    return;
  }
  records.resize(std::min(records.size(), engine.tasks().size()));  // this grid's tasks
  const std::vector<LambdaFit> fits = fit_lambdas(analyse_points(records));
  const std::string table = analysis_table(fits);
  runtime::write_file_atomically(context.run_dir.root() / "analysis.txt", table);
  spdlog::info("qec analysis{}:\n{}", engine.stopped() ? " (so far; the sweep was stopped)" : "", table);
  if (config_.qec.plot) {
    const auto figure = context.run_dir.root() / "epsilon_vs_distance.png";
    try {
      plot_epsilon_vs_distance(fits, figure);
      spdlog::info("qec: figure {}", figure.string());
    } catch (const IoError& e) {
      spdlog::warn("qec: no figure: {}", e.what());
    }
  }
}

void register_qec(runtime::JobRegistry& registry) {
  registry.add<QecConfig, QecJob>("qec", "repetition-code memory sweeps: sampling, matching decoders, Lambda");
}

}  // namespace tessera::jobs::qec
