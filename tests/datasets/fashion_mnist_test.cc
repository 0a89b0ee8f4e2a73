// The converted Fashion-MNIST shards hold exactly the pixels and labels of
// Debian's IDX files, and the loader turns them into the expected tensors.

#include <zlib.h>

#include <cstring>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "datasets/fashion_mnist.h"
#include "datasets/loader.h"
#include "tests/testing/temp_dir.h"

namespace tessera::datasets {
namespace {

std::string gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  EXPECT_NE(f, nullptr) << path;
  std::string out;
  char buf[65536];
  int n = 0;
  while ((n = gzread(f, buf, sizeof buf)) > 0) {
    out.append(buf, static_cast<std::size_t>(n));
  }
  gzclose(f);
  return out;
}

TEST(FashionMnist, ShardsHoldTheIdxPixelsAndLabels) {
  tessera::testing::TempDir dir;
  auto splits = convert_fashion_mnist({.out = dir.path(), .per_shard = 100, .limit = 300});
  ASSERT_EQ(splits.size(), 2U);
  EXPECT_EQ(splits[0].spec, (dir / "fmnist-train-{000000..000002}.tar").string());
  const std::string images = gunzip(std::string(kFashionMnistDir) + "/train-images-idx3-ubyte.gz");
  const std::string labels = gunzip(std::string(kFashionMnistDir) + "/train-labels-idx1-ubyte.gz");

  DataConfig c;
  c.batch_size = 50;
  c.shuffle = 100;
  c.outputs = {{"image", {"npy"}}, {"label", {"cls"}}};
  Loader loader(c, splits[0].spec, {.seed = 1});
  std::set<std::int64_t> seen;
  while (auto b = loader.next()) {
    const at::Tensor& image = b->tensors.at("image");
    ASSERT_EQ(image.sizes(), (std::vector<std::int64_t>{50, 28, 28}));
    ASSERT_EQ(image.scalar_type(), at::kByte);
    for (std::int64_t i = 0; i < b->size(); ++i) {
      const std::string& key = b->keys[static_cast<std::size_t>(i)];
      const std::int64_t n = std::stoll(key.substr(6));  // "train-000123"
      seen.insert(n);
      EXPECT_EQ(b->tensors.at("label")[i].item<std::int64_t>(), static_cast<unsigned char>(labels[8 + n]));
      EXPECT_EQ(std::memcmp(image[i].contiguous().data_ptr(), images.data() + 16 + n * 784, 784), 0) << key;
    }
  }
  EXPECT_EQ(seen.size(), 300U);
}

}  // namespace
}  // namespace tessera::datasets
