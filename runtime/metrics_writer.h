#pragma once

// MetricsWriter: scalar series (loss, lr, samples/s, ...) appended to
// metrics.h5 as extendible HDF5 datasets.
//
// Layout: one group per series, holding three equally long 1-D datasets:
//   /<name>/step   int64    the step the value belongs to
//   /<name>/value  float64
//   /<name>/time   float64  seconds since the Unix epoch
// Names may contain '/', which nests groups ("eval/accuracy"). Root attributes
// hold string metadata (job kind, config, ...).
//
// Appends are buffered in memory and written every `flush_every` (and on
// flush() / destruction). The file is opened only while writing, so a killed
// process leaves at most the unflushed rows behind. Not thread-safe: one
// thread (the job's) appends.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/config/fields.h"

namespace tessera::runtime {

class MetricsWriter {
 public:
  // A writer that ignores everything (ranks other than 0).
  MetricsWriter() = default;
  // Appends to `file`, creating it if needed.
  MetricsWriter(std::filesystem::path file, config::Seconds flush_every);
  ~MetricsWriter();
  MetricsWriter(const MetricsWriter&) = delete;
  MetricsWriter& operator=(const MetricsWriter&) = delete;

  bool enabled() const { return file_.has_value(); }

  void append(std::int64_t step, std::string_view name, double value);
  // Sets a string attribute on the file's root (written at the next flush).
  void set_metadata(std::string_view key, std::string_view value);
  // Removes rows with step > `step` from every series, so a run resumed from
  // the checkpoint at `step` continues the series exactly.
  void truncate_after(std::int64_t step);
  // Writes everything buffered. Throws IoError.
  void flush();

 private:
  struct Rows {
    std::vector<std::int64_t> steps;
    std::vector<double> values;
    std::vector<double> times;
  };

  std::optional<std::filesystem::path> file_;
  config::Seconds flush_every_{10};
  std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
  std::map<std::string, Rows, std::less<>> pending_;
  std::map<std::string, std::string, std::less<>> metadata_;
};

// One series read back from a metrics file (for tests, status and plots).
struct MetricSeries {
  std::vector<std::int64_t> steps;
  std::vector<double> values;
  std::vector<double> times;
};

// Reads series `name` from `file`. Throws IoError if absent.
MetricSeries read_metric(const std::filesystem::path& file, std::string_view name);
// Names of every series in `file` ("loss", "eval/accuracy", ...).
std::vector<std::string> list_metrics(const std::filesystem::path& file);

}  // namespace tessera::runtime
