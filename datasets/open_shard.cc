#include "datasets/open_shard.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "datasets/file_source.h"
#include "datasets/gzip_source.h"
#include "datasets/http_source.h"
#include "datasets/pipe_source.h"
#include "runtime/error.h"

namespace tessera::datasets {
namespace {

// The first bytes of a source, read to sniff gzip, handed out before the rest.
class PrefixSource final : public ByteSource {
 public:
  PrefixSource(std::unique_ptr<ByteSource> inner, std::string prefix)
      : ByteSource(inner->url()), inner_(std::move(inner)), prefix_(std::move(prefix)) {}

  std::size_t read(std::span<std::byte> dst) override {
    std::size_t n = 0;
    if (pos_ < prefix_.size()) {
      n = std::min(dst.size(), prefix_.size() - pos_);
      std::memcpy(dst.data(), prefix_.data() + pos_, n);
      pos_ += n;
    } else {
      n = inner_->read(dst);
    }
    offset_ += n;
    return n;
  }

  std::uint64_t skip(std::uint64_t n) override {
    const std::uint64_t from_prefix = std::min<std::uint64_t>(n, prefix_.size() - pos_);
    pos_ += from_prefix;
    const std::uint64_t skipped = from_prefix + (n > from_prefix ? inner_->skip(n - from_prefix) : 0);
    offset_ += skipped;
    return skipped;
  }

  void finish() override { inner_->finish(); }

 private:
  std::unique_ptr<ByteSource> inner_;
  std::string prefix_;
  std::size_t pos_ = 0;
};

}  // namespace

std::unique_ptr<ByteSource> open_source(const std::string& url, const SourceOptions& options) {
  if (url.starts_with("pipe:")) {
    return std::make_unique<PipeSource>(url, url.substr(5), options.timeout);
  }
  if (url.starts_with("http://")) {
    return std::make_unique<HttpSource>(url, options);
  }
  if (url.starts_with("https://")) {
    throw DataError(url, "", 0, "https:// is not built in; use a pipe: pipe:curl -fsS " + url);
  }
  if (const std::size_t scheme = url.find("://"); scheme != std::string::npos && !url.starts_with("file://")) {
    throw DataError(url, "", 0,
                    fmt::format("unknown URL scheme '{}' (use a path, file://, http:// or pipe:CMD)",
                                url.substr(0, scheme)));
  }
  return std::make_unique<FileSource>(url, local_path(url));
}

std::unique_ptr<ByteSource> open_shard(const std::string& url, const SourceOptions& options,
                                       std::uint64_t offset) {
  std::unique_ptr<ByteSource> raw = open_source(url, options);
  std::string head(512, '\0');
  std::size_t got = 0;
  while (got < head.size()) {
    std::size_t n = raw->read(std::as_writable_bytes(std::span(head)).subspan(got));
    if (n == 0) {
      break;
    }
    got += n;
  }
  head.resize(got);
  std::unique_ptr<ByteSource> source;
  if (is_gzip_magic(std::as_bytes(std::span(head)))) {
    source = std::make_unique<GzipSource>(std::move(raw), std::move(head));
  } else {
    source = std::make_unique<PrefixSource>(std::move(raw), std::move(head));
  }
  if (offset > 0 && source->skip(offset) != offset) {
    throw DataError(url, "", source->offset(),
                    fmt::format("the shard is shorter than the resume offset {}", offset));
  }
  return source;
}

std::unique_ptr<ShardReader> open_shard_reader(std::shared_ptr<const std::string> url, std::uint32_t shard,
                                               const SourceOptions& source_options,
                                               const ShardReaderOptions& options, const ShardPosition& start) {
  auto source = open_shard(*url, source_options, start.offset);
  return std::make_unique<ShardReader>(std::move(source), std::move(url), shard, options, start,
                                       source_options.buffer_bytes);
}

std::uint64_t count_samples(const std::string& url, const SourceOptions& source_options,
                            const ShardReaderOptions& options) {
  auto reader = open_shard_reader(std::make_shared<const std::string>(url), 0, source_options, options);
  Sample sample;
  std::uint64_t n = 0;
  for (;;) {
    try {
      if (!reader->next(sample, /*with_data=*/false)) {
        break;
      }
    } catch (const DataError&) {
      if (reader->broken()) {
        throw;
      }
    }
    ++n;
  }
  reader->finish();
  return n;
}

}  // namespace tessera::datasets
