#pragma once

// ShardWriter: writes samples into numbered shards, starting a new shard when
// the current one holds `max_samples` samples or `max_bytes` bytes (checked
// before each sample, so a shard may exceed max_bytes by one sample), as
// webdataset's ShardWriter does.
//
//   ShardWriter w("out/train-%06d.tar", {.max_samples = 1000});
//   w.write({.key = "000001", .fields = {{"npy", npy}, {"cls", "3"}}});
//   w.close();   // w.shards(): out/train-000000.tar, ...

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "datasets/tar_writer.h"

namespace tessera::datasets {

struct ShardWriterOptions {
  std::uint64_t max_samples = 100000;     // samples per shard
  std::uint64_t max_bytes = 3'000'000'000;  // tar bytes per shard
  std::uint64_t start_shard = 0;          // number of the first shard
  TarWriterOptions tar;
};

class ShardWriter {
 public:
  // `pattern` holds one printf-style integer conversion ("%06d" or "%d").
  // Throws ConfigError for a pattern without one.
  ShardWriter(std::string pattern, ShardWriterOptions options = {});
  ~ShardWriter();

  void write(const OutSample& sample);
  // Closes the last shard. Without close(), the unfinished shard is discarded.
  void close();

  // Shards completed so far.
  const std::vector<std::filesystem::path>& shards() const { return shards_; }
  std::uint64_t samples() const { return samples_; }

  // The name of shard `number` under `pattern`.
  static std::string shard_name(const std::string& pattern, std::uint64_t number);

 private:
  std::string pattern_;
  ShardWriterOptions options_;
  std::unique_ptr<TarWriter> current_;
  std::uint64_t next_shard_;
  std::uint64_t samples_ = 0;
  std::vector<std::filesystem::path> shards_;
};

}  // namespace tessera::datasets
