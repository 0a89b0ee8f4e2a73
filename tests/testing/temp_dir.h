#pragma once

#include <filesystem>

namespace tessera::testing {

// A fresh directory under the system temp dir, removed with its contents on
// destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& child) const { return path_ / child; }

 private:
  std::filesystem::path path_;
};

// Writes `text` to `path`, creating parent directories.
void write_text(const std::filesystem::path& path, std::string_view text);
// The whole content of `path`.
std::string read_text(const std::filesystem::path& path);

}  // namespace tessera::testing
