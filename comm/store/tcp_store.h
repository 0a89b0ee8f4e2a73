#pragma once

// TcpStore: a client of TcpStoreServer (the Store every rank uses).
//
// The constructor connects with retry and exponential backoff, so a client
// may start before the server is up. Each request is bounded: a reply that
// does not come (the server hung or its host vanished) is a TimeoutError, a
// connection the server closed (rank 0 exited) an IoError naming the
// address. After either the client is unusable. Thread-safe (requests are
// serialised on one connection).

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "comm/store/store.h"

namespace tessera::comm {

struct TcpStoreOptions {
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(60);  // retry for this long
  std::chrono::milliseconds reply_timeout = std::chrono::seconds(30);    // beyond a wait's own
  int rank = -1;  // this rank, for error messages
};

class TcpStore final : public Store {
 public:
  TcpStore(std::string host, int port, TcpStoreOptions options = {});
  ~TcpStore() override;

  void set(const std::string& key, const std::string& value) override;
  std::string get(const std::string& key, std::chrono::milliseconds timeout) override;
  void wait(const std::vector<std::string>& keys, std::chrono::milliseconds timeout) override;
  std::int64_t add(const std::string& key, std::int64_t delta) override;
  std::string compare_set(const std::string& key,
                          const std::string& expected,
                          const std::string& desired) override;
  bool remove(const std::string& key) override;

  // "host:port"
  std::string address() const;

 private:
  struct Impl;
  // Sends a request and returns the reply's strings; `wait` is how long the
  // server may legitimately take (a get/wait's timeout).
  std::vector<std::string> request(std::uint8_t op,
                                   const std::vector<std::string>& args,
                                   std::chrono::milliseconds wait,
                                   const char* op_name);

  std::unique_ptr<Impl> impl_;
  std::mutex mu_;
};

}  // namespace tessera::comm
