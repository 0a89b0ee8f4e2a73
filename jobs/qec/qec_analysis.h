#pragma once

// Analysis of a repetition-code sweep: per task the logical error probability
// per shot with its Wilson score interval, the per-round error
//   eps = (1 - (1 - 2 P_L)^(1/r)) / 2        (from P_L = (1 - (1 - 2 eps)^r) / 2),
// and per (basis, p, rounds, decoder) the suppression factor
//   Lambda = eps(d) / eps(d + 2)
// from a weighted log-linear fit ln eps = a + b d (Lambda = exp(-2 b)), with
// the uncertainty of the slope. Points with no logical error only give an
// upper bound and stay out of the fit. The plot draws eps against d on a log
// scale per group with error bars and the fitted line, like Fig. 2 of Google's
// "Exponential suppression of bit or phase flip errors" (Nature 2021).

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "jobs/sweep/task_record.h"

namespace tessera::jobs::qec {

struct Interval {
  double value = 0;
  double low = 0;
  double high = 0;
};

// Wilson score interval of errors/shots at z standard deviations (1.96: 95 %).
Interval wilson_interval(std::int64_t errors, std::int64_t shots, double z = 1.96);
// Per-round error from a per-shot error over `rounds` rounds (P_L >= 1/2 gives 1/2).
double per_round_error(double per_shot, std::int64_t rounds);

struct PointResult {
  int distance = 0;
  std::int64_t rounds = 0;
  std::string basis;
  std::string decoder;
  double p = -1;            // the common noise probability, -1 if the knobs differ
  std::string noise;        // the four knobs, for grouping
  std::int64_t shots = 0;
  std::int64_t errors = 0;
  Interval per_shot;        // P_L
  Interval per_round;       // eps
};

struct LambdaFit {
  std::string basis;
  std::string decoder;
  std::int64_t rounds = 0;
  double p = -1;
  std::string noise;
  std::vector<PointResult> points;  // by distance
  int fitted_points = 0;            // points with errors > 0
  double lambda = 0;                // 0 when fewer than two points could be fitted
  double lambda_sigma = 0;
  double intercept = 0;             // ln eps = intercept + slope d
  double slope = 0;
};

std::vector<PointResult> analyse_points(const std::vector<sweep::TaskRecord>& records);
std::vector<LambdaFit> fit_lambdas(const std::vector<PointResult>& points);

// A table of every point and every fit, for the log and analysis.txt.
std::string analysis_table(const std::vector<LambdaFit>& fits);
// The figure (PNG or SVG by extension). Throws IoError (gnuplot missing or failing).
void plot_epsilon_vs_distance(const std::vector<LambdaFit>& fits, const std::filesystem::path& output);

}  // namespace tessera::jobs::qec
