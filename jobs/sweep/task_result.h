#pragma once

// What a sweep task accumulates: scalar counters plus named numeric arrays.
//
// Everything is additive, so results of chunks (and of resumed or merged
// runs) combine by addition: counters add, arrays add element-wise (same
// shape required). A kernel that wants a mean reports sums and divides by
// `shots` when reading; a task that runs as a single chunk (photons,
// layerwise training) simply reports its arrays once.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tessera::jobs::sweep {

struct Counts {
  std::int64_t shots = 0;     // work units done (QEC shots; 1 per simulation or training run)
  std::int64_t errors = 0;    // what max_errors counts (QEC: logical errors)
  std::int64_t discards = 0;  // postselected-away shots (sinter's column)
  double seconds = 0;         // CPU-core seconds spent (measured by the engine)
  std::map<std::string, std::int64_t> custom;  // further counters (sinter's custom_counts)

  Counts& operator+=(const Counts& other);
  bool operator==(const Counts&) const = default;
};

// A dense row-major array of doubles: shape {cycles, sites}, {steps}, ...
struct NumericArray {
  std::vector<std::uint64_t> shape;
  std::vector<double> values;

  // Throws DataError-free InternalError when shapes differ.
  NumericArray& operator+=(const NumericArray& other);
  bool operator==(const NumericArray&) const = default;
};

struct ChunkResult {
  Counts counts;
  std::map<std::string, NumericArray> arrays;

  ChunkResult& operator+=(const ChunkResult& other);
  bool operator==(const ChunkResult&) const = default;
};

}  // namespace tessera::jobs::sweep
