#include "datasets/byte_source.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::datasets {
void SourceOptions::fields(config::Fields& f) {
  f("timeout", timeout, "an HTTP connect/read or pipe read making no progress this long fails (s)",
    config::positive<config::Seconds>());
  f("retries", retries, "HTTP reconnections after a connection error (then the shard fails)",
    config::at_least(0));
  f("backoff", backoff, "first retry delay, doubled per retry (s)",
    config::Rule<config::Seconds>{"must be >= 0", [](const config::Seconds& s) { return s.count() >= 0; }});
  f("buffer_bytes", buffer_bytes, "read buffer per open shard (bytes)",
    config::in_range<std::uint64_t>(1 << 13, std::uint64_t{1} << 30));
}

std::uint64_t ByteSource::skip(std::uint64_t n) {
  std::byte sink[65536];
  std::uint64_t done = 0;
  while (done < n) {
    std::size_t got = read(std::span(sink, std::min<std::uint64_t>(sizeof sink, n - done)));
    if (got == 0) {
      break;
    }
    done += got;
  }
  return done;
}

std::size_t MemorySource::read(std::span<std::byte> dst) {
  const std::size_t n = std::min<std::uint64_t>(dst.size(), bytes_.size() - offset_);
  std::memcpy(dst.data(), bytes_.data() + offset_, n);
  offset_ += n;
  return n;
}

std::uint64_t MemorySource::skip(std::uint64_t n) {
  const std::uint64_t skipped = std::min<std::uint64_t>(n, bytes_.size() - offset_);
  offset_ += skipped;
  return skipped;
}

std::string local_path(std::string_view url) {
  if (url.starts_with("file://")) {
    return std::string(url.substr(7));
  }
  if (url.starts_with("http://") || url.starts_with("https://") || url.starts_with("pipe:")) {
    return {};
  }
  return std::string(url);
}

}  // namespace tessera::datasets
