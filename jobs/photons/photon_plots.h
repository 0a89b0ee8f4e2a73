#pragma once

// The photons job's figures, drawn with gnuplot into the run directory:
//   occupation_<geometry>_n<n>.png   <n_j> over site x cycle, one panel per φ
//                                    (up to 8, evenly spaced over the sweep)
//   bound_vs_phi_<geometry>.png      the bound probability, averaged over the
//                                    second half of the cycles, against φ,
//                                    one curve per photon number

#include <filesystem>
#include <string>
#include <vector>

namespace tessera::jobs::photons {

struct PlottedTask {
  std::string geometry;
  int photons = 0;
  double phi = 0;
  int sites = 0;
  int cycles = 0;
  std::vector<double> occupation;   // (cycles + 1) x sites
  std::vector<double> bound;        // cycles + 1
};

// Writes the figures for `tasks` into `dir` and returns their paths. Throws
// IoError when gnuplot fails.
std::vector<std::filesystem::path> plot_photons(const std::vector<PlottedTask>& tasks,
                                                const std::filesystem::path& dir);

// The bound probability averaged over cycles [cycles/2, cycles] (the
// quantity plotted against φ).
double late_bound_probability(const std::vector<double>& bound);

}  // namespace tessera::jobs::photons
