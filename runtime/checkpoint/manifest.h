#pragma once

// Manifest: the index of one checkpoint, written last by rank 0.
//
//   checkpoints/step-00000200/
//     manifest.json    this index (JSON through cereal), self-checksummed
//     rank-00000.h5    rank 0's arrays (and the replicated ones)
//     rank-00001.h5    ...
//
// manifest.json is ordinary JSON (`jq .manifest.step`): {"manifest": {...},
// "checksum": "xxh3:<16 hex>"}, where the checksum covers every byte before
// the line holding it. The manifest records, for every rank, its file's size
// and XXH3-64 checksum, every array (kind, dtype, shape, global shape and
// offset for shards, checksum of its bytes), the rank's RNG state and blobs;
// and for the whole checkpoint the job kind, resolved config, step, epoch,
// world size, tessera version, time and user metadata.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/checkpoint/array_ref.h"
#include "runtime/checkpoint/checkpoint_state.h"

namespace tessera::runtime {

inline constexpr int kCheckpointFormat = 1;
inline constexpr std::string_view kManifestFile = "manifest.json";
inline constexpr std::string_view kLatestFile = "LATEST";

struct ArrayEntry {
  std::string name;
  ArrayKind kind = ArrayKind::kLocal;
  DType dtype = DType::kFloat32;
  Shape shape;
  Shape global_shape;        // shards only
  Shape offset;              // shards only
  std::string dataset;       // path inside the rank file
  std::uint64_t checksum = 0;  // XXH3-64 of the array's bytes
};

struct RankEntry {
  int rank = 0;
  std::string file;                  // "rank-00001.h5"
  std::uint64_t file_bytes = 0;
  std::uint64_t file_checksum = 0;   // XXH3-64 of the whole file
  std::vector<ArrayEntry> arrays;    // what the file holds (replicated ones only in rank 0's)
  std::vector<ArrayEntry> declared;  // replicated arrays declared but not written (ranks > 0)
  std::string rng_state;
  std::map<std::string, std::string> blobs;
};

struct Manifest {
  int format = kCheckpointFormat;
  std::string tessera_version;
  std::string job;                   // job kind
  std::string name;                  // run name
  std::string config;                // resolved YAML
  std::int64_t step = 0;
  std::int64_t epoch = 0;
  int world_size = 1;
  double unix_time = 0;              // when it was committed
  std::map<std::string, std::string> metadata;
  std::vector<RankEntry> ranks;

  // The entry of `name` for a reader on `rank`: its own local array, or the
  // replicated array (rank 0's). nullptr when there is none.
  const ArrayEntry* find(std::string_view array, int rank) const;
  // Every block of shard array `name`, with the rank whose file holds it.
  std::vector<std::pair<int, const ArrayEntry*>> shards(std::string_view array) const;
  // Total bytes of all rank files.
  std::uint64_t total_bytes() const;
};

// The manifest as the text of manifest.json.
std::string encode_manifest(const Manifest& manifest);
// Parses and verifies manifest.json's text. Throws CheckpointError naming
// `path` and what is wrong (truncated, checksum mismatch, unknown format).
Manifest decode_manifest(std::string_view text, const std::filesystem::path& path);
// Reads and decodes `dir`/manifest.json.
Manifest read_manifest(const std::filesystem::path& dir);

// One rank's entry in the compact binary form ranks exchange before commit.
std::string encode_rank_entry(const RankEntry& entry);
RankEntry decode_rank_entry(std::string_view bytes);

// "xxh3:0123456789abcdef".
std::string checksum_string(std::uint64_t checksum);

}  // namespace tessera::runtime
