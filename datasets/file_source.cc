#include "datasets/file_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "runtime/error.h"

namespace tessera::datasets {

FileSource::FileSource(std::string url, const std::string& path) : ByteSource(std::move(url)) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    throw DataError(this->url(), "", 0, "cannot open: " + system_message(errno));
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw DataError(this->url(), "", 0, S_ISDIR(st.st_mode) ? "is a directory, not a shard" : system_message(err));
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
}

FileSource::~FileSource() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

std::size_t FileSource::read(std::span<std::byte> dst) {
  for (;;) {
    ssize_t n = ::read(fd_, dst.data(), dst.size());
    if (n >= 0) {
      offset_ += static_cast<std::uint64_t>(n);
      return static_cast<std::size_t>(n);
    }
    if (errno != EINTR) {
      throw DataError(url(), "", offset_, "read failed: " + system_message(errno));
    }
  }
}

std::uint64_t FileSource::skip(std::uint64_t n) {
  const std::uint64_t target = std::min(offset_ + n, std::max(size_, offset_));
  if (::lseek(fd_, static_cast<off_t>(target), SEEK_SET) < 0) {
    throw DataError(url(), "", offset_, "seek failed: " + system_message(errno));
  }
  const std::uint64_t skipped = target - offset_;
  offset_ = target;
  return skipped;
}

}  // namespace tessera::datasets
