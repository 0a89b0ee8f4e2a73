#include "datasets/gzip_source.h"

#include <zlib.h>

#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::datasets {

struct GzipSource::Inflater {
  z_stream stream{};
  std::vector<std::byte> input = std::vector<std::byte>(1 << 18);
  bool member_done = false;   // the current gzip member ended
  bool input_done = false;    // the compressed source is exhausted
  bool done = false;          // no more output
};

bool is_gzip_magic(std::span<const std::byte> bytes) {
  return bytes.size() >= 2 && bytes[0] == std::byte{0x1f} && bytes[1] == std::byte{0x8b};
}

GzipSource::GzipSource(std::unique_ptr<ByteSource> compressed, std::string prefix)
    : ByteSource(compressed->url()), compressed_(std::move(compressed)), z_(std::make_unique<Inflater>()) {
  if (inflateInit2(&z_->stream, 16 + MAX_WBITS) != Z_OK) {
    throw DataError(url(), "", 0, "zlib inflateInit2 failed");
  }
  if (prefix.size() > z_->input.size()) {
    z_->input.resize(prefix.size());
  }
  std::memcpy(z_->input.data(), prefix.data(), prefix.size());
  z_->stream.next_in = reinterpret_cast<Bytef*>(z_->input.data());
  z_->stream.avail_in = static_cast<uInt>(prefix.size());
}

GzipSource::~GzipSource() { inflateEnd(&z_->stream); }

std::size_t GzipSource::read(std::span<std::byte> dst) {
  z_stream& s = z_->stream;
  while (!z_->done) {
    if (s.avail_in == 0 && !z_->input_done) {
      std::size_t n = compressed_->read(z_->input);
      z_->input_done = n == 0;
      s.next_in = reinterpret_cast<Bytef*>(z_->input.data());
      s.avail_in = static_cast<uInt>(n);
    }
    if (z_->member_done) {
      // Another gzip member may follow (concatenated .gz files).
      if (s.avail_in == 0 && z_->input_done) {
        z_->done = true;
        break;
      }
      if (s.avail_in < 2 && !z_->input_done) {
        // Keep what we have and read more to see the next magic.
        std::memmove(z_->input.data(), s.next_in, s.avail_in);
        std::size_t n = compressed_->read(std::span(z_->input).subspan(s.avail_in));
        z_->input_done = n == 0;
        s.next_in = reinterpret_cast<Bytef*>(z_->input.data());
        s.avail_in += static_cast<uInt>(n);
        continue;
      }
      if (!is_gzip_magic(std::span(reinterpret_cast<const std::byte*>(s.next_in), s.avail_in))) {
        throw DataError(url(), "", offset_, "unexpected bytes after the end of the gzip stream");
      }
      inflateReset(&s);
      z_->member_done = false;
    }
    s.next_out = reinterpret_cast<Bytef*>(dst.data());
    s.avail_out = static_cast<uInt>(std::min<std::size_t>(dst.size(), 1U << 30));
    const uInt before = s.avail_out;
    int rc = inflate(&s, Z_NO_FLUSH);
    const std::size_t produced = before - s.avail_out;
    if (rc == Z_STREAM_END) {
      z_->member_done = true;
    } else if (rc == Z_BUF_ERROR && s.avail_in == 0 && z_->input_done) {
      throw DataError(url(), "", offset_ + produced, "truncated gzip stream");
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      throw DataError(url(), "", offset_ + produced,
                      fmt::format("corrupt gzip stream: {}", s.msg != nullptr ? s.msg : zError(rc)));
    }
    if (produced > 0) {
      offset_ += produced;
      return produced;
    }
  }
  return 0;
}

void GzipSource::finish() {
  std::byte sink[4096];
  while (read(sink) > 0) {
  }
  compressed_->finish();
}

}  // namespace tessera::datasets
