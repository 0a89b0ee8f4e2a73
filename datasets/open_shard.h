#pragma once

// Opening shards by URL: the one place that knows every source kind.
//
//   path, file://path    FileSource
//   http://...           HttpSource
//   pipe:CMD             PipeSource
// and gzip (by magic bytes) on top of any of them.

#include <cstdint>
#include <memory>
#include <string>

#include "datasets/byte_source.h"
#include "datasets/shard_reader.h"

namespace tessera::datasets {

// Opens `url` as it is (no gzip detection), at its beginning.
// Throws DataError (missing file, unknown scheme).
std::unique_ptr<ByteSource> open_source(const std::string& url, const SourceOptions& options);

// Opens the shard at `url` for reading tar bytes from `offset` of its
// (decompressed) stream: gzip is detected by magic bytes and inflated.
std::unique_ptr<ByteSource> open_shard(const std::string& url,
                                       const SourceOptions& options,
                                       std::uint64_t offset = 0);

// A ShardReader over open_shard(url, ..., start.offset).
std::unique_ptr<ShardReader> open_shard_reader(std::shared_ptr<const std::string> url,
                                               std::uint32_t shard,
                                               const SourceOptions& source_options,
                                               const ShardReaderOptions& options,
                                               const ShardPosition& start = {});

// Counts the samples of a shard by reading its headers only (data is seeked
// over for local files). Throws DataError.
std::uint64_t count_samples(const std::string& url,
                            const SourceOptions& source_options,
                            const ShardReaderOptions& options);

}  // namespace tessera::datasets
