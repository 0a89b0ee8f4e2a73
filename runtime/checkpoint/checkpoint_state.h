#pragma once

// CheckpointState: what one rank hands to CheckpointStore::save() for one step.
//
// Three kinds of arrays, chosen by how the job holds its state:
//   local       this rank's own state (per-rank buffers, an optimizer shard
//               that is not described by global offsets). Read back only by
//               the same rank of a run with the same world size.
//   replicated  equal on every rank (data-parallel weights and optimizer
//               state). Written once, by rank 0; readable by every rank of a
//               run of any world size. Every rank may add it (ranks other
//               than 0 only declare it: name, dtype and shape are checked to
//               agree across ranks, the bytes are not written).
//   shard       one block of a global array, with the global shape and the
//               block's offset (MoE experts by global expert id, sharded
//               optimizer state). The blocks of all ranks must tile the
//               global array exactly (identical blocks from several replicas
//               are accepted); any region can be read back on any world size.
//
// Besides arrays, each rank contributes its RNG state and opaque blobs (a data
// reader's position), and every rank may set replicated string metadata
// (rank 0's values are kept).
//
// Names are paths ("model/fc1.weight"; '/' nests HDF5 groups), unique per
// rank, and one name is one kind on every rank.
//
// Buffers are referenced, not copied: they must stay valid and unchanged until
// save() returns (in async mode save() copies them before returning).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "runtime/checkpoint/array_ref.h"

namespace tessera::runtime {

enum class ArrayKind : std::uint8_t { kLocal, kReplicated, kShard };

// "local", "replicated", "shard".
std::string_view array_kind_name(ArrayKind kind);

struct StateArray {
  std::string name;
  ArrayKind kind = ArrayKind::kLocal;
  ArrayRef data;        // for a shard: this block
  Shape global_shape;   // shards only
  Shape offset;         // shards only: the block's first index in the global array
};

class CheckpointState {
 public:
  // The state after `step` steps (and `epoch` epochs).
  explicit CheckpointState(std::int64_t step, std::int64_t epoch = 0) : step_(step), epoch_(epoch) {}

  std::int64_t step() const { return step_; }
  std::int64_t epoch() const { return epoch_; }

  // Throws InternalError for a bad name, a duplicate, a size that does not
  // match dtype and shape, or a block outside its global shape.
  void add_local(std::string name, ArrayRef array);
  void add_replicated(std::string name, ArrayRef array);
  void add_shard(std::string name, ArrayRef block, Shape global_shape, Shape offset);

  // This rank's random-number state, in the job's own encoding.
  void set_rng_state(std::string bytes) { rng_state_ = std::move(bytes); }
  // This rank's opaque state under `key` (e.g. "data/train" -> reader position).
  void set_blob(std::string key, std::string bytes) { blobs_[std::move(key)] = std::move(bytes); }
  // Replicated string metadata (rank 0's values are saved).
  void set_metadata(std::string key, std::string value) { metadata_[std::move(key)] = std::move(value); }

  const std::vector<StateArray>& arrays() const { return arrays_; }
  const std::string& rng_state() const { return rng_state_; }
  const std::map<std::string, std::string>& blobs() const { return blobs_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  // Replaces every view by an owned copy, so the job may change its buffers
  // while a background thread writes (async saves).
  void own_copies();

 private:
  void add(StateArray array);

  std::int64_t step_;
  std::int64_t epoch_;
  std::vector<StateArray> arrays_;
  std::string rng_state_;
  std::map<std::string, std::string> blobs_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace tessera::runtime
