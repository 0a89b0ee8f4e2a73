#pragma once

// Figures of runs' metrics: each series of metrics.h5 against step and
// against wall-clock time, several runs overlaid. What `tessera plot` draws,
// and what jobs call to put figures into their run directories.
//
//   plot_runs({"runs/bp", "runs/locoprop-m"}, {.out_dir = "runs/compare", .metrics = {"loss"}});
//   // -> runs/compare/loss.png: two panels (vs step, vs time), one line per run

#include <filesystem>
#include <string>
#include <vector>

#include "runtime/metrics_writer.h"

namespace tessera::runtime {

struct RunPlotOptions {
  std::filesystem::path out_dir;      // where figures go (created if needed)
  std::vector<std::string> metrics;   // series to draw; empty: every series of any run
  std::string format = "png";         // png|svg
  bool log_y = false;                 // logarithmic value axis
  std::string x = "both";             // step|time|both: panels of each figure
};

// One line of a figure: a run's series and its legend label.
struct LabelledSeries {
  std::string label;
  MetricSeries series;
};

// Draws `metric` of several runs into `output` (.png or .svg). Time is shown
// in seconds since each run's first row. Throws IoError (gnuplot missing or
// failing).
void render_metric_figure(const std::filesystem::path& output, const std::string& metric,
                          const std::vector<LabelledSeries>& runs, const RunPlotOptions& options);

// Draws one figure per metric for the runs in `run_dirs` (each holding a
// metrics.h5) and returns the files written. Runs are labelled by their
// directory names. Throws IoError for a run without metrics, a metric no run
// has, or a missing gnuplot (with the package to install).
std::vector<std::filesystem::path> plot_runs(const std::vector<std::filesystem::path>& run_dirs,
                                             const RunPlotOptions& options);

// "test/loss" -> "test-loss": a metric name as a file name.
std::string metric_file_stem(const std::string& metric);

}  // namespace tessera::runtime
