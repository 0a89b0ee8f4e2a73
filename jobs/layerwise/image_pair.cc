#include "jobs/layerwise/image_pair.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <zlib.h>

#include "runtime/rng.h"
#include "runtime/error.h"

namespace tessera::jobs::layerwise {
namespace {

std::vector<unsigned char> read_gz(const std::filesystem::path& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) {
    throw IoError(fmt::format(
        "cannot open {} (install dataset-fashion-mnist, or set data.source)", path.string()));
  }
  std::vector<unsigned char> out;
  std::vector<unsigned char> buffer(1 << 16);
  int n = 0;
  while ((n = gzread(f, buffer.data(), static_cast<unsigned>(buffer.size()))) > 0) {
    out.insert(out.end(), buffer.begin(), buffer.begin() + n);
  }
  int code = Z_OK;
  const std::string message = gzerror(f, &code);
  gzclose(f);
  if (n < 0 || (code != Z_OK && code != Z_STREAM_END)) {
    throw IoError(fmt::format("cannot read {}: {}", path.string(), message));
  }
  return out;
}

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         p[3];
}

struct Idx {
  std::vector<unsigned char> images;
  std::vector<unsigned char> labels;
  std::uint32_t count = 0;
  int rows = 0;
  int cols = 0;
  const unsigned char* image(std::uint32_t i) const {
    return images.data() + 16 + static_cast<std::size_t>(i) * static_cast<std::size_t>(rows * cols);
  }
};

Idx read_idx(const std::filesystem::path& dir, const char* prefix) {
  const auto images_path = dir / fmt::format("{}-images-idx3-ubyte.gz", prefix);
  const auto labels_path = dir / fmt::format("{}-labels-idx1-ubyte.gz", prefix);
  Idx idx;
  idx.images = read_gz(images_path);
  idx.labels = read_gz(labels_path);
  if (idx.images.size() < 16 || be32(idx.images.data()) != 0x803 || idx.labels.size() < 8 ||
      be32(idx.labels.data()) != 0x801) {
    throw IoError(fmt::format(
        "{} / {}: not IDX image and label files", images_path.string(), labels_path.string()));
  }
  idx.count = be32(idx.images.data() + 4);
  idx.rows = static_cast<int>(be32(idx.images.data() + 8));
  idx.cols = static_cast<int>(be32(idx.images.data() + 12));
  const std::size_t pixels =
      static_cast<std::size_t>(idx.rows) * static_cast<std::size_t>(idx.cols);
  if (be32(idx.labels.data() + 4) != idx.count || idx.images.size() != 16 + pixels * idx.count ||
      idx.labels.size() != 8 + std::size_t{idx.count}) {
    throw IoError(fmt::format(
        "{} / {}: sizes do not match their headers", images_path.string(), labels_path.string()));
  }
  return idx;
}

// `count` examples, half of each class, alternating labels, drawn in an order
// shuffled by `seed`.
std::vector<Example> select(
    const Idx& idx, const DataConfig& config, int count, std::uint64_t seed, const char* split) {
  std::vector<std::vector<std::uint32_t>> by_class(2);
  for (std::uint32_t i = 0; i < idx.count; ++i) {
    for (int c = 0; c < 2; ++c) {
      if (idx.labels[8 + i] == config.classes[static_cast<std::size_t>(c)]) {
        by_class[static_cast<std::size_t>(c)].push_back(i);
      }
    }
  }
  runtime::Rng rng(seed);
  for (auto& list : by_class) {
    for (std::size_t i = list.size(); i > 1; --i) {  // Fisher-Yates
      std::swap(list[i - 1], list[rng.below(i)]);
    }
    if (static_cast<int>(list.size()) < count / 2) {
      throw ConfigError(fmt::format(
          "data: the {} split has {} images of a class, fewer than the {} asked for",
          split,
          list.size(),
          count / 2));
    }
  }
  std::vector<Example> out;
  for (int i = 0; i < count / 2; ++i) {
    for (int c = 0; c < 2; ++c) {
      const std::uint32_t index =
          by_class[static_cast<std::size_t>(c)][static_cast<std::size_t>(i)];
      out.push_back(
          {downsample(
               {idx.image(index), static_cast<std::size_t>(idx.rows * idx.cols)},
               idx.rows,
               idx.cols,
               config.size),
           c == 0 ? 1 : -1});
    }
  }
  return out;
}

}  // namespace

std::vector<double> downsample(std::span<const unsigned char> image, int rows, int cols, int size) {
  TESSERA_CHECK(
      static_cast<int>(image.size()) == rows * cols && size >= 1,
      "a {}x{} image of {} bytes to {}x{}",
      rows,
      cols,
      image.size(),
      size,
      size);
  // weights[i][r]: the share of input row r inside output row i (likewise columns).
  auto weights = [size](int n) {
    std::vector<std::vector<double>> w(
        static_cast<std::size_t>(size), std::vector<double>(static_cast<std::size_t>(n)));
    for (int i = 0; i < size; ++i) {
      const double lo = static_cast<double>(i) * n / size;
      const double hi = static_cast<double>(i + 1) * n / size;
      for (int r = 0; r < n; ++r) {
        w[static_cast<std::size_t>(i)][static_cast<std::size_t>(r)] =
            std::max(0.0, std::min<double>(hi, r + 1) - std::max<double>(lo, r)) / (hi - lo);
      }
    }
    return w;
  };
  const auto wr = weights(rows);
  const auto wc = weights(cols);
  std::vector<double> out(static_cast<std::size_t>(size * size), 0.0);
  for (int i = 0; i < size; ++i) {
    for (int j = 0; j < size; ++j) {
      double sum = 0;
      for (int r = 0; r < rows; ++r) {
        const double a = wr[static_cast<std::size_t>(i)][static_cast<std::size_t>(r)];
        if (a == 0) {
          continue;
        }
        for (int c = 0; c < cols; ++c) {
          sum += a * wc[static_cast<std::size_t>(j)][static_cast<std::size_t>(c)] *
                 image[static_cast<std::size_t>(r * cols + c)];
        }
      }
      out[static_cast<std::size_t>(i * size + j)] = sum / 255.0;
    }
  }
  return out;
}

ImagePair load_image_pair(const DataConfig& config) {
  TESSERA_CHECK(config.classes.size() == 2, "data.classes has {} entries", config.classes.size());
  ImagePair out;
  out.size = config.size;
  out.train =
      select(read_idx(config.source, "train"), config, config.train_examples, config.seed, "train");
  out.test = select(
      read_idx(config.source, "t10k"), config, config.test_examples, config.seed + 1, "t10k");
  return out;
}

}  // namespace tessera::jobs::layerwise
