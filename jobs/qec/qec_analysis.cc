#include "jobs/qec/qec_analysis.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "runtime/plot/gnuplot.h"

namespace tessera::jobs::qec {

Interval wilson_interval(std::int64_t errors, std::int64_t shots, double z) {
  if (shots <= 0) {
    return {0, 0, 1};
  }
  const double n = static_cast<double>(shots);
  const double p = static_cast<double>(errors) / n;
  const double z2 = z * z;
  const double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  return {p, std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

double per_round_error(double per_shot, std::int64_t rounds) {
  if (per_shot >= 0.5) {
    return 0.5;
  }
  // -expm1(log1p(-2P) / r) / 2 keeps precision when P is tiny.
  return -std::expm1(std::log1p(-2 * per_shot) / static_cast<double>(rounds)) / 2;
}

std::vector<PointResult> analyse_points(const std::vector<sweep::TaskRecord>& records) {
  std::vector<PointResult> out;
  for (const sweep::TaskRecord& r : records) {
    const nlohmann::json& m = r.params;
    if (!m.contains("distance") || !m.contains("rounds")) {
      continue;
    }
    PointResult p;
    p.distance = m["distance"].get<int>();
    p.rounds = m["rounds"].get<std::int64_t>();
    p.basis = m.value("basis", "z");
    p.decoder = m.value("decoder", "mwpm");
    p.p = m.contains("p") ? m["p"].get<double>() : -1;
    p.noise = fmt::format("{}/{}/{}/{}", m.value("after_clifford_depolarization", 0.0),
                          m.value("before_measure_flip_probability", 0.0),
                          m.value("after_reset_flip_probability", 0.0),
                          m.value("before_round_data_depolarization", 0.0));
    p.shots = r.total.counts.shots;
    p.errors = r.total.counts.errors;
    p.per_shot = wilson_interval(p.errors, p.shots);
    p.per_round = {per_round_error(p.per_shot.value, p.rounds), per_round_error(p.per_shot.low, p.rounds),
                   per_round_error(p.per_shot.high, p.rounds)};
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<LambdaFit> fit_lambdas(const std::vector<PointResult>& points) {
  std::map<std::tuple<std::string, std::string, std::int64_t, std::string>, LambdaFit> groups;
  for (const PointResult& p : points) {
    LambdaFit& f = groups[{p.basis, p.noise, p.rounds, p.decoder}];
    f.basis = p.basis;
    f.decoder = p.decoder;
    f.rounds = p.rounds;
    f.p = p.p;
    f.noise = p.noise;
    f.points.push_back(p);
  }
  std::vector<LambdaFit> fits;
  for (auto& [key, f] : groups) {
    std::sort(f.points.begin(), f.points.end(),
              [](const PointResult& a, const PointResult& b) { return a.distance < b.distance; });
    // Weighted least squares of ln eps on d; sigma of ln eps from the interval.
    double sw = 0, sx = 0, sy = 0;
    std::vector<std::tuple<double, double, double>> xyw;
    for (const PointResult& p : f.points) {
      if (p.errors == 0 || p.per_round.value <= 0 || p.per_round.value >= 0.5) {
        continue;
      }
      const double sigma = (std::log(p.per_round.high) - std::log(std::max(p.per_round.low, 1e-300))) / (2 * 1.96);
      const double w = sigma > 0 ? 1 / (sigma * sigma) : 1;
      xyw.emplace_back(p.distance, std::log(p.per_round.value), w);
      sw += w;
      sx += w * p.distance;
      sy += w * std::log(p.per_round.value);
    }
    f.fitted_points = static_cast<int>(xyw.size());
    if (xyw.size() >= 2) {
      const double mx = sx / sw;
      const double my = sy / sw;
      double sxx = 0, sxy = 0;
      for (const auto& [x, y, w] : xyw) {
        sxx += w * (x - mx) * (x - mx);
        sxy += w * (x - mx) * (y - my);
      }
      if (sxx > 0) {
        f.slope = sxy / sxx;
        f.intercept = my - f.slope * mx;
        f.lambda = std::exp(-2 * f.slope);
        f.lambda_sigma = 2 * f.lambda / std::sqrt(sxx);
      }
    }
    fits.push_back(std::move(f));
  }
  return fits;
}

std::string analysis_table(const std::vector<LambdaFit>& fits) {
  std::string out;
  for (const LambdaFit& f : fits) {
    out += fmt::format("basis {} | {} | rounds {} | decoder {}", f.basis,
                       f.p >= 0 ? fmt::format("p {}", f.p) : "noise " + f.noise, f.rounds, f.decoder);
    out += f.fitted_points >= 2 ? fmt::format(" | Lambda {:.3g} +- {:.2g} ({} points)\n", f.lambda, f.lambda_sigma,
                                              f.fitted_points)
                                : std::string(" | Lambda: needs two distances with errors\n");
    out += fmt::format("  {:>4} {:>14} {:>10} {:>11} {:>23} {:>11} {:>23}\n", "d", "shots", "errors", "P_L",
                       "P_L 95%", "eps", "eps 95%");
    for (const PointResult& p : f.points) {
      out += fmt::format("  {:>4} {:>14} {:>10} {:>11.4g} [{:>9.3g}, {:>9.3g}] {:>11.4g} [{:>9.3g}, {:>9.3g}]\n",
                         p.distance, p.shots, p.errors, p.per_shot.value, p.per_shot.low, p.per_shot.high,
                         p.per_round.value, p.per_round.low, p.per_round.high);
    }
  }
  return out;
}

void plot_epsilon_vs_distance(const std::vector<LambdaFit>& fits, const std::filesystem::path& output) {
  runtime::Gnuplot plot;
  std::string commands;
  int i = 0;
  int max_d = 2;
  for (const LambdaFit& f : fits) {
    std::vector<std::vector<double>> rows;
    for (const PointResult& p : f.points) {
      max_d = std::max(max_d, p.distance);
      if (p.errors > 0) {
        rows.push_back({static_cast<double>(p.distance), p.per_round.value, p.per_round.low, p.per_round.high});
      } else {  // an upper bound: drawn at the bound, no lower bar
        rows.push_back({static_cast<double>(p.distance), p.per_round.high, p.per_round.high * 0.999,
                        p.per_round.high});
      }
    }
    const std::string name = fmt::format("g{}", i);
    plot.add_data(name, rows);
    const std::string title = fmt::format("{} basis, {}, r={}, {}{}", f.basis,
                                          f.p >= 0 ? fmt::format("p={}", f.p) : std::string("mixed noise"),
                                          f.rounds, f.decoder,
                                          f.fitted_points >= 2 ? fmt::format(" ({{/Symbol L}}={:.3g}±{:.2g})",
                                                                             f.lambda, f.lambda_sigma)
                                                               : std::string());
    commands += fmt::format("{}${} using 1:2:3:4 with yerrorbars lc {} pt 7 title \"{}\"", commands.empty() ? "" : ", ",
                            name, i + 1, title);
    if (f.fitted_points >= 2) {
      commands += fmt::format(", exp({} + {}*x) with lines lc {} dt 2 notitle", f.intercept, f.slope, i + 1);
    }
    ++i;
  }
  if (commands.empty()) {
    return;
  }
  plot.render(output, fmt::format(R"(
set title "Repetition-code memory: logical error per round vs code distance"
set xlabel "code distance d"
set ylabel "logical error per round {{/Symbol e}}"
set logscale y
set format y "10^{{%L}}"
set grid
set key outside right top vertical font ",9"
set xrange [1.5:{}]
set xtics 2
plot {})",
                                  max_d + 0.5, commands),
              1200, 650);
}

}  // namespace tessera::jobs::qec
