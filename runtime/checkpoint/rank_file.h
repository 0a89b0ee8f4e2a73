#pragma once

// One rank's part of a checkpoint: an HDF5 file with one dataset per array.
//
//   /local/<name>          this rank's local arrays
//   /replicated/<name>     replicated arrays (rank 0's file only)
//   /shard/<name>@<k>      the k-th block this rank holds of shard array <name>
//
// Each dataset carries a "dtype" attribute (and "global_shape"/"offset" for
// blocks) so h5dump/h5py users can read a file without the manifest. Files
// are written without object timestamps, so equal state gives equal bytes.

#include <filesystem>
#include <map>
#include <string>

#include "runtime/checkpoint/manifest.h"
#include "runtime/h5/h5_handle.h"

namespace tessera::runtime {

// Writes `state`'s arrays for `rank` to `file` (replicated ones only when
// `write_replicated`), closes and fsyncs it, and returns the rank's manifest
// entry: arrays with checksums, file size and checksum, RNG state, blobs.
// Throws IoError (a full disk, say) naming the file.
RankEntry write_rank_file(const std::filesystem::path& file, int rank, const CheckpointState& state,
                          bool write_replicated);

// Reads arrays back from one rank file.
class RankFileReader {
 public:
  explicit RankFileReader(const std::filesystem::path& file);

  // Reads the whole dataset of `entry` into `out` (same dtype and shape).
  void read(const ArrayEntry& entry, MutableArrayRef out) const;

  // Reads `count` elements per dimension starting at `from` inside the
  // dataset of `entry` into `out` starting at `to` (an N-d box copy).
  void read_box(const ArrayEntry& entry, const Shape& from, const Shape& count, MutableArrayRef out,
                const Shape& to) const;

 private:
  std::filesystem::path file_;
  h5::Handle handle_;
};

}  // namespace tessera::runtime
