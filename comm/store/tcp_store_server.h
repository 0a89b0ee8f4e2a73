#pragma once

// TcpStoreServer: the server of the TCP store (Boost.Asio), run by rank 0.
//
// Serves the requests of store_protocol.h on its own thread, one coroutine
// per connection; blocking requests (get, wait) park until another client
// sets the key or their timeout passes, without holding up other clients.
// Destroying it stops serving: clients then see their connection close.

#include <chrono>
#include <memory>
#include <string>

namespace tessera::comm {

class TcpStoreServer {
 public:
  // Listens on `host` ("0.0.0.0": every interface) and `port` (0: a free
  // port, see port()). Throws IoError if it cannot listen there.
  TcpStoreServer(const std::string& host, int port);
  // Waits up to `linger` for connected clients to disconnect (so replies
  // already sent reach them), then stops.
  ~TcpStoreServer();
  TcpStoreServer(const TcpStoreServer&) = delete;
  TcpStoreServer& operator=(const TcpStoreServer&) = delete;

  int port() const;
  void set_linger(std::chrono::milliseconds linger);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::comm
