#include "runtime/checkpoint/checkpoint_catalog.h"

#include <algorithm>
#include <fstream>

#include <fmt/format.h>

#include "runtime/checkpoint/checkpoint_files.h"
#include "runtime/checkpoint/manifest.h"
#include "runtime/error.h"

namespace tessera::runtime {
namespace {

// Worded like CheckpointError: "checkpoint <dir>: <what>".
template <class... Args>
std::string problem(const std::filesystem::path& dir, fmt::format_string<Args...> format, Args&&... args) {
  return fmt::format("checkpoint {}: {}", dir.string(), fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace

std::string verify_checkpoint(const std::filesystem::path& dir, int first, int stride) {
  Manifest manifest;
  try {
    manifest = read_manifest(dir);
  } catch (const CheckpointError& e) {
    return e.what();
  }
  for (int r = first; r < manifest.world_size; r += stride) {
    const RankEntry& entry = manifest.ranks[static_cast<std::size_t>(r)];
    const std::filesystem::path file = dir / entry.file;
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    if (ec) {
      return problem(dir, "{} is missing ({})", entry.file, ec.message());
    }
    if (size != entry.file_bytes) {
      return problem(dir, "{} has {} bytes, the manifest says {} (truncated or overwritten)",
                     entry.file, size, entry.file_bytes);
    }
    try {
      checkpoint_files::FileDigest digest = checkpoint_files::digest_file(file);
      if (digest.checksum != entry.file_checksum) {
        return problem(dir, "{} checksum mismatch (manifest {}, file {}): the file changed after writing",
                       entry.file, checksum_string(entry.file_checksum),
                           checksum_string(digest.checksum));
      }
    } catch (const IoError& e) {
      return problem(dir, "{}", e.what());
    }
  }
  return {};
}

std::vector<std::filesystem::path> checkpoint_dirs_newest_first(const std::filesystem::path& checkpoints_dir) {
  std::vector<std::pair<std::int64_t, std::filesystem::path>> found;
  std::error_code ec;
  for (const auto& item : std::filesystem::directory_iterator(checkpoints_dir, ec)) {
    if (!item.is_directory()) {
      continue;
    }
    if (auto step = checkpoint_files::parse_step_dir_name(item.path().filename().string())) {
      found.emplace_back(*step, item.path());
    }
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::filesystem::path> out;
  for (auto& [step, path] : found) {
    out.push_back(std::move(path));
  }
  return out;
}

std::optional<std::filesystem::path> read_latest(const std::filesystem::path& checkpoints_dir) {
  std::ifstream in(checkpoints_dir / kLatestFile);
  std::string name;
  if (!in || !std::getline(in, name) || name.empty()) {
    return std::nullopt;
  }
  return checkpoints_dir / name;
}

std::vector<CheckpointListing> list_checkpoints(const std::filesystem::path& checkpoints_dir, bool verify) {
  std::vector<std::filesystem::path> dirs = checkpoint_dirs_newest_first(checkpoints_dir);
  std::reverse(dirs.begin(), dirs.end());
  const std::optional<std::filesystem::path> latest = read_latest(checkpoints_dir);
  std::vector<CheckpointListing> out;
  for (const std::filesystem::path& dir : dirs) {
    CheckpointListing item;
    item.path = dir;
    item.step = *checkpoint_files::parse_step_dir_name(dir.filename().string());
    item.latest = latest && latest->filename() == dir.filename();
    try {
      Manifest manifest = read_manifest(dir);
      item.unix_time = manifest.unix_time;
      item.bytes = manifest.total_bytes();
      item.world_size = manifest.world_size;
      item.problem = verify ? verify_checkpoint(dir) : std::string();
      if (item.problem.empty() && manifest.step != item.step) {
        item.problem = problem(dir, "the manifest says step {}", manifest.step);
      }
    } catch (const CheckpointError& e) {
      item.problem = e.what();
    }
    item.valid = item.problem.empty();
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace tessera::runtime
