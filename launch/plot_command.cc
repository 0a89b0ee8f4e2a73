// tessera plot RUN_DIR [RUN_DIR ...]: figures of the runs' metrics.

#include <memory>

#include <fmt/format.h>

#include "launch/cli.h"
#include "runtime/plot/run_plots.h"

namespace tessera::launch {
namespace {

struct PlotOptions {
  std::vector<std::string> run_dirs;
  std::string out;
  std::vector<std::string> metrics;
  bool svg = false;
  bool log_y = false;
  std::string x = "both";
};

int plot(const PlotOptions& options) {
  runtime::RunPlotOptions o;
  std::vector<std::filesystem::path> dirs(options.run_dirs.begin(), options.run_dirs.end());
  // One run: its own plots/ folder. Several: plots/ here, unless told.
  o.out_dir = !options.out.empty() ? std::filesystem::path(options.out)
              : dirs.size() == 1   ? dirs.front() / "plots"
                                   : std::filesystem::path("plots");
  o.metrics = options.metrics;
  o.format = options.svg ? "svg" : "png";
  o.log_y = options.log_y;
  o.x = options.x;
  for (const std::filesystem::path& file : runtime::plot_runs(dirs, o)) {
    fmt::print("{}\n", file.string());
  }
  return kExitOk;
}

}  // namespace

void add_plot_command(CLI::App& app, Cli& cli) {
  auto options = std::make_shared<PlotOptions>();
  CLI::App* command = app.add_subcommand(
      "plot", "Draw the runs' metrics vs step and vs time (several runs overlaid) with gnuplot");
  command->add_option("run_dirs", options->run_dirs, "run directories (each with a metrics.h5)")
      ->required()
      ->check(CLI::ExistingDirectory);
  command->add_option("-o,--out", options->out,
                      "folder for the figures (default: RUN_DIR/plots for one run, ./plots for several)");
  command->add_option("-m,--metric", options->metrics, "a metric to draw (repeat; default: all)");
  command->add_flag("--svg", options->svg, "SVG instead of PNG");
  command->add_flag("--log-y", options->log_y, "logarithmic value axis");
  command->add_option("--x", options->x, "panels: step, time or both")
      ->check(CLI::IsMember({"step", "time", "both"}));
  command->callback([&cli, options] { cli.action = [options] { return plot(*options); }; });
}

}  // namespace tessera::launch
