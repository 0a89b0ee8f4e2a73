#include "tests/datasets/testing/http_test_server.h"

#include <fstream>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

namespace tessera::datasets::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct HttpTestServer::Impl {
  HttpServerOptions options;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::thread accept_thread;
  std::atomic<bool> stopping{false};
  mutable std::mutex mutex;
  std::vector<std::string> requests;
  std::vector<std::thread> connections;
  std::vector<std::shared_ptr<tcp::socket>> sockets;
  int responses_cut = 0;
  int answered_503 = 0;

  void serve(std::shared_ptr<tcp::socket> socket);
  void accept_loop();
};

void HttpTestServer::Impl::accept_loop() {
  for (;;) {
    auto socket = std::make_shared<tcp::socket>(ioc);
    beast::error_code ec;
    acceptor.accept(*socket, ec);
    if (ec || stopping) {
      return;
    }
    std::lock_guard lock(mutex);
    sockets.push_back(socket);
    connections.emplace_back([this, socket] { serve(socket); });
  }
}

void HttpTestServer::Impl::serve(std::shared_ptr<tcp::socket> socket) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    http::request<http::empty_body> request;
    http::read(*socket, buffer, request, ec);
    if (ec) {
      return;
    }
    std::string target(request.target());
    std::string range(request[http::field::range]);
    bool fail503 = false;
    bool cut = false;
    {
      std::lock_guard lock(mutex);
      requests.push_back(range.empty() ? "GET " + target : "GET " + target + " " + range);
      if (answered_503 < options.unavailable) {
        ++answered_503;
        fail503 = true;
      }
    }
    auto send = [&](const std::string& text) { net::write(*socket, net::buffer(text), ec); };
    if (fail503) {
      send("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
      continue;
    }
    std::ifstream file(options.root / target.substr(1), std::ios::binary);
    if (!file) {
      send("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
      continue;
    }
    std::string body((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    std::uint64_t start = 0;
    unsigned long long from = 0;
    if (options.ranges && !range.empty() && std::sscanf(range.c_str(), "bytes=%llu-", &from) == 1) {
      start = from;
    }
    if (start > body.size()) {
      send("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Length: 0\r\n\r\n");
      continue;
    }
    const std::uint64_t length = body.size() - start;
    std::string header =
        start > 0 || (options.ranges && !range.empty())
            ? fmt::format("HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {}-{}/{}\r\n"
                          "Accept-Ranges: bytes\r\n\r\n",
                          length, start, body.size() == 0 ? 0 : body.size() - 1, body.size())
            : fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n{}\r\n", length,
                          options.ranges ? "Accept-Ranges: bytes\r\n" : "");
    send(header);
    {
      std::lock_guard lock(mutex);
      if (responses_cut < options.cut_responses && length > options.cut_after) {
        ++responses_cut;
        cut = true;
      }
    }
    const std::uint64_t sent_before_cut = cut ? options.cut_after : length;
    net::write(*socket, net::buffer(body.data() + start, sent_before_cut), ec);
    if (cut) {
      if (options.stall.count() > 0) {
        const auto until = std::chrono::steady_clock::now() + options.stall;
        while (!stopping && std::chrono::steady_clock::now() < until) {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      }
      socket->shutdown(tcp::socket::shutdown_both, ec);
      socket->close(ec);
      return;
    }
    if (ec) {
      return;
    }
  }
}

HttpTestServer::HttpTestServer(HttpServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(net::socket_base::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  impl_->accept_thread = std::thread([this] { impl_->accept_loop(); });
}

HttpTestServer::~HttpTestServer() {
  impl_->stopping = true;
  beast::error_code ec;
  // Wake the accept() with a connection to ourselves, then close everything.
  {
    tcp::socket poke(impl_->ioc);
    poke.connect(impl_->acceptor.local_endpoint(), ec);
  }
  impl_->accept_thread.join();
  std::vector<std::thread> connections;
  {
    std::lock_guard lock(impl_->mutex);
    for (auto& s : impl_->sockets) {
      s->shutdown(tcp::socket::shutdown_both, ec);
    }
    connections.swap(impl_->connections);
  }
  for (std::thread& t : connections) {
    t.join();
  }
}

std::string HttpTestServer::url(const std::string& path) const {
  return fmt::format("http://127.0.0.1:{}/{}", impl_->acceptor.local_endpoint().port(), path);
}

std::vector<std::string> HttpTestServer::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

}  // namespace tessera::datasets::testing
