#include "runtime/checkpoint/checkpoint.h"

#include <xxhash.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "runtime/checkpoint/checkpoint_files.h"
#include "runtime/checkpoint/rank_file.h"
#include "runtime/error.h"

namespace tessera::runtime {

Checkpoint::Checkpoint(std::filesystem::path dir, int rank, int world_size)
    : dir_(std::move(dir)), rank_(rank), world_size_(world_size), manifest_(read_manifest(dir_)) {}

Checkpoint::~Checkpoint() = default;
Checkpoint::Checkpoint(Checkpoint&&) noexcept = default;
Checkpoint& Checkpoint::operator=(Checkpoint&&) noexcept = default;

const RankFileReader& Checkpoint::reader(int rank) const {
  auto it = readers_.find(rank);
  if (it == readers_.end()) {
    const RankEntry& entry = manifest_.ranks.at(static_cast<std::size_t>(rank));
    try {
      it = readers_.emplace(rank, std::make_unique<RankFileReader>(dir_ / entry.file)).first;
    } catch (const IoError& e) {
      throw CheckpointError(dir_, e.what());
    }
  }
  return *it->second;
}

std::optional<ArrayInfo> Checkpoint::info(std::string_view name) const {
  // Local arrays belong to a rank only when the world size is the same.
  const int local_rank = same_world_size() ? rank_ : -1;
  if (const ArrayEntry* e = manifest_.find(name, local_rank); e != nullptr) {
    return ArrayInfo{e->kind, e->dtype, e->shape};
  }
  std::vector<std::pair<int, const ArrayEntry*>> blocks = manifest_.shards(name);
  if (!blocks.empty()) {
    return ArrayInfo{ArrayKind::kShard, blocks.front().second->dtype, blocks.front().second->global_shape};
  }
  return std::nullopt;
}

std::vector<std::string> Checkpoint::names() const {
  std::set<std::string> names;
  for (const RankEntry& r : manifest_.ranks) {
    for (const ArrayEntry& a : r.arrays) {
      if (a.kind != ArrayKind::kLocal || (same_world_size() && r.rank == rank_)) {
        names.insert(a.name);
      }
    }
  }
  return {names.begin(), names.end()};
}

void Checkpoint::check(const ArrayEntry& entry, std::span<const std::byte> bytes) const {
  const std::uint64_t actual = XXH3_64bits(bytes.data(), bytes.size());
  if (actual != entry.checksum) {
    throw CheckpointError(dir_, fmt::format("array '{}' ({}) checksum mismatch: recorded {}, read {}",
                                            entry.name, entry.dataset, checksum_string(entry.checksum),
                                            checksum_string(actual)));
  }
}

void Checkpoint::read(std::string_view name, MutableArrayRef out) const {
  const ArrayEntry* entry = manifest_.find(name, same_world_size() ? rank_ : -1);
  const bool local_elsewhere =
      entry == nullptr && !same_world_size() &&
      std::any_of(manifest_.ranks.begin(), manifest_.ranks.end(), [&](const RankEntry& r) {
        return std::any_of(r.arrays.begin(), r.arrays.end(), [&](const ArrayEntry& a) {
          return a.kind == ArrayKind::kLocal && a.name == name;
        });
      });
  if (local_elsewhere) {
    throw CheckpointError(dir_, fmt::format("array '{}' is local to each of the {} ranks that wrote "
                                            "it; this run has {} ranks, so it cannot be read here",
                                            name, manifest_.world_size, world_size_));
  }
  if (entry != nullptr) {
    const int owner = entry->kind == ArrayKind::kLocal ? rank_ : 0;
    reader(owner).read(*entry, out);
    check(*entry, out.bytes);
    return;
  }
  if (manifest_.shards(name).empty()) {
    throw CheckpointError(dir_, fmt::format("no array '{}' in this checkpoint", name));
  }
  read_region(name, std::move(out), Shape(out.shape.size(), 0));
}

void Checkpoint::read_region(std::string_view name, MutableArrayRef out, const Shape& offset) const {
  check_array_size(name, out.dtype, out.shape, out.bytes.size());
  const std::size_t rank = out.shape.size();
  if (offset.size() != rank) {
    throw CheckpointError(dir_, fmt::format("read_region('{}'): offset {} for a box of shape {}", name,
                                            shape_string(offset), shape_string(out.shape)));
  }
  // A replicated array is one block that covers everything, in rank 0's file.
  std::vector<std::pair<int, const ArrayEntry*>> blocks = manifest_.shards(name);
  const ArrayEntry* replicated = manifest_.find(name, -1);
  Shape global;
  if (replicated != nullptr && replicated->kind == ArrayKind::kReplicated) {
    blocks = {{0, replicated}};
    global = replicated->shape;
  } else if (!blocks.empty()) {
    global = blocks.front().second->global_shape;
  } else {
    throw CheckpointError(dir_, fmt::format("no shard or replicated array '{}' in this checkpoint", name));
  }
  const ArrayEntry& first = *blocks.front().second;
  if (first.dtype != out.dtype || global.size() != rank) {
    throw CheckpointError(dir_, fmt::format("array '{}' is {} {}, the reader expects {} with {} dimensions",
                                            name, dtype_name(first.dtype), shape_string(global),
                                            dtype_name(out.dtype), rank));
  }
  for (std::size_t d = 0; d < rank; ++d) {
    if (offset[d] < 0 || offset[d] + out.shape[d] > global[d]) {
      throw CheckpointError(dir_, fmt::format("read_region('{}'): box {} at {} is outside the global "
                                              "shape {}",
                                              name, shape_string(out.shape), shape_string(offset),
                                              shape_string(global)));
    }
  }
  std::set<std::pair<Shape, Shape>> seen;  // replicas of one block are read once
  std::int64_t covered = 0;
  for (const auto& [owner, block] : blocks) {
    const Shape block_offset = block->kind == ArrayKind::kShard ? block->offset : Shape(rank, 0);
    if (!seen.insert({block_offset, block->shape}).second) {
      continue;
    }
    Shape from(rank), count(rank), to(rank);
    bool empty = false;
    for (std::size_t d = 0; d < rank; ++d) {
      const std::int64_t lo = std::max(offset[d], block_offset[d]);
      const std::int64_t hi = std::min(offset[d] + out.shape[d], block_offset[d] + block->shape[d]);
      if (lo >= hi) {
        empty = true;
        break;
      }
      from[d] = lo - block_offset[d];
      count[d] = hi - lo;
      to[d] = lo - offset[d];
    }
    if (empty) {
      continue;
    }
    reader(owner).read_box(*block, from, count, out, to);
    covered += element_count(count);
  }
  if (covered != element_count(out.shape)) {
    throw CheckpointError(dir_, fmt::format("array '{}': the saved blocks cover {} of the {} elements "
                                            "of box {} at {}",
                                            name, covered, element_count(out.shape),
                                            shape_string(out.shape), shape_string(offset)));
  }
}

std::optional<std::string> Checkpoint::rng_state() const {
  if (!same_world_size()) {
    return std::nullopt;
  }
  const std::string& state = manifest_.ranks.at(static_cast<std::size_t>(rank_)).rng_state;
  return state.empty() ? std::nullopt : std::optional<std::string>(state);
}

std::optional<std::string> Checkpoint::blob(std::string_view key) const {
  if (!same_world_size()) {
    return std::nullopt;
  }
  const auto& blobs = manifest_.ranks.at(static_cast<std::size_t>(rank_)).blobs;
  auto it = blobs.find(std::string(key));
  return it == blobs.end() ? std::nullopt : std::optional<std::string>(it->second);
}

std::optional<std::string> Checkpoint::metadata(std::string_view key) const {
  auto it = manifest_.metadata.find(std::string(key));
  return it == manifest_.metadata.end() ? std::nullopt : std::optional<std::string>(it->second);
}

}  // namespace tessera::runtime
