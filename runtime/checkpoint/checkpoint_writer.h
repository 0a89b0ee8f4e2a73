#pragma once

// The write protocol of one checkpoint (DESIGN.md, "Run directory"):
//
//   1. rank 0 creates checkpoints/step-XXXXXXXX.tmp/ (removing a stale one);
//   2. every rank writes rank-RRRRR.h5 there, fsyncs it, hashes it (XXH3-64
//      of every array and of the whole file) and reports to rank 0
//      (all_gather: this is the barrier);
//   3. rank 0 checks the reports (same step everywhere, replicated arrays
//      declared alike, shard blocks tiling their global arrays), writes and
//      fsyncs manifest.json, fsyncs the directory, renames it to
//      step-XXXXXXXX/, fsyncs checkpoints/, replaces LATEST atomically
//      (temp file, fsync, rename, fsync), and only then removes checkpoints
//      beyond the newest `keep` (each renamed to *.deleting first, so a
//      half-deleted one is never mistaken for a checkpoint);
//   4. rank 0 broadcasts the outcome; every rank returns or throws the same
//      CheckpointError (naming the rank and the cause, e.g. a full disk).
//
// A process killed at any point leaves the previous checkpoints and LATEST
// as they were, or the new checkpoint complete; leftovers (*.tmp,
// *.deleting) are removed when the next run opens the store.

#include <filesystem>
#include <string>

#include "runtime/checkpoint/checkpoint_state.h"
#include "runtime/coordinator.h"

namespace tessera::runtime {

// What every checkpoint of a run records besides the state.
struct CheckpointHeader {
  std::string job;     // job kind
  std::string name;    // run name
  std::string config;  // resolved YAML
};

// Writes `state` (this rank's part) as a checkpoint under `checkpoints_dir`
// and returns its directory. Collective over `coordinator`; every rank passes
// its state for the same step. Throws CheckpointError on every rank if any
// rank failed.
std::filesystem::path write_checkpoint(const std::filesystem::path& checkpoints_dir,
                                       const CheckpointState& state, const CheckpointHeader& header,
                                       int keep, Coordinator& coordinator);

// Removes leftovers of interrupted writes and deletions (*.tmp, *.deleting).
// Call on one rank while no checkpoint is being written.
void remove_checkpoint_leftovers(const std::filesystem::path& checkpoints_dir);

}  // namespace tessera::runtime
