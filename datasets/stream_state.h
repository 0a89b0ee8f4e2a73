#pragma once

// The resumable state of a SampleStream, serialized with cereal (binary) into
// the opaque blob that checkpoints store per rank.
//
// A state is taken between two next() calls. It holds, for every reader
// thread, where the next sample it would deliver starts (pass, shard index in
// its deal, byte offset and sample index within the shard); the shuffle
// buffer as the locations of the samples in it (they are read again on
// restore); the shuffle RNG; and the counters. Samples already read ahead by
// the threads are not part of it: they are read again.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <cereal/types/array.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "datasets/sample.h"
#include "datasets/shard_reader.h"

namespace tessera::datasets {

// Counters of a stream (cumulative over epochs; restored with the state).
struct StreamStats {
  std::uint64_t samples = 0;          // samples delivered
  std::uint64_t bytes = 0;            // their payload bytes
  std::uint64_t skipped_samples = 0;  // bad samples skipped (on_error: skip)
  std::uint64_t skipped_shards = 0;   // shards (or rests of shards) skipped as unreadable
  std::uint64_t wrapped_passes = 0;   // times a rank wrapped around its shards within an epoch

  template <class Archive>
  void serialize(Archive& ar) {
    ar(samples, bytes, skipped_samples, skipped_shards, wrapped_passes);
  }
};

// Where one reader thread stands.
struct WorkerCursor {
  std::uint64_t index = 0;      // shard index within its deal of the pass (draw index if resampled)
  ShardPosition position;       // the next sample within that shard
  bool exhausted = false;       // done with its deal of the pass

  template <class Archive>
  void serialize(Archive& ar) {
    ar(index, position, exhausted);
  }
};

struct StreamState {
  static constexpr std::uint32_t kMagic = 0x54445331;  // "TDS1"
  std::uint32_t magic = kMagic;
  // What the stream was built for; a restore into a different one is refused.
  std::uint64_t shards_hash = 0;
  std::uint32_t shards = 0;
  int rank = 0;
  int world = 1;
  int workers = 1;
  std::uint64_t seed = 0;
  std::uint64_t settings_hash = 0;
  // Where it stands.
  std::int64_t epoch = 0;
  bool running = false;          // an epoch is in progress
  std::uint64_t limit = 0;       // samples this epoch (0: no limit)
  bool wrap = false;
  std::int64_t pass = 0;         // wrap-around pass within the epoch
  std::uint64_t pass_taken = 0;  // samples taken in this pass
  std::uint64_t taken = 0;       // samples taken from the readers this epoch
  std::uint32_t next_worker = 0;
  bool merge_done = false;
  bool shuffle_started = false;
  std::array<std::uint64_t, 4> rng{};
  std::vector<WorkerCursor> cursors;
  std::vector<SampleLocation> buffer;
  StreamStats stats;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(magic, shards_hash, shards, rank, world, workers, seed, settings_hash, epoch, running, limit, wrap, pass, pass_taken, taken,
       next_worker, merge_done, shuffle_started, rng, cursors, buffer, stats);
  }
};

}  // namespace tessera::datasets
