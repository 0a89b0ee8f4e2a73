#include "comm/store/tcp_store_server.h"

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <charconv>
#include <list>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "comm/store/store_protocol.h"
#include "runtime/error.h"

namespace tessera::comm {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
namespace proto = store_protocol;

struct TcpStoreServer::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::map<std::string, std::string> data;
  std::list<asio::steady_timer*> waiters;      // parked get/wait requests
  std::set<std::shared_ptr<tcp::socket>> clients;
  std::atomic<int> connected{0};
  std::chrono::milliseconds linger{2000};
  int port = 0;
  std::thread thread;

  // Wakes every parked request to re-check its keys.
  void changed() {
    for (asio::steady_timer* timer : waiters) {
      timer->cancel();
    }
  }

  bool has_all(const std::vector<std::string>& keys, std::size_t from) const {
    for (std::size_t i = from; i < keys.size(); ++i) {
      if (data.find(keys[i]) == data.end()) {
        return false;
      }
    }
    return true;
  }

  awaitable<bool> park_until(const std::vector<std::string>& keys, std::size_t from,
                             Clock::time_point deadline) {
    asio::steady_timer timer(io);
    while (!has_all(keys, from)) {
      if (Clock::now() >= deadline) {
        co_return false;
      }
      timer.expires_at(deadline);
      waiters.push_back(&timer);
      auto entry = std::prev(waiters.end());
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
      waiters.erase(entry);
    }
    co_return true;
  }

  static std::chrono::milliseconds millis(const std::string& text) {
    long long ms = 0;
    std::from_chars(text.data(), text.data() + text.size(), ms);
    return std::chrono::milliseconds(ms);
  }

  awaitable<std::string> handle(std::string_view payload) {
    std::uint8_t op = 0;
    std::vector<std::string> args;
    if (!proto::decode(payload, op, args)) {
      co_return proto::encode(proto::kBadRequest, {"malformed request"});
    }
    auto need = [&](std::size_t n) { return args.size() >= n; };
    switch (op) {
      case proto::kSet:
        if (!need(2)) {
          break;
        }
        data[args[0]] = args[1];
        changed();
        co_return proto::encode(proto::kOk, {});
      case proto::kGet: {
        if (!need(2)) {
          break;
        }
        const std::vector<std::string> key{args[0]};
        if (!co_await park_until(key, 0, Clock::now() + millis(args[1]))) {
          co_return proto::encode(proto::kTimeout, {});
        }
        co_return proto::encode(proto::kOk, {data[args[0]]});
      }
      case proto::kWait:
        if (!need(1)) {
          break;
        }
        if (!co_await park_until(args, 1, Clock::now() + millis(args[0]))) {
          co_return proto::encode(proto::kTimeout, {});
        }
        co_return proto::encode(proto::kOk, {});
      case proto::kAdd: {
        if (!need(2)) {
          break;
        }
        long long current = 0;
        long long delta = 0;
        const std::string& old = data[args[0]];
        std::from_chars(old.data(), old.data() + old.size(), current);
        std::from_chars(args[1].data(), args[1].data() + args[1].size(), delta);
        data[args[0]] = std::to_string(current + delta);
        changed();
        co_return proto::encode(proto::kOk, {data[args[0]]});
      }
      case proto::kCas: {
        if (!need(3)) {
          break;
        }
        auto it = data.find(args[0]);
        const std::string current = it == data.end() ? std::string() : it->second;
        if (current == args[1]) {
          data[args[0]] = args[2];
          changed();
        }
        co_return proto::encode(proto::kOk, {data.count(args[0]) ? data[args[0]] : std::string()});
      }
      case proto::kRemove:
        if (!need(1)) {
          break;
        }
        co_return proto::encode(proto::kOk, {data.erase(args[0]) > 0 ? "1" : "0"});
      case proto::kPing:
        co_return proto::encode(proto::kOk, {});
      default:
        break;
    }
    co_return proto::encode(proto::kBadRequest, {fmt::format("bad request (op {})", op)});
  }

  awaitable<void> serve(std::shared_ptr<tcp::socket> socket) {
    ++connected;
    try {
      for (;;) {
        unsigned char header[4];
        co_await asio::async_read(*socket, asio::buffer(header), use_awaitable);
        const std::uint32_t n = proto::read_u32(header);
        if (n > proto::kMaxFrame) {
          break;
        }
        std::string payload(n, '\0');
        co_await asio::async_read(*socket, asio::buffer(payload), use_awaitable);
        std::string reply = co_await handle(payload);
        std::string frame = proto::frame_header(reply.size()) + reply;
        co_await asio::async_write(*socket, asio::buffer(frame), use_awaitable);
      }
    } catch (const std::exception&) {
      // The client went away: nothing to answer.
    }
    clients.erase(socket);
    --connected;
  }

  awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec) {
        co_return;  // closed
      }
      socket.set_option(tcp::no_delay(true));
      auto shared = std::make_shared<tcp::socket>(std::move(socket));
      clients.insert(shared);
      asio::co_spawn(io, serve(shared), asio::detached);
    }
  }
};

TcpStoreServer::TcpStoreServer(const std::string& host, int port) : impl_(std::make_unique<Impl>()) {
  try {
    tcp::endpoint endpoint(asio::ip::make_address(host), static_cast<unsigned short>(port));
    impl_->acceptor.open(endpoint.protocol());
    impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor.bind(endpoint);
    impl_->acceptor.listen();
    impl_->port = impl_->acceptor.local_endpoint().port();
  } catch (const std::exception& e) {
    throw IoError(fmt::format("store server: cannot listen on {}:{}: {} (another job on this "
                              "port? set MASTER_PORT)",
                              host, port, e.what()));
  }
  asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

TcpStoreServer::~TcpStoreServer() {
  // Stop accepting, give connected clients a moment to read their last
  // replies and hang up, then stop the loop (closing what is left).
  asio::post(impl_->io, [impl = impl_.get()] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
  });
  const auto until = Clock::now() + impl_->linger;
  while (impl_->connected.load() > 0 && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  impl_->io.stop();
  impl_->thread.join();
  impl_->clients.clear();
}

int TcpStoreServer::port() const { return impl_->port; }

void TcpStoreServer::set_linger(std::chrono::milliseconds linger) { impl_->linger = linger; }

}  // namespace tessera::comm
