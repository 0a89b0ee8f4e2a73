#include "runtime/plot/gnuplot.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::runtime {
namespace {

std::string terminal_for(const std::filesystem::path& output, int width, int height) {
  std::string ext = output.extension().string();
  if (ext == ".svg") {
    return fmt::format("set terminal svg size {},{} dynamic enhanced", width, height);
  }
  if (ext == ".png") {
    return fmt::format("set terminal pngcairo size {},{} enhanced", width, height);
  }
  throw IoError(fmt::format("plot {}: the file must end in .png or .svg", output.string()));
}

}  // namespace

void Gnuplot::add_data(std::string name, const std::vector<std::vector<double>>& rows) {
  data_ += fmt::format("${} << EOD\n", name);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      data_ += i == 0 ? "" : " ";
      data_ += std::isfinite(row[i]) ? fmt::format("{:.10g}", row[i]) : "NaN";
    }
    data_ += '\n';
  }
  data_ += "EOD\n";
}

bool Gnuplot::available() { return std::system("command -v gnuplot >/dev/null 2>&1") == 0; }

void Gnuplot::render(const std::filesystem::path& output, std::string_view script, int width,
                     int height) const {
  if (!available()) {
    throw IoError(fmt::format("cannot draw {}: gnuplot is not installed (apt-get install gnuplot-nox, "
                              "or run scripts/setup.sh)",
                              output.string()));
  }
  std::filesystem::path script_file = output;
  script_file += ".gp";
  {
    std::ofstream out(script_file);
    out << terminal_for(output, width, height) << '\n'
        << fmt::format("set output '{}'\n", output.string()) << data_ << script << '\n'
        << "unset output\n";
    if (!out) {
      throw IoError(fmt::format("cannot write {}", script_file.string()));
    }
  }
  // pngcairo may be missing from a minimal gnuplot; fall back to the plain png terminal.
  std::string command = fmt::format("gnuplot '{}' 2>&1", script_file.string());
  FILE* pipe = ::popen(command.c_str(), "r");
  std::string messages;
  char buffer[512];
  while (pipe != nullptr && std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
    messages += buffer;
  }
  int status = pipe == nullptr ? -1 : ::pclose(pipe);
  if (status != 0 && messages.find("pngcairo") != std::string::npos) {
    std::string retry = fmt::format("sed -i 's/pngcairo/png/' '{0}' && gnuplot '{0}' 2>&1", script_file.string());
    pipe = ::popen(retry.c_str(), "r");
    messages.clear();
    while (pipe != nullptr && std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
      messages += buffer;
    }
    status = pipe == nullptr ? -1 : ::pclose(pipe);
  }
  if (status != 0 || !std::filesystem::exists(output)) {
    throw IoError(fmt::format("gnuplot failed to draw {} (script kept in {}): {}", output.string(),
                              script_file.string(), messages));
  }
  std::filesystem::remove(script_file);
}

}  // namespace tessera::runtime
