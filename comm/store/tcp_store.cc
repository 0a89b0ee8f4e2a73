#include "comm/store/tcp_store.h"

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <charconv>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "comm/store/store_protocol.h"
#include "runtime/error.h"

namespace tessera::comm {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
namespace proto = store_protocol;

struct TcpStore::Impl {
  std::string host;
  int port = 0;
  TcpStoreOptions options;
  asio::io_context io;
  tcp::socket socket{io};
  std::string broken;  // why the connection is unusable ("" while fine)

  std::string address() const { return fmt::format("{}:{}", host, port); }

  // Runs the io_context until `done` or `timeout`; false on timeout.
  bool run_for(std::chrono::milliseconds timeout, const bool& done) {
    io.restart();
    const auto until = Clock::now() + timeout;
    while (!done && Clock::now() < until) {
      io.run_one_for(until - Clock::now());
    }
    return done;
  }

  void connect() {
    const auto deadline = Clock::now() + options.connect_timeout;
    auto backoff = std::chrono::milliseconds(10);
    std::string last_error = "no attempt";
    for (;;) {
      boost::system::error_code ec;
      tcp::resolver resolver(io);
      auto endpoints = resolver.resolve(host, std::to_string(port), ec);
      if (!ec) {
        bool done = false;
        asio::async_connect(socket, endpoints, [&](const boost::system::error_code& e, const tcp::endpoint&) {
          ec = e;
          done = true;
        });
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (!run_for(std::max(left, std::chrono::milliseconds(1)), done)) {
          socket.close();
          ec = asio::error::timed_out;
        }
        if (!ec) {
          socket.set_option(tcp::no_delay(true));
          return;
        }
        socket.close();
      }
      last_error = ec.message();
      if (Clock::now() + backoff >= deadline) {
        throw IoError(fmt::format(
            "rank {}: could not connect to the store at {} within {} s: {} (is rank 0 running? "
            "check MASTER_ADDR/MASTER_PORT)",
            options.rank, address(), options.connect_timeout.count() / 1000.0, last_error));
      }
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
    }
  }
};

TcpStore::TcpStore(std::string host, int port, TcpStoreOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->options = options;
  impl_->connect();
}

TcpStore::~TcpStore() {
  boost::system::error_code ignored;
  impl_->socket.shutdown(tcp::socket::shutdown_both, ignored);
  impl_->socket.close(ignored);
}

std::string TcpStore::address() const { return impl_->address(); }

std::vector<std::string> TcpStore::request(std::uint8_t op, const std::vector<std::string>& args,
                                           std::chrono::milliseconds wait, const char* op_name) {
  std::lock_guard lock(mu_);
  const CommSite site{.backend = "store", .op = op_name, .rank = impl_->options.rank};
  if (!impl_->broken.empty()) {
    throw IoError(fmt::format("store {}: {} on rank {}: the connection is unusable: {}",
                              impl_->address(), op_name, impl_->options.rank, impl_->broken));
  }
  const std::string payload = proto::encode(op, args);
  const std::string frame = proto::frame_header(payload.size()) + payload;
  boost::system::error_code ec;
  std::string reply;
  bool done = false;
  unsigned char header[4];
  asio::async_write(impl_->socket, asio::buffer(frame), [&](const boost::system::error_code& e, std::size_t) {
    if (e) {
      ec = e;
      done = true;
      return;
    }
    asio::async_read(impl_->socket, asio::buffer(header), [&](const boost::system::error_code& e2, std::size_t) {
      if (e2) {
        ec = e2;
        done = true;
        return;
      }
      const std::uint32_t n = proto::read_u32(header);
      if (n > proto::kMaxFrame) {
        ec = asio::error::message_size;
        done = true;
        return;
      }
      reply.assign(n, '\0');
      asio::async_read(impl_->socket, asio::buffer(reply), [&](const boost::system::error_code& e3, std::size_t) {
        ec = e3;
        done = true;
      });
    });
  });
  if (!impl_->run_for(wait + impl_->options.reply_timeout, done)) {
    impl_->broken = "a reply did not come in time";
    impl_->socket.close();
    impl_->run_for(std::chrono::milliseconds(100), done);  // let the cancelled handlers finish
    throw TimeoutError(site, fmt::format("no reply from the store at {} within {} s (the server "
                                         "hung, or its host is unreachable)",
                                         impl_->address(),
                                         (wait + impl_->options.reply_timeout).count() / 1000.0));
  }
  if (ec) {
    impl_->broken = ec.message();
    throw IoError(fmt::format("store {}: {} on rank {}: the connection failed: {}{}",
                              impl_->address(), op_name, impl_->options.rank, ec.message(),
                              ec == asio::error::eof || ec == asio::error::connection_reset
                                  ? " (the server closed it: did rank 0 exit?)"
                                  : ""));
  }
  std::uint8_t status = 0;
  std::vector<std::string> results;
  if (!proto::decode(reply, status, results)) {
    impl_->broken = "malformed reply";
    throw IoError(fmt::format("store {}: {}: malformed reply", impl_->address(), op_name));
  }
  if (status == proto::kTimeout) {
    throw TimeoutError(site, fmt::format("keys not set within {} s", wait.count() / 1000.0));
  }
  if (status != proto::kOk) {
    throw IoError(fmt::format("store {}: {}: the server refused the request: {}", impl_->address(),
                              op_name, results.empty() ? "" : results[0]));
  }
  return results;
}

void TcpStore::set(const std::string& key, const std::string& value) {
  request(proto::kSet, {key, value}, std::chrono::milliseconds(0), "set");
}

std::string TcpStore::get(const std::string& key, std::chrono::milliseconds timeout) {
  auto r = request(proto::kGet, {key, std::to_string(timeout.count())}, timeout, "get");
  return r.empty() ? std::string() : r[0];
}

void TcpStore::wait(const std::vector<std::string>& keys, std::chrono::milliseconds timeout) {
  std::vector<std::string> args{std::to_string(timeout.count())};
  args.insert(args.end(), keys.begin(), keys.end());
  request(proto::kWait, args, timeout, "wait");
}

std::int64_t TcpStore::add(const std::string& key, std::int64_t delta) {
  auto r = request(proto::kAdd, {key, std::to_string(delta)}, std::chrono::milliseconds(0), "add");
  std::int64_t value = 0;
  if (!r.empty()) {
    std::from_chars(r[0].data(), r[0].data() + r[0].size(), value);
  }
  return value;
}

std::string TcpStore::compare_set(const std::string& key, const std::string& expected,
                                  const std::string& desired) {
  auto r = request(proto::kCas, {key, expected, desired}, std::chrono::milliseconds(0),
                   "compare_set");
  return r.empty() ? std::string() : r[0];
}

bool TcpStore::remove(const std::string& key) {
  auto r = request(proto::kRemove, {key}, std::chrono::milliseconds(0), "remove");
  return !r.empty() && r[0] == "1";
}

}  // namespace tessera::comm
