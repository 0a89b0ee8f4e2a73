#include "jobs/layerwise/layerwise_analysis.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "runtime/error.h"
#include "runtime/plot/gnuplot.h"

namespace tessera::jobs::layerwise {
namespace {

std::vector<double> values_of(const sweep::TaskRecord& r, const char* name) {
  auto it = r.total.arrays.find(name);
  return it == r.total.arrays.end() ? std::vector<double>{} : it->second.values;
}

std::string lr_text(double lr) {
  return fmt::format("{:g}", lr);
}

}  // namespace

std::vector<RunResult> read_runs(const std::vector<sweep::TaskRecord>& records) {
  std::vector<RunResult> out;
  for (const sweep::TaskRecord& r : records) {
    if (!r.params.is_object() || !r.params.contains("strategy") || !r.params.contains("lr")) {
      continue;
    }
    RunResult run;
    run.strategy = r.params.at("strategy").get<std::string>();
    run.lr = r.params.at("lr").get<double>();
    run.shots = r.params.value("shots", std::int64_t{0});
    run.seed = r.params.value("seed", std::uint64_t{0});
    run.test_error = values_of(r, "test_error");
    run.test_error_exact = values_of(r, "test_error_exact");
    run.executions = values_of(r, "executions");
    run.finished = r.finished && !run.test_error.empty();
    out.push_back(std::move(run));
  }
  return out;
}

std::vector<ConfigSummary> summarize(
    const std::vector<RunResult>& runs, double success_threshold, double sampling_rate_hz) {
  // Key: shots, lr, strategy order (ll first).
  std::map<std::tuple<std::int64_t, double, int>, std::vector<const RunResult*>> groups;
  for (const RunResult& r : runs) {
    if (r.finished) {
      groups[{r.shots, r.lr, r.strategy == "ll" ? 0 : 1}].push_back(&r);
    }
  }
  std::vector<ConfigSummary> out;
  for (const auto& [key, members] : groups) {
    ConfigSummary s;
    s.shots = std::get<0>(key);
    s.lr = std::get<1>(key);
    s.strategy = members.front()->strategy;
    s.runs = static_cast<int>(members.size());
    const double seconds_per_execution = static_cast<double>(s.shots) / sampling_rate_hz;
    double success_sum = 0;
    std::size_t longest = 0;
    for (const RunResult* r : members) {
      const double final_error = r->test_error.back();
      s.mean_error_all += final_error / s.runs;
      s.mean_error_exact_all +=
          (r->test_error_exact.empty() ? 0.0 : r->test_error_exact.back()) / s.runs;
      const double executions = r->executions.empty() ? 0.0 : r->executions.back();
      s.mean_executions += executions / s.runs;
      s.mean_wall_clock_s += executions * seconds_per_execution / s.runs;
      if (final_error < success_threshold) {
        ++s.successes;
        success_sum += final_error;
      }
      longest = std::max(longest, r->test_error.size());
    }
    s.mean_error_successes =
        s.successes > 0 ? success_sum / s.successes : std::numeric_limits<double>::quiet_NaN();
    for (std::size_t i = 0; i < longest; ++i) {
      double error = 0, wall = 0;
      int n = 0;
      for (const RunResult* r : members) {
        if (i < r->test_error.size() && i < r->executions.size()) {
          error += r->test_error[i];
          wall += r->executions[i] * seconds_per_execution;
          ++n;
        }
      }
      if (n > 0) {
        s.curve_test_error.push_back(error / n);
        s.curve_wall_clock_s.push_back(wall / n);
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::string summary_table(
    const std::vector<ConfigSummary>& summaries,
    double success_threshold,
    double sampling_rate_hz) {
  std::string out = fmt::format(
      "success: final test error < {:g}; wall-clock = circuit executions x shots / {:g} Hz "
      "(training only)\n",
      success_threshold,
      sampling_rate_hz);
  out += fmt::format(
      "{:<8} {:>6} {:>5} {:>5} {:>9} {:>14} {:>12} {:>12} {:>14} {:>12}\n",
      "strategy",
      "lr",
      "shots",
      "runs",
      "successes",
      "err(success)",
      "err(all)",
      "exact(all)",
      "wall-clock s",
      "executions");
  for (const ConfigSummary& s : summaries) {
    out += fmt::format(
        "{:<8} {:>6} {:>5} {:>5} {:>9} {:>14} {:>12.4f} {:>12.4f} {:>14.1f} {:>12.4g}\n",
        s.strategy,
        lr_text(s.lr),
        s.shots,
        s.runs,
        s.successes,
        std::isnan(s.mean_error_successes) ? std::string("-")
                                           : fmt::format("{:.4f}", s.mean_error_successes),
        s.mean_error_all,
        s.mean_error_exact_all,
        s.mean_wall_clock_s,
        s.mean_executions);
  }
  // LL against CDL at each (shots, lr).
  std::string diff;
  for (const ConfigSummary& ll : summaries) {
    if (ll.strategy != "ll") {
      continue;
    }
    for (const ConfigSummary& cdl : summaries) {
      if (cdl.strategy == "cdl" && cdl.lr == ll.lr && cdl.shots == ll.shots) {
        diff += fmt::format(
            "  lr {:<6} shots {:<4}: successes LL {}/{} vs CDL {}/{} ({:+d}); mean final error of "
            "successes LL {} vs "
            "CDL {}; of all runs LL {:.4f} vs CDL {:.4f}\n",
            lr_text(ll.lr),
            ll.shots,
            ll.successes,
            ll.runs,
            cdl.successes,
            cdl.runs,
            ll.successes - cdl.successes,
            std::isnan(ll.mean_error_successes) ? std::string("-")
                                                : fmt::format("{:.4f}", ll.mean_error_successes),
            std::isnan(cdl.mean_error_successes) ? std::string("-")
                                                 : fmt::format("{:.4f}", cdl.mean_error_successes),
            ll.mean_error_all,
            cdl.mean_error_all);
      }
    }
  }
  if (!diff.empty()) {
    out += "LL vs CDL:\n" + diff;
  }
  return out;
}

void plot_test_error_vs_wallclock(
    const std::vector<ConfigSummary>& summaries, const std::filesystem::path& output) {
  runtime::Gnuplot plot;
  std::string lines;
  // One colour per learning rate; LL solid, CDL dashed.
  std::vector<double> rates;
  for (const ConfigSummary& s : summaries) {
    if (std::find(rates.begin(), rates.end(), s.lr) == rates.end()) {
      rates.push_back(s.lr);
    }
  }
  static const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"};
  for (std::size_t i = 0; i < summaries.size(); ++i) {
    const ConfigSummary& s = summaries[i];
    std::vector<std::vector<double>> rows;
    for (std::size_t j = 0; j < s.curve_test_error.size(); ++j) {
      rows.push_back({s.curve_wall_clock_s[j], s.curve_test_error[j]});
    }
    const std::string name = fmt::format("c{}", i);
    plot.add_data(name, rows);
    const std::size_t color =
        static_cast<std::size_t>(std::find(rates.begin(), rates.end(), s.lr) - rates.begin()) %
        std::size(kColors);
    lines += fmt::format(
        "{}${} using 1:2 with lines lw 2 dt {} lc rgb '{}' title '{} lr={} ({} shots): {}/{} runs "
        "succeed'",
        lines.empty() ? "" : ", \\\n  ",
        name,
        s.strategy == "ll" ? 1 : 2,
        kColors[color],
        s.strategy == "ll" ? "LL" : "CDL",
        lr_text(s.lr),
        s.shots,
        s.successes,
        s.runs);
  }
  if (lines.empty()) {
    throw IoError("no finished runs to plot");
  }
  plot.render(
      output,
      "set xlabel 'estimated wall-clock on hardware (s): executions x shots / sampling rate'\n"
      "set ylabel 'mean test error'\n"
      "set title 'Layerwise learning (LL, solid) vs complete-depth learning (CDL, dashed)'\n"
      "set key outside right top vertical font ',9'\n"
      "set grid\n"
      "set yrange [0:0.7]\n"
      "plot " +
          lines + "\n",
      1200,
      600);
}

}  // namespace tessera::jobs::layerwise
