#pragma once

// A text corpus to byte-level WebDataset shards (what the MoE job trains on):
//
//   DIR/<name>-train-%06d.tar, DIR/<name>-eval-%06d.tar
//
// The input files (default: the fortunes under /usr/share/games/fortunes;
// directories contribute their regular files, sorted, except *.dat indexes)
// are concatenated in order, byte for byte. The result is cut into
// non-overlapping windows of `seq_len` bytes; a final partial window is
// dropped. Each window is one sample:
//
//   key  "<name>-00000123"       (the window's index in the corpus)
//   .npy uint8 [seq_len]         the bytes (values 0-255; UTF-8 stays as bytes)
//
// A language model predicts byte t+1 from bytes 0..t of a window (inputs
// w[:-1], targets w[1:]). The last `eval_fraction` of the windows go to the
// eval shards, the rest to the train shards. Data config:
// fields: {tokens: npy}.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "datasets/fashion_mnist.h"

namespace tessera::datasets {

inline constexpr const char* kFortunesDir = "/usr/share/games/fortunes";

struct TextShardsOptions {
  std::vector<std::filesystem::path> inputs{kFortunesDir};  // files or directories
  std::filesystem::path out;          // output directory
  std::string name = "text";          // shard name prefix
  std::uint64_t seq_len = 256;        // bytes per sample
  std::uint64_t per_shard = 1000;     // samples per shard
  double eval_fraction = 0.05;        // share of windows held out for evaluation
};

// Returns the train and eval splits written. Throws IoError / ConfigError.
std::vector<ConvertedSplit> convert_text(const TextShardsOptions& options);

}  // namespace tessera::datasets
