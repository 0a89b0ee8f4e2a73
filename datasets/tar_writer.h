#pragma once

// TarWriter: writes one WebDataset shard, readable by GNU tar, Python's
// tarfile and the Python webdataset library.
//
// Members are POSIX ustar: names longer than the 100-byte field use the
// 155-byte prefix, and longer ones (or members over 8 GiB) get a PAX 'x'
// header. Mode 0444, uid/gid 0, a fixed mtime (reproducible shards), and the
// archive ends with two zero blocks padded to a 10240-byte record, as tar
// writes it. A path ending in ".gz" or ".tgz" is gzip-compressed.
//
// The shard is written to "<path>.partial" and renamed into place by close(),
// so a reader never sees a half-written shard. Not thread-safe.

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace tessera::datasets {

// A sample to write: its key and extension -> bytes. Members are written as
// key.ext in sorted extension order (as webdataset's TarWriter does).
struct OutSample {
  std::string key;
  std::map<std::string, std::string> fields;
};

struct TarWriterOptions {
  std::int64_t mtime = 0;   // modification time of every member (seconds since 1970)
  int gzip_level = 6;       // for .gz/.tgz paths
};

class TarWriter {
 public:
  // Throws IoError when the file cannot be created.
  explicit TarWriter(std::filesystem::path path, TarWriterOptions options = {});
  // Without close(), the partial file is removed (never renamed into place).
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  // One regular-file member. Throws IoError.
  void add(std::string_view name, std::span<const std::byte> data);
  void add(std::string_view name, std::string_view data) { add(name, std::as_bytes(std::span(data))); }
  // Every field of `sample` (key.ext, sorted by ext). Throws ConfigError for an empty key.
  void write(const OutSample& sample);

  // Writes the end of the archive, flushes and renames the file into place.
  void close();

  // Bytes of tar written so far (before compression).
  std::uint64_t bytes() const { return bytes_; }
  std::uint64_t samples() const { return samples_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  struct Sink;
  void put(std::span<const std::byte> data);
  void header(std::string_view name, std::uint64_t size, char type);

  std::filesystem::path path_;
  std::filesystem::path partial_;
  TarWriterOptions options_;
  std::unique_ptr<Sink> sink_;
  std::uint64_t bytes_ = 0;
  std::uint64_t samples_ = 0;
};

}  // namespace tessera::datasets
