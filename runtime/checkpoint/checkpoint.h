#pragma once

// Checkpoint: one committed checkpoint, opened for reading by one rank.
//
// Which arrays a rank can read depends on how they were saved (see
// checkpoint_state.h): its own local arrays (only when the world size is the
// one that wrote it), every replicated array, and any region of a shard
// array (on any world size: the blocks overlapping the region are read from
// whichever rank files hold them, so a run with another EP size reshards by
// reading its own experts' offsets).
//
//   const Checkpoint* ckpt = context.checkpoints.resumed();
//   if (ckpt != nullptr) {
//     ckpt->read("model/fc1.weight", mutable_array_ref(std::span(weights), {784, 1000}));
//     ckpt->read_region("experts/w1", mutable_array_ref(std::span(mine), {2, d, f}), {2 * rank, 0, 0});
//     if (ckpt->same_world_size()) rng.restore(*ckpt->rng_state());
//   }
//
// Full reads (read()) check the array's checksum; region reads rely on the
// whole-file checksums verified when the checkpoint was chosen for resume.
// Not thread-safe (rank files are opened lazily and cached).

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/checkpoint/manifest.h"

namespace tessera::runtime {

class RankFileReader;

struct ArrayInfo {
  ArrayKind kind = ArrayKind::kLocal;
  DType dtype = DType::kFloat32;
  Shape shape;  // the whole array: a shard array's global shape
};

class Checkpoint {
 public:
  // Opens `dir` for `rank` of a run with `world_size` ranks. Reads and checks
  // the manifest; rank files are checked by verify_checkpoint(). Throws
  // CheckpointError.
  Checkpoint(std::filesystem::path dir, int rank, int world_size);
  ~Checkpoint();
  Checkpoint(Checkpoint&&) noexcept;
  Checkpoint& operator=(Checkpoint&&) noexcept;

  const std::filesystem::path& path() const { return dir_; }
  const Manifest& manifest() const { return manifest_; }
  std::int64_t step() const { return manifest_.step; }
  std::int64_t epoch() const { return manifest_.epoch; }
  // True when the writing run had this run's world size, so local arrays, RNG
  // states and blobs map one-to-one onto ranks.
  bool same_world_size() const { return manifest_.world_size == world_size_; }

  // What this rank can read under `name` (nullopt: nothing).
  std::optional<ArrayInfo> info(std::string_view name) const;
  bool contains(std::string_view name) const { return info(name).has_value(); }
  // Every name info() knows, sorted.
  std::vector<std::string> names() const;

  // Reads the whole array `name` into `out` (dtype and shape must match; a
  // shard array is assembled from its blocks). Throws CheckpointError when
  // missing, mismatched, local to another world size, or damaged.
  void read(std::string_view name, MutableArrayRef out) const;
  // Reads the box of a shard (or replicated) array that starts at `offset`
  // and has out.shape.
  void read_region(std::string_view name, MutableArrayRef out, const Shape& offset) const;

  // The whole array as a vector (its dtype must be T's).
  template <class T>
  std::vector<T> read_vector(std::string_view name) const {
    std::optional<ArrayInfo> i = info(name);
    std::vector<T> values(i ? static_cast<std::size_t>(element_count(i->shape)) : 0);
    read(name, mutable_array_ref(std::span<T>(values), i ? i->shape : Shape{}));
    return values;
  }

  // This rank's RNG state and blobs; nullopt when absent or when the world
  // size differs (jobs then reseed, or rebuild readers from global counters).
  std::optional<std::string> rng_state() const;
  std::optional<std::string> blob(std::string_view key) const;
  // Replicated user metadata.
  std::optional<std::string> metadata(std::string_view key) const;

 private:
  const RankFileReader& reader(int rank) const;
  void check(const ArrayEntry& entry, std::span<const std::byte> bytes) const;

  std::filesystem::path dir_;
  int rank_;
  int world_size_;
  Manifest manifest_;
  mutable std::map<int, std::unique_ptr<RankFileReader>> readers_;
};

}  // namespace tessera::runtime
