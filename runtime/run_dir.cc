#include "runtime/run_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::runtime {
namespace {

void fsync_path(const std::filesystem::path& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) {
    throw IoError(fmt::format("open {}: {}", path.string(), system_message(errno)));
  }
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) {
    throw IoError(fmt::format("fsync {}: {}", path.string(), system_message(err)));
  }
}

}  // namespace

std::filesystem::path RunDir::log_file(int rank) const {
  return logs_dir() / fmt::format("rank-{:05d}.log", rank);
}

RunDir RunDir::create(const std::filesystem::path& root, std::string_view resolved_yaml,
                      Coordinator& coordinator) {
  RunDir dir(root);
  std::string failure;
  if (coordinator.rank() == 0) {
    try {
      std::filesystem::create_directories(dir.logs_dir());
      std::filesystem::create_directories(dir.checkpoints_dir());
      write_file_atomically(dir.config_file(), resolved_yaml);
    } catch (const std::exception& e) {
      failure = e.what();
    }
  }
  // Everyone learns whether rank 0 succeeded, so no rank goes on alone.
  failure = coordinator.broadcast(failure, 0);
  if (!failure.empty()) {
    throw IoError(fmt::format("cannot create run directory {}: {}", root.string(), failure));
  }
  if (!std::filesystem::is_directory(dir.logs_dir())) {
    throw IoError(fmt::format("run directory {} is not visible on rank {}: ranks need a shared "
                              "file system for output.dir",
                              root.string(), coordinator.rank()));
  }
  return dir;
}

void write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  std::filesystem::path tmp = path;
  tmp += fmt::format(".tmp-{}", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw IoError(fmt::format("create {}: {}", tmp.string(), system_message(errno)));
  }
  std::size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int err = errno;
      ::close(fd);
      std::filesystem::remove(tmp);
      throw IoError(fmt::format("write {}: {}", tmp.string(), system_message(err)));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    std::filesystem::remove(tmp);
    throw IoError(fmt::format("fsync {}: {}", tmp.string(), system_message(err)));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    throw IoError(fmt::format("rename {} -> {}: {}", tmp.string(), path.string(), ec.message()));
  }
  fsync_path(path.parent_path().empty() ? "." : path.parent_path(), O_RDONLY | O_DIRECTORY);
}

}  // namespace tessera::runtime
