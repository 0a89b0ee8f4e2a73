#pragma once

// GzipSource: inflates a gzip stream (one or several concatenated members)
// read from another source. offset() counts decompressed bytes. A stream that
// ends before its gzip trailer is a DataError ("truncated gzip stream").

#include <memory>
#include <string>

#include "datasets/byte_source.h"

namespace tessera::datasets {

class GzipSource final : public ByteSource {
 public:
  // `prefix`: bytes already read from `compressed` (its first bytes).
  GzipSource(std::unique_ptr<ByteSource> compressed, std::string prefix);
  ~GzipSource() override;

  std::size_t read(std::span<std::byte> dst) override;
  void finish() override;

 private:
  struct Inflater;
  std::unique_ptr<ByteSource> compressed_;
  std::unique_ptr<Inflater> z_;
};

// True if `bytes` start with the gzip magic (1f 8b).
bool is_gzip_magic(std::span<const std::byte> bytes);

}  // namespace tessera::datasets
