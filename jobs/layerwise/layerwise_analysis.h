#pragma once

// The summary of a layerwise sweep, as the paper's figure reports it: per
// configuration (strategy, learning rate, shots) the number of runs whose
// final test error is below the success threshold (0.5: better than
// guessing), the mean final test error of those runs, and the estimated
// wall-clock time on hardware,
//   circuit executions x shots / sampling rate (10 kHz),
// of one run's training. And the figure: mean test error against estimated
// wall-clock per configuration.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "jobs/sweep/task_record.h"

namespace tessera::jobs::layerwise {

// One run, read back from its task record.
struct RunResult {
  std::string strategy;
  double lr = 0;
  std::int64_t shots = 0;
  std::uint64_t seed = 0;
  std::vector<double> test_error;  // per evaluation (0: untrained)
  std::vector<double> test_error_exact;
  std::vector<double> executions;  // cumulative circuit executions
  bool finished = false;
};

struct ConfigSummary {
  std::string strategy;
  double lr = 0;
  std::int64_t shots = 0;
  int runs = 0;                     // finished runs
  int successes = 0;                // final test error < threshold
  double mean_error_successes = 0;  // mean final test error of the successful runs (NaN: none)
  double mean_error_all = 0;        // mean final test error of every run
  double mean_error_exact_all = 0;  // the same with exact <Z> predictions
  double mean_wall_clock_s = 0;     // estimated hardware time of one run's training
  double mean_executions = 0;       // circuit executions of one run's training
  // The mean curve: at each evaluation index, the mean over runs that reached it.
  std::vector<double> curve_wall_clock_s;
  std::vector<double> curve_test_error;
};

std::vector<RunResult> read_runs(const std::vector<sweep::TaskRecord>& records);

// Configurations in order: by shots, learning rate, then ll before cdl.
std::vector<ConfigSummary> summarize(
    const std::vector<RunResult>& runs, double success_threshold, double sampling_rate_hz);

// The table for the log and analysis.txt, with LL - CDL differences per
// learning rate where both strategies ran.
std::string summary_table(
    const std::vector<ConfigSummary>& summaries, double success_threshold, double sampling_rate_hz);

// test_error_vs_wallclock.png / .svg. Throws IoError (gnuplot missing or failing).
void plot_test_error_vs_wallclock(
    const std::vector<ConfigSummary>& summaries, const std::filesystem::path& output);

}  // namespace tessera::jobs::layerwise
