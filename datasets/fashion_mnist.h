#pragma once

// Fashion-MNIST (Debian's dataset-fashion-mnist: gzipped IDX files under
// /usr/share/datasets/fashion-mnist) to WebDataset shards:
//
//   DIR/fmnist-train-{000000..000059}.tar   60,000 samples, 1,000 per shard
//   DIR/fmnist-test-{000000..000009}.tar    10,000 samples
//
// Each sample: key "train-000123" (or "test-..."), `.npy` uint8 [28, 28]
// image, `.cls` class 0-9 as ASCII. Data config: fields: {image: npy, label: cls}.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace tessera::datasets {

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

struct FashionMnistOptions {
  std::filesystem::path source = kFashionMnistDir;  // where the *-idx*-ubyte.gz files are
  std::filesystem::path out;                        // output directory
  std::uint64_t per_shard = 1000;                   // samples per shard
  std::uint64_t limit = 0;                          // samples per split (0: all), for quick tests
};

struct ConvertedSplit {
  std::string name;                              // "train", "test"
  std::string spec;                              // brace spec of its shards
  std::vector<std::filesystem::path> shards;
  std::uint64_t samples = 0;
};

// Converts both splits. Throws IoError (missing or malformed IDX files).
std::vector<ConvertedSplit> convert_fashion_mnist(const FashionMnistOptions& options);

// A brace spec covering `count` shards named by `pattern` ("dir/x-%06d.tar").
std::string brace_spec(const std::string& pattern, std::uint64_t count);

}  // namespace tessera::datasets
