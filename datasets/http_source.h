#pragma once

// HttpSource: a shard streamed over HTTP/1.1 (Boost.Beast).
//
// Every connect, request and read has the source timeout. A connection error,
// a timeout, a body cut short or a 5xx status is retried up to `retries`
// times in a row, waiting `backoff`, 2*backoff, ... (capped at 30 s); the
// retry asks for the rest with `Range: bytes=N-` and continues where it
// stopped when the server answers 206, or re-reads and discards the first N
// bytes when it answers 200 (no range support). A 4xx status is a DataError
// at once. https:// is not built in: use `pipe:curl -fsS URL`.

#include <memory>
#include <string>

#include "datasets/byte_source.h"

namespace tessera::datasets {

class HttpSource final : public ByteSource {
 public:
  HttpSource(std::string url, const SourceOptions& options);
  ~HttpSource() override;

  std::size_t read(std::span<std::byte> dst) override;
  // Seeks with a new Range request when the server supports ranges and the
  // skip is large; otherwise reads and discards.
  std::uint64_t skip(std::uint64_t n) override;

 private:
  struct Connection;
  // Connects and reads the response header for the bytes from offset_ on,
  // retrying per the options. Returns false when there is nothing left.
  bool open();
  // Sleeps before retry number `failures_` or throws when they are used up.
  void back_off(const std::string& what);

  SourceOptions options_;
  std::string host_;
  std::string port_;
  std::string target_;
  std::unique_ptr<Connection> conn_;
  int failures_ = 0;            // consecutive failed attempts
  bool ranges_ok_ = false;      // the server announced or honoured Range requests
  bool at_end_ = false;
  std::uint64_t total_ = 0;     // body size when known (0 = unknown)
  std::uint64_t discard_ = 0;   // body bytes to drop (a 200 answer to a Range request)
};

}  // namespace tessera::datasets
