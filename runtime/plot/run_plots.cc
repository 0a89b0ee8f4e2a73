#include "runtime/plot/run_plots.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/error.h"
#include "runtime/plot/gnuplot.h"

namespace tessera::runtime {
namespace {

// A gnuplot string literal (double quotes, backslashes escaped).
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  return out + "\"";
}

std::string panel(const std::vector<LabelledSeries>& runs, int x_column, const std::string& x_label,
                  const std::string& metric) {
  std::string script = fmt::format("set xlabel {}\nset ylabel {} noenhanced\nplot ", quoted(x_label),
                                   quoted(metric));
  for (std::size_t i = 0; i < runs.size(); ++i) {
    script += fmt::format("{}$run{} using {}:2 with lines lw 2 title {} noenhanced", i == 0 ? "" : ", ", i,
                          x_column, quoted(runs[i].label));
  }
  return script + "\n";
}

}  // namespace

std::string metric_file_stem(const std::string& metric) {
  std::string stem = metric;
  std::replace(stem.begin(), stem.end(), '/', '-');
  return stem;
}

void render_metric_figure(const std::filesystem::path& output, const std::string& metric,
                          const std::vector<LabelledSeries>& runs, const RunPlotOptions& options) {
  Gnuplot plot;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const MetricSeries& s = runs[i].series;
    std::vector<std::vector<double>> rows;
    const double t0 = s.times.empty() ? 0.0 : s.times.front();
    for (std::size_t j = 0; j < s.steps.size(); ++j) {
      rows.push_back({static_cast<double>(s.steps[j]), s.values[j], s.times[j] - t0});
    }
    plot.add_data(fmt::format("run{}", i), rows);
  }
  const bool both = options.x == "both";
  std::string script = "set grid\nset key top right\n";
  if (options.log_y) {
    script += "set logscale y\n";
  }
  if (both) {
    script += fmt::format("set multiplot layout 1,2 title {} noenhanced\n", quoted(metric));
  } else {
    script += fmt::format("set title {} noenhanced\n", quoted(metric));
  }
  if (options.x != "time") {
    script += panel(runs, 1, "step", metric);
  }
  if (options.x != "step") {
    script += panel(runs, 3, "time (s)", metric);
  }
  if (both) {
    script += "unset multiplot\n";
  }
  plot.render(output, script, both ? 1400 : 900, 560);
}

std::vector<std::filesystem::path> plot_runs(const std::vector<std::filesystem::path>& run_dirs,
                                             const RunPlotOptions& options) {
  if (options.format != "png" && options.format != "svg") {
    throw IoError(fmt::format("plot format '{}' (must be png or svg)", options.format));
  }
  if (!Gnuplot::available()) {
    throw IoError("tessera plot needs gnuplot: apt-get install gnuplot-nox (or run scripts/setup.sh)");
  }
  std::vector<std::set<std::string>> names;
  std::vector<std::string> all;
  for (const std::filesystem::path& dir : run_dirs) {
    const std::filesystem::path file = dir / "metrics.h5";
    if (!std::filesystem::exists(file)) {
      throw IoError(fmt::format("{}: no metrics.h5 (is it a run directory?)", dir.string()));
    }
    std::vector<std::string> listed = list_metrics(file);
    names.emplace_back(listed.begin(), listed.end());
    for (const std::string& name : listed) {
      if (std::find(all.begin(), all.end(), name) == all.end()) {
        all.push_back(name);
      }
    }
  }
  const std::vector<std::string>& metrics = options.metrics.empty() ? all : options.metrics;
  std::filesystem::create_directories(options.out_dir);
  std::vector<std::filesystem::path> written;
  for (const std::string& metric : metrics) {
    std::vector<LabelledSeries> runs;
    for (std::size_t i = 0; i < run_dirs.size(); ++i) {
      if (names[i].count(metric) != 0) {
        std::string label = std::filesystem::absolute(run_dirs[i]).lexically_normal().filename().string();
        if (label.empty()) {
          label = std::filesystem::absolute(run_dirs[i]).lexically_normal().parent_path().filename().string();
        }
        runs.push_back({label, read_metric(run_dirs[i] / "metrics.h5", metric)});
      }
    }
    if (runs.empty()) {
      throw IoError(fmt::format("no run has a metric '{}' (they have: {})", metric, fmt::join(all, ", ")));
    }
    std::filesystem::path output = options.out_dir / (metric_file_stem(metric) + "." + options.format);
    render_metric_figure(output, metric, runs, options);
    written.push_back(output);
  }
  return written;
}

}  // namespace tessera::runtime
