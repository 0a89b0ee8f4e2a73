#pragma once

// A small HTTP/1.1 file server on 127.0.0.1 (Boost.Beast parses requests) for
// http:// source tests, with faults on demand: answers without Range support,
// connections cut or stalled mid-body, 503s.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tessera::datasets::testing {

struct HttpServerOptions {
  std::filesystem::path root;             // files served as /<relative path>
  bool ranges = true;                     // honour "Range: bytes=N-" with 206
  int cut_responses = 0;                  // the first N file responses are cut ...
  std::uint64_t cut_after = 0;            // ... after this many body bytes (connection closed)
  std::chrono::milliseconds stall{0};     // ... or, if set, stall that long there instead
  int unavailable = 0;                    // answer 503 to the first N requests
};

class HttpTestServer {
 public:
  explicit HttpTestServer(HttpServerOptions options);
  ~HttpTestServer();
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  // "http://127.0.0.1:PORT/<path>"
  std::string url(const std::string& path) const;
  // One line per request: "GET /path" or "GET /path bytes=N-".
  std::vector<std::string> requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::datasets::testing
