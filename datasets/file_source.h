#pragma once

// FileSource: a local shard file ("path" or "file://path"). skip() seeks.

#include <string>

#include "datasets/byte_source.h"

namespace tessera::datasets {

class FileSource final : public ByteSource {
 public:
  // Opens `path`; throws DataError naming `url` when it cannot.
  FileSource(std::string url, const std::string& path);
  ~FileSource() override;

  std::size_t read(std::span<std::byte> dst) override;
  std::uint64_t skip(std::uint64_t n) override;

 private:
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace tessera::datasets
