#pragma once

// Gnuplot: renders figures (PNG or SVG) by running Debian's gnuplot
// (package gnuplot-nox) on a script with inline data blocks.
//
//   Gnuplot plot;
//   plot.add_data("loss", {{1, 0.9}, {2, 0.7}});          // $loss block
//   plot.render("run/loss.png", R"(
//     set xlabel "step"; set logscale y
//     plot $loss using 1:2 with lines title "train")");
//
// The terminal (pngcairo/png or svg) and output are chosen from the file
// extension. A missing gnuplot is an IoError saying which package to install.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::runtime {

class Gnuplot {
 public:
  // A named data block: rows of numbers (a blank row separates datasets for
  // `index`; NaN is written as "NaN", which gnuplot skips).
  void add_data(std::string name, const std::vector<std::vector<double>>& rows);

  // Runs gnuplot on `script`, writing `output` (.png or .svg). `width` and
  // `height` are in pixels. Throws IoError with gnuplot's messages on failure.
  void render(const std::filesystem::path& output,
              std::string_view script,
              int width = 900,
              int height = 600) const;

  // Whether a gnuplot executable is on PATH.
  static bool available();

 private:
  std::string data_;
};

}  // namespace tessera::runtime
