#pragma once

// RunDir: the directory that holds everything a run produces.
//
//   runs/<name>/
//     config.yaml          resolved config
//     metrics.h5           scalar series
//     results.h5           sweep results (sweep jobs)
//     checkpoints/         step-XXXXXXXX/ directories and LATEST
//     logs/rank-00000.log  one log per rank, appended across restarts

#include <filesystem>
#include <string_view>

#include "runtime/coordinator.h"

namespace tessera::runtime {

class RunDir {
 public:
  // An existing (or about to be created) run directory.
  explicit RunDir(std::filesystem::path root) : root_(std::move(root)) {}

  // Rank 0 creates the layout and writes config.yaml atomically; every rank
  // waits until it exists. Collective over `coordinator`. Throws IoError.
  static RunDir create(const std::filesystem::path& root,
                       std::string_view resolved_yaml,
                       Coordinator& coordinator);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path config_file() const { return root_ / "config.yaml"; }
  std::filesystem::path metrics_file() const { return root_ / "metrics.h5"; }
  std::filesystem::path results_file() const { return root_ / "results.h5"; }
  std::filesystem::path checkpoints_dir() const { return root_ / "checkpoints"; }
  std::filesystem::path logs_dir() const { return root_ / "logs"; }
  std::filesystem::path log_file(int rank) const;

 private:
  std::filesystem::path root_;
};

// Writes `text` to `path` through a temporary file, fsync and rename, so a
// reader sees the old content or the new, never a mix. Throws IoError.
void write_file_atomically(const std::filesystem::path& path, std::string_view text);

}  // namespace tessera::runtime
