#include "runtime/checkpoint/checkpoint_files.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <charconv>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::runtime::checkpoint_files {
namespace {

constexpr std::string_view kStepPrefix = "step-";

class Fd {
 public:
  Fd(const std::filesystem::path& path, int flags, const char* what) : fd_(::open(path.c_str(), flags | O_CLOEXEC, 0644)) {
    if (fd_ < 0) {
      throw IoError(fmt::format("{} {}: {}", what, path.string(), system_message(errno)));
    }
  }
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now and reports a failure (close can report deferred write errors).
  void close(const std::filesystem::path& path) {
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) {
      throw IoError(fmt::format("close {}: {}", path.string(), system_message(errno)));
    }
  }

 private:
  int fd_;
};

void fsync_fd(const Fd& fd, const std::filesystem::path& path) {
  if (::fsync(fd.get()) != 0) {
    throw IoError(fmt::format("fsync {}: {}", path.string(), system_message(errno)));
  }
}

}  // namespace

std::string step_dir_name(std::int64_t step) { return fmt::format("{}{:08d}", kStepPrefix, step); }

std::optional<std::int64_t> parse_step_dir_name(const std::string& name) {
  if (name.size() < kStepPrefix.size() + 8 || name.compare(0, kStepPrefix.size(), kStepPrefix) != 0) {
    return std::nullopt;
  }
  std::int64_t step = 0;
  const char* first = name.data() + kStepPrefix.size();
  const char* last = name.data() + name.size();
  auto [end, ec] = std::from_chars(first, last, step);
  if (ec != std::errc() || end != last || step < 0) {
    return std::nullopt;
  }
  return step;
}

std::string rank_file_name(int rank) { return fmt::format("rank-{:05d}.h5", rank); }

std::string temp_dir_name(std::int64_t step) { return step_dir_name(step) + ".tmp"; }

void fsync_file(const std::filesystem::path& file) {
  Fd fd(file, O_RDONLY, "open");
  fsync_fd(fd, file);
}

void fsync_dir(const std::filesystem::path& dir) {
  Fd fd(dir, O_RDONLY | O_DIRECTORY, "open directory");
  fsync_fd(fd, dir);
}

FileDigest digest_file(const std::filesystem::path& file) {
  Fd fd(file, O_RDONLY, "open");
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(), &XXH3_freeState);
  XXH3_64bits_reset(state.get());
  std::vector<char> buffer(1 << 20);
  FileDigest digest;
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw IoError(fmt::format("read {}: {}", file.string(), system_message(errno)));
    }
    if (n == 0) {
      break;
    }
    XXH3_64bits_update(state.get(), buffer.data(), static_cast<std::size_t>(n));
    digest.bytes += static_cast<std::uint64_t>(n);
  }
  digest.checksum = XXH3_64bits_digest(state.get());
  return digest;
}

void write_file_synced(const std::filesystem::path& file, const std::string& text) {
  Fd fd(file, O_WRONLY | O_CREAT | O_TRUNC, "create");
  std::size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + written, text.size() - written);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw IoError(fmt::format("write {}: {}", file.string(), system_message(errno)));
    }
    written += static_cast<std::size_t>(n);
  }
  fsync_fd(fd, file);
  fd.close(file);
}

}  // namespace tessera::runtime::checkpoint_files
