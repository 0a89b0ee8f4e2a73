#pragma once

// The checkpoints of a run directory: which exist, which are valid, and why
// not. Used by resume (to pick the newest valid one) and by `tessera ckpt`.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tessera::runtime {

// What is wrong with checkpoint `dir`, or "" when it is valid: the manifest
// (present, checksum, format) and the rank files r = first, first + stride,
// ... < world size (present, size, whole-file checksum). Ranks split the work
// of verifying a large checkpoint by passing their rank and the world size.
std::string verify_checkpoint(const std::filesystem::path& dir, int first = 0, int stride = 1);

struct CheckpointListing {
  std::filesystem::path path;
  std::int64_t step = 0;
  bool valid = false;
  std::string problem;         // why not valid
  double unix_time = 0;        // from the manifest (0 if unreadable)
  std::uint64_t bytes = 0;     // rank files, from the manifest
  int world_size = 0;          // from the manifest
  bool latest = false;         // LATEST names it
};

// The step-XXXXXXXX directories under `checkpoints_dir`, oldest first.
// `verify` checks every file (else only the manifest).
std::vector<CheckpointListing> list_checkpoints(const std::filesystem::path& checkpoints_dir,
                                                bool verify = true);

// The step directories under `checkpoints_dir`, newest first (no checks).
std::vector<std::filesystem::path> checkpoint_dirs_newest_first(const std::filesystem::path& checkpoints_dir);

// The directory LATEST names, if LATEST exists.
std::optional<std::filesystem::path> read_latest(const std::filesystem::path& checkpoints_dir);

}  // namespace tessera::runtime
