#include "runtime/checkpoint/manifest.h"

#include <xxhash.h>

#include <fstream>
#include <limits>
#include <sstream>

#include <cereal/archives/binary.hpp>
#include <cereal/archives/json.hpp>
#include <cereal/external/base64.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::runtime {

// cereal finds these by argument-dependent lookup, so they live in the types'
// namespace. Binary strings (RNG states, blobs) travel as base64 so the JSON
// stays valid UTF-8.
namespace {

std::string to_base64(const std::string& bytes) {
  return cereal::base64::encode(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

ArrayKind kind_from_name(const std::string& name) {
  for (ArrayKind kind : {ArrayKind::kLocal, ArrayKind::kReplicated, ArrayKind::kShard}) {
    if (array_kind_name(kind) == name) {
      return kind;
    }
  }
  throw Error(fmt::format("unknown array kind '{}'", name));
}

std::uint64_t parse_checksum(const std::string& text) {
  if (text.size() != 21 || text.compare(0, 5, "xxh3:") != 0) {
    throw Error(fmt::format("bad checksum '{}'", text));
  }
  return std::stoull(text.substr(5), nullptr, 16);
}

}  // namespace

template <class Archive>
void save(Archive& ar, const ArrayEntry& e) {
  ar(cereal::make_nvp("name", e.name), cereal::make_nvp("kind", std::string(array_kind_name(e.kind))),
     cereal::make_nvp("dtype", std::string(dtype_name(e.dtype))), cereal::make_nvp("shape", e.shape),
     cereal::make_nvp("global_shape", e.global_shape), cereal::make_nvp("offset", e.offset),
     cereal::make_nvp("dataset", e.dataset), cereal::make_nvp("checksum", checksum_string(e.checksum)));
}

template <class Archive>
void load(Archive& ar, ArrayEntry& e) {
  std::string kind;
  std::string dtype;
  std::string checksum;
  ar(cereal::make_nvp("name", e.name), cereal::make_nvp("kind", kind), cereal::make_nvp("dtype", dtype),
     cereal::make_nvp("shape", e.shape), cereal::make_nvp("global_shape", e.global_shape),
     cereal::make_nvp("offset", e.offset), cereal::make_nvp("dataset", e.dataset),
     cereal::make_nvp("checksum", checksum));
  e.kind = kind_from_name(kind);
  std::optional<DType> parsed = dtype_from_name(dtype);
  if (!parsed) {
    throw Error(fmt::format("array '{}': unknown dtype '{}'", e.name, dtype));
  }
  e.dtype = *parsed;
  e.checksum = parse_checksum(checksum);
}

template <class Archive>
void save(Archive& ar, const RankEntry& e) {
  std::map<std::string, std::string> blobs;
  for (const auto& [key, bytes] : e.blobs) {
    blobs[key] = to_base64(bytes);
  }
  ar(cereal::make_nvp("rank", e.rank), cereal::make_nvp("file", e.file),
     cereal::make_nvp("file_bytes", e.file_bytes),
     cereal::make_nvp("file_checksum", checksum_string(e.file_checksum)),
     cereal::make_nvp("arrays", e.arrays), cereal::make_nvp("declared", e.declared),
     cereal::make_nvp("rng_state", to_base64(e.rng_state)), cereal::make_nvp("blobs", blobs));
}

template <class Archive>
void load(Archive& ar, RankEntry& e) {
  std::string checksum;
  std::string rng;
  std::map<std::string, std::string> blobs;
  ar(cereal::make_nvp("rank", e.rank), cereal::make_nvp("file", e.file),
     cereal::make_nvp("file_bytes", e.file_bytes), cereal::make_nvp("file_checksum", checksum),
     cereal::make_nvp("arrays", e.arrays), cereal::make_nvp("declared", e.declared),
     cereal::make_nvp("rng_state", rng), cereal::make_nvp("blobs", blobs));
  e.file_checksum = parse_checksum(checksum);
  e.rng_state = cereal::base64::decode(rng);
  e.blobs.clear();
  for (const auto& [key, text] : blobs) {
    e.blobs[key] = cereal::base64::decode(text);
  }
}

template <class Archive>
void serialize(Archive& ar, Manifest& m) {
  ar(cereal::make_nvp("format", m.format), cereal::make_nvp("tessera_version", m.tessera_version),
     cereal::make_nvp("job", m.job), cereal::make_nvp("name", m.name),
     cereal::make_nvp("step", m.step), cereal::make_nvp("epoch", m.epoch),
     cereal::make_nvp("world_size", m.world_size), cereal::make_nvp("unix_time", m.unix_time),
     cereal::make_nvp("metadata", m.metadata), cereal::make_nvp("ranks", m.ranks),
     cereal::make_nvp("config", m.config));
}

namespace {

// Everything before this marker is covered by the checksum that follows it.
constexpr std::string_view kChecksumMarker = ",\n  \"checksum\": \"";

}  // namespace

std::string checksum_string(std::uint64_t checksum) { return fmt::format("xxh3:{:016x}", checksum); }

const ArrayEntry* Manifest::find(std::string_view array, int rank) const {
  for (const RankEntry& r : ranks) {
    if (r.rank != rank && r.rank != 0) {
      continue;
    }
    for (const ArrayEntry& a : r.arrays) {
      if (a.name != array) {
        continue;
      }
      if ((a.kind == ArrayKind::kLocal && r.rank == rank) || a.kind == ArrayKind::kReplicated) {
        return &a;
      }
    }
  }
  return nullptr;
}

std::vector<std::pair<int, const ArrayEntry*>> Manifest::shards(std::string_view array) const {
  std::vector<std::pair<int, const ArrayEntry*>> out;
  for (const RankEntry& r : ranks) {
    for (const ArrayEntry& a : r.arrays) {
      if (a.kind == ArrayKind::kShard && a.name == array) {
        out.emplace_back(r.rank, &a);
      }
    }
  }
  return out;
}

std::uint64_t Manifest::total_bytes() const {
  std::uint64_t total = 0;
  for (const RankEntry& r : ranks) {
    total += r.file_bytes;
  }
  return total;
}

std::string encode_manifest(const Manifest& manifest) {
  std::ostringstream out;
  {
    cereal::JSONOutputArchive archive(
        out, cereal::JSONOutputArchive::Options(
                 std::numeric_limits<double>::max_digits10,
                 cereal::JSONOutputArchive::Options::IndentChar::space, 2));
    archive(cereal::make_nvp("manifest", const_cast<Manifest&>(manifest)));  // NOLINT: serialize() is shared with load
  }
  std::string text = out.str();
  // Reopen the outer object and append the checksum as its last member.
  const std::size_t close = text.rfind('}');
  TESSERA_CHECK(close != std::string::npos, "cereal wrote no JSON object");
  text.resize(close);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  const std::uint64_t sum = XXH3_64bits(text.data(), text.size());
  return fmt::format("{}{}{}\"\n}}\n", text, kChecksumMarker, checksum_string(sum));
}

Manifest decode_manifest(std::string_view text, const std::filesystem::path& path) {
  const std::size_t marker = text.rfind(kChecksumMarker);
  if (marker == std::string_view::npos) {
    throw CheckpointError(path, "manifest.json is truncated (no checksum line)");
  }
  const std::size_t start = marker + kChecksumMarker.size();
  const std::size_t end = text.find('"', start);
  if (end == std::string_view::npos) {
    throw CheckpointError(path, "manifest.json is truncated (in the checksum line)");
  }
  const std::string recorded(text.substr(start, end - start));
  const std::string actual = checksum_string(XXH3_64bits(text.data(), marker));
  if (recorded != actual) {
    throw CheckpointError(path, fmt::format("manifest.json checksum mismatch (recorded {}, "
                                            "content hashes to {}): the file changed after writing",
                                            recorded, actual));
  }
  Manifest manifest;
  try {
    std::istringstream in{std::string(text)};
    cereal::JSONInputArchive archive(in);
    archive(cereal::make_nvp("manifest", manifest));
  } catch (const std::exception& e) {
    throw CheckpointError(path, fmt::format("manifest.json cannot be parsed: {}", e.what()));
  }
  if (manifest.format != kCheckpointFormat) {
    throw CheckpointError(path, fmt::format("checkpoint format {} is not supported (this tessera "
                                            "reads format {})",
                                            manifest.format, kCheckpointFormat));
  }
  if (manifest.world_size < 1 || static_cast<int>(manifest.ranks.size()) != manifest.world_size) {
    throw CheckpointError(path, fmt::format("manifest.json lists {} rank files for world size {}",
                                            manifest.ranks.size(), manifest.world_size));
  }
  for (int r = 0; r < manifest.world_size; ++r) {
    if (manifest.ranks[static_cast<std::size_t>(r)].rank != r) {
      throw CheckpointError(path, fmt::format("manifest.json: rank entries out of order at {}", r));
    }
  }
  return manifest;
}

Manifest read_manifest(const std::filesystem::path& dir) {
  const std::filesystem::path file = dir / kManifestFile;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw CheckpointError(dir, std::filesystem::exists(dir)
                                   ? "manifest.json is missing (the checkpoint was never completed)"
                                   : "no such checkpoint directory");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return decode_manifest(text.str(), dir);
}

std::string encode_rank_entry(const RankEntry& entry) {
  std::ostringstream out;
  {
    cereal::BinaryOutputArchive archive(out);
    archive(entry);
  }
  return out.str();
}

RankEntry decode_rank_entry(std::string_view bytes) {
  RankEntry entry;
  std::istringstream in{std::string(bytes)};
  cereal::BinaryInputArchive archive(in);
  archive(entry);
  return entry;
}

}  // namespace tessera::runtime
