#pragma once

// Helpers for datasets tests: shards written with tessera's TarWriter or by
// other tools, read back sample by sample.

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "datasets/sample.h"
#include "datasets/shard_reader.h"
#include "datasets/tar_writer.h"

namespace tessera::datasets::testing {

using Members = std::vector<std::pair<std::string, std::string>>;  // name, content

// The bytes of a tar archive holding `members` in order (written by TarWriter).
std::string tar_bytes(const Members& members);

// Recomputes the checksum of the 512-byte header at `offset` of `tar`.
void fix_checksum(std::string& tar, std::size_t offset);

// Samples of the archive `bytes` (url "mem.tar").
std::vector<Sample> read_samples(const std::string& bytes, ShardReaderOptions options = {});

// "key: ext1=content1 ext2=content2" per sample, for compact assertions.
std::vector<std::string> describe(const std::vector<Sample>& samples);

// Writes shard `path` with samples "<prefix>NNNNNN" (n of them), each with a
// .cls (the global index `first + i`), a .txt and an .npy uint8 [4] array.
void write_numbered_shard(const std::filesystem::path& path, const std::string& prefix, std::uint64_t first,
                          std::uint64_t n);

// Writes `shards` numbered shards dir/s-000000.tar ... holding `per_shard`
// samples each (or per_shard[i]); returns the brace spec.
std::string write_numbered_shards(const std::filesystem::path& dir, const std::vector<std::uint64_t>& per_shard);

// The file's content.
std::string slurp(const std::filesystem::path& path);
void spit(const std::filesystem::path& path, const std::string& bytes);

}  // namespace tessera::datasets::testing
