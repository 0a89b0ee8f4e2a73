#pragma once

// File-system steps of the checkpoint protocol: names, fsync, checksums.
// Every function throws IoError with the path and the system's message.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace tessera::runtime::checkpoint_files {

// "step-00000200" (8 digits, more when the step needs them).
std::string step_dir_name(std::int64_t step);
// The step of "step-00000200"; nullopt for any other name (".tmp", ".damaged").
std::optional<std::int64_t> parse_step_dir_name(const std::string& name);
// "rank-00001.h5".
std::string rank_file_name(int rank);
// The temporary name a checkpoint is written under before it is renamed.
std::string temp_dir_name(std::int64_t step);

// fsync of a file's data, or of a directory's entries.
void fsync_file(const std::filesystem::path& file);
void fsync_dir(const std::filesystem::path& dir);

struct FileDigest {
  std::uint64_t bytes = 0;
  std::uint64_t checksum = 0;  // XXH3-64 of the whole content
};
// Reads `file` once and hashes it.
FileDigest digest_file(const std::filesystem::path& file);

// Writes `text` to `file` and fsyncs it (no rename: used inside a temporary
// checkpoint directory whose rename publishes everything at once).
void write_file_synced(const std::filesystem::path& file, const std::string& text);

}  // namespace tessera::runtime::checkpoint_files
