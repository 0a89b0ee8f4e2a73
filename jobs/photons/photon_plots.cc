#include "jobs/photons/photon_plots.h"

#include <algorithm>
#include <map>
#include <numbers>
#include <set>

#include <fmt/format.h>

#include "runtime/plot/gnuplot.h"

namespace tessera::jobs::photons {
namespace {

constexpr std::size_t kMaxPanels = 8;

// File-name-safe: letters, digits, '-' and '_'.
std::string safe(const std::string& name) {
  std::string out;
  for (char c : name) {
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
  }
  return out;
}

std::filesystem::path plot_occupation(const std::string& geometry, int photons,
                                      std::vector<const PlottedTask*> tasks, const std::filesystem::path& dir) {
  std::sort(tasks.begin(), tasks.end(), [](auto* a, auto* b) { return a->phi < b->phi; });
  std::vector<const PlottedTask*> shown;
  for (std::size_t i = 0; i < kMaxPanels && i < tasks.size(); ++i) {
    shown.push_back(tasks[tasks.size() <= kMaxPanels ? i : i * (tasks.size() - 1) / (kMaxPanels - 1)]);
  }
  runtime::Gnuplot plot;
  std::string script = "set xlabel 'site'; set ylabel 'cycle'; set cblabel '<n_j>'\n"
                       "set palette defined (0 'white', 0.3 '#6baed6', 1 '#08306b'); set cbrange [0:1]\n";
  const int columns = shown.size() > 4 ? 4 : static_cast<int>(shown.size());
  const int rows = static_cast<int>((shown.size() + 3) / 4);
  script += fmt::format("set multiplot layout {},{} title '{} photons, {}'\n", rows, columns, photons, geometry);
  for (std::size_t p = 0; p < shown.size(); ++p) {
    const PlottedTask& t = *shown[p];
    std::vector<std::vector<double>> data;
    for (int c = 0; c <= t.cycles; ++c) {
      for (int j = 0; j < t.sites; ++j) {
        data.push_back({static_cast<double>(j), static_cast<double>(c),
                        t.occupation[static_cast<std::size_t>(c * t.sites + j)]});
      }
      data.push_back({});
    }
    const std::string name = fmt::format("occ{}", p);
    plot.add_data(name, data);
    script += fmt::format(
        "set title 'φ = {:.3f} ({:.2f}π)'\nset xrange [-0.5:{}.5]; set yrange [-0.5:{}.5]\n"
        "plot ${} using 1:2:3 with image notitle\n",
        t.phi, t.phi / std::numbers::pi, t.sites - 1, t.cycles, name);
  }
  script += "unset multiplot\n";
  const std::filesystem::path out = dir / fmt::format("occupation_{}_n{}.png", safe(geometry), photons);
  plot.render(out, script, 420 * columns, 380 * rows + 40);
  return out;
}

std::filesystem::path plot_bound(const std::string& geometry, const std::vector<const PlottedTask*>& tasks,
                                 const std::filesystem::path& dir) {
  std::map<int, std::vector<std::pair<double, double>>> curves;  // photons -> (phi, bound)
  for (const PlottedTask* t : tasks) {
    curves[t->photons].emplace_back(t->phi, late_bound_probability(t->bound));
  }
  runtime::Gnuplot plot;
  std::string script = fmt::format(
      "set xlabel 'φ (rad)'; set ylabel 'bound probability (mean over the second half of the cycles)'\n"
      "set yrange [0:1.05]; set key outside right; set grid\nset title 'bound states, {}'\nplot ",
      geometry);
  bool first = true;
  for (auto& [photons, points] : curves) {
    std::sort(points.begin(), points.end());
    std::vector<std::vector<double>> rows;
    for (auto [phi, p] : points) {
      rows.push_back({phi, p});
    }
    const std::string name = fmt::format("n{}", photons);
    plot.add_data(name, rows);
    script += fmt::format("{}${} using 1:2 with linespoints title 'n = {}'", first ? "" : ", ", name, photons);
    first = false;
  }
  const std::filesystem::path out = dir / fmt::format("bound_vs_phi_{}.png", safe(geometry));
  plot.render(out, script);
  return out;
}

}  // namespace

double late_bound_probability(const std::vector<double>& bound) {
  if (bound.empty()) {
    return 0;
  }
  const std::size_t from = (bound.size() - 1) / 2;
  double sum = 0;
  for (std::size_t c = from; c < bound.size(); ++c) {
    sum += bound[c];
  }
  return sum / static_cast<double>(bound.size() - from);
}

std::vector<std::filesystem::path> plot_photons(const std::vector<PlottedTask>& tasks,
                                                const std::filesystem::path& dir) {
  std::map<std::string, std::map<int, std::vector<const PlottedTask*>>> by_geometry;
  for (const PlottedTask& t : tasks) {
    by_geometry[t.geometry][t.photons].push_back(&t);
  }
  std::vector<std::filesystem::path> written;
  for (const auto& [geometry, by_photons] : by_geometry) {
    std::vector<const PlottedTask*> all;
    for (const auto& [photons, list] : by_photons) {
      written.push_back(plot_occupation(geometry, photons, list, dir));
      all.insert(all.end(), list.begin(), list.end());
    }
    written.push_back(plot_bound(geometry, all, dir));
  }
  return written;
}

}  // namespace tessera::jobs::photons
