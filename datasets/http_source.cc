#include "datasets/http_source.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "runtime/error.h"

namespace tessera::datasets {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct HttpSource::Connection {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::buffer_body>> parser;
  bool done = false;  // the body was read to its end

  // Runs the asynchronous operation started by `start` to completion (the
  // stream's expiry bounds it) and returns its error.
  template <class Start>
  beast::error_code run(Start&& start) {
    beast::error_code result;
    start([&result](beast::error_code ec, std::size_t /*n*/) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }
};

namespace {

std::chrono::steady_clock::duration to_duration(config::Seconds s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(s);
}

}  // namespace

HttpSource::HttpSource(std::string url, const SourceOptions& options)
    : ByteSource(std::move(url)), options_(options) {
  std::string_view rest = this->url();
  rest.remove_prefix(std::string_view("http://").size());
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  target_ = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  const std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']', colon) == std::string_view::npos) {
    host_ = authority.substr(0, colon);
    port_ = authority.substr(colon + 1);
  } else {
    host_ = authority;
    port_ = "80";
  }
  if (host_.size() > 2 && host_.front() == '[' && host_.back() == ']') {
    host_ = host_.substr(1, host_.size() - 2);
  }
  if (host_.empty()) {
    throw DataError(this->url(), "", 0, "URL has no host");
  }
}

HttpSource::~HttpSource() = default;

void HttpSource::back_off(const std::string& what) {
  conn_.reset();
  ++failures_;
  if (failures_ > options_.retries) {
    throw DataError(url(), "", offset_,
                    fmt::format("HTTP failed after {} retries: {}", options_.retries, what));
  }
  const double delay = std::min(30.0, options_.backoff.count() * static_cast<double>(1U << std::min(failures_ - 1, 10)));
  spdlog::warn("{}: {} at offset {}; retry {}/{} in {:.2g} s", url(), what, offset_, failures_,
               options_.retries, delay);
  std::this_thread::sleep_for(config::Seconds(delay));
}

bool HttpSource::open() {
  for (;;) {
    auto c = std::make_unique<Connection>();
    beast::error_code ec;
    tcp::resolver resolver(c->ioc);
    auto endpoints = resolver.resolve(host_, port_, ec);
    if (!ec) {
      c->stream.expires_after(to_duration(options_.timeout));
      ec = c->run([&](auto handler) { c->stream.async_connect(endpoints, [handler](beast::error_code e, const tcp::endpoint&) { handler(e, 0); }); });
    }
    if (ec) {
      back_off(fmt::format("cannot connect to {}:{}: {}", host_, port_, ec.message()));
      continue;
    }
    http::request<http::empty_body> request{http::verb::get, target_, 11};
    request.set(http::field::host, host_);
    request.set(http::field::user_agent, "tessera");
    if (offset_ > 0) {
      request.set(http::field::range, fmt::format("bytes={}-", offset_));
    }
    c->stream.expires_after(to_duration(options_.timeout));
    ec = c->run([&](auto handler) { http::async_write(c->stream, request, handler); });
    if (!ec) {
      c->parser.emplace();
      c->parser->body_limit(std::numeric_limits<std::uint64_t>::max());
      c->stream.expires_after(to_duration(options_.timeout));
      ec = c->run([&](auto handler) { http::async_read_header(c->stream, c->buffer, *c->parser, handler); });
    }
    if (ec) {
      back_off(fmt::format("request failed: {}", ec.message()));
      continue;
    }
    const auto& response = c->parser->get();
    const unsigned status = response.result_int();
    if (status >= 500) {
      back_off(fmt::format("HTTP {} {}", status, std::string(response.reason())));
      continue;
    }
    if (status == 416 && offset_ > 0) {
      at_end_ = true;  // asked for bytes past the end
      return false;
    }
    if (status != 200 && status != 206) {
      throw DataError(url(), "", offset_, fmt::format("HTTP {} {}", status, std::string(response.reason())));
    }
    discard_ = 0;
    if (status == 206) {
      // Content-Range: bytes START-END/TOTAL
      std::string range(response[http::field::content_range]);
      unsigned long long start = 0, end = 0, total = 0;
      if (std::sscanf(range.c_str(), "bytes %llu-%llu/%llu", &start, &end, &total) < 2 || start != offset_) {
        throw DataError(url(), "", offset_, fmt::format("HTTP 206 with unexpected Content-Range '{}'", range));
      }
      ranges_ok_ = true;
      total_ = total;
    } else {
      discard_ = offset_;  // the server ignored the Range request: drop what we had
      if (offset_ > 0) {
        ranges_ok_ = false;
      } else if (response[http::field::accept_ranges] == "bytes") {
        ranges_ok_ = true;
      }
      if (auto length = c->parser->content_length()) {
        total_ = *length;
      }
    }
    conn_ = std::move(c);
    return true;
  }
}

std::size_t HttpSource::read(std::span<std::byte> dst) {
  std::byte scratch[16384];
  while (!at_end_) {
    if (!conn_ && !open()) {
      return 0;
    }
    if (conn_->parser->is_done()) {
      at_end_ = true;
      return 0;
    }
    std::span<std::byte> into = discard_ > 0 ? std::span<std::byte>(scratch, std::min<std::uint64_t>(discard_, sizeof scratch)) : dst;
    auto& body = conn_->parser->get().body();
    body.data = into.data();
    body.size = into.size();
    body.more = true;
    conn_->stream.expires_after(to_duration(options_.timeout));
    beast::error_code ec = conn_->run([&](auto handler) { http::async_read(conn_->stream, conn_->buffer, *conn_->parser, handler); });
    if (ec == http::error::need_buffer) {
      ec = {};
    }
    const std::size_t n = into.size() - body.size;
    if (ec) {
      if (n > 0 && discard_ == 0) {
        offset_ += n;  // keep what arrived; the retry continues after it
        failures_ = 0;
        conn_.reset();
        return n;
      }
      discard_ -= std::min<std::uint64_t>(discard_, n);
      back_off(fmt::format("connection error: {}", ec.message()));
      continue;
    }
    if (discard_ > 0) {
      discard_ -= n;
      if (n == 0 && conn_->parser->is_done()) {
        throw DataError(url(), "", offset_, "the server's answer is shorter than the resume offset");
      }
      continue;
    }
    if (n > 0) {
      failures_ = 0;
      offset_ += n;
      return n;
    }
  }
  return 0;
}

std::uint64_t HttpSource::skip(std::uint64_t n) {
  constexpr std::uint64_t kSeekThreshold = 256 << 10;  // below this, reading on is cheaper
  if (!ranges_ok_ || n < kSeekThreshold) {
    return ByteSource::skip(n);
  }
  std::uint64_t target = offset_ + n;
  if (total_ > 0) {
    target = std::min(target, total_);
  }
  const std::uint64_t skipped = target - offset_;
  offset_ = target;
  conn_.reset();
  at_end_ = total_ > 0 && offset_ == total_;
  return skipped;
}

}  // namespace tessera::datasets
