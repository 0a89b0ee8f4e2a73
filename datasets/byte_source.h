#pragma once

// ByteSource: a forward-only stream of bytes — one shard's bytes as they come
// from a local file, an HTTP server, a command's stdout, or a gzip stream over
// any of those.
//
//   path, file://path    FileSource   (seekable: skip() seeks)
//   http://host[:port]/p HttpSource   (Boost.Beast; timeouts, retries with
//                                      backoff, resume by Range request)
//   pipe:CMD             PipeSource   (/bin/sh -c CMD; a non-zero exit is a
//                                      DataError carrying the command's stderr)
//
// open_shard() (open_shard.h) is what readers use: it opens the URL,
// recognises gzip by its magic bytes (not by the name) and decompresses
// transparently, and starts at a byte offset of the (decompressed) tar stream
// when resuming.
//
// Errors are DataError(url, member "", offset, what). A source is used by one
// thread at a time.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "runtime/config/fields.h"

namespace tessera::datasets {

// How remote and command sources behave (the `source:` section of a data config).
struct SourceOptions {
  config::Seconds timeout{30};       // an HTTP connect/read or a pipe read that makes no
                                     // progress for this long fails (and is retried)
  int retries = 5;                   // HTTP reconnections after a connection error
  config::Seconds backoff{0.5};      // first retry delay; doubles per retry (max 30 s)
  std::uint64_t buffer_bytes = 256 << 10;  // read buffer of the tar reader per open shard

  void fields(config::Fields& f);
};

class ByteSource {
 public:
  explicit ByteSource(std::string url) : url_(std::move(url)) {}
  virtual ~ByteSource() = default;
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  // Reads up to dst.size() bytes (dst non-empty). Returns 0 only at the end of
  // the stream. Throws DataError.
  virtual std::size_t read(std::span<std::byte> dst) = 0;

  // Skips `n` bytes forward; returns how many were skipped (< n only at the
  // end). Seekable sources seek; others read and discard.
  virtual std::uint64_t skip(std::uint64_t n);

  // Called when the reader has everything it wanted (the end-of-archive
  // marker): drains what is left and reports a failure of the producer (a
  // command's non-zero exit). Dropping a source without finish() abandons it
  // (a command is killed) and reports nothing.
  virtual void finish() {}

  // Bytes delivered so far (by read() and skip()).
  std::uint64_t offset() const { return offset_; }
  const std::string& url() const { return url_; }

 protected:
  std::uint64_t offset_ = 0;  // subclasses advance it

 private:
  std::string url_;
};

// A source over bytes in memory (tests, the fuzzer, re-reading).
class MemorySource final : public ByteSource {
 public:
  MemorySource(std::string url, std::span<const std::byte> bytes)
      : ByteSource(std::move(url)), bytes_(bytes) {}
  std::size_t read(std::span<std::byte> dst) override;
  std::uint64_t skip(std::uint64_t n) override;

 private:
  std::span<const std::byte> bytes_;
};

// The local path of a file URL ("a/b.tar", "file:///a/b.tar"), or "" for
// http:// and pipe: URLs.
std::string local_path(std::string_view url);

}  // namespace tessera::datasets
