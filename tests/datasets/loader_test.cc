#include "datasets/loader.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ATen/ops/equal.h>

#include "datasets/npy.h"
#include "runtime/config/yaml_reader.h"
#include "runtime/config/yaml_writer.h"
#include "runtime/error.h"
#include "tests/datasets/testing/shards.h"
#include "tests/testing/temp_dir.h"

namespace tessera::datasets {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<ConfigIssue> parse(const std::string& yaml, DataConfig& c) {
  std::vector<ConfigIssue> issues;
  config::YamlReader reader(YAML::Load(yaml), "job.yaml", "data.", issues);
  c.fields(reader);
  reader.finish();
  return issues;
}

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spec_ = testing::write_numbered_shards(dir_.path(), {30, 25, 45});  // 100 samples
    config_.train = spec_;
    config_.batch_size = 8;
    config_.shuffle = 32;
    config_.workers = 2;
    config_.outputs = {{"vec", {"npy"}}, {"label", {"cls"}}, {"text", {"txt"}}};
  }
  tessera::testing::TempDir dir_;
  std::string spec_;
  DataConfig config_;
};

TEST(DataConfigYaml, ParsesTheTrainerSection) {
  DataConfig c;
  auto issues = parse(R"(
train: "data/fmnist-train-{000000..000059}.tar"
batch_size: 1000
shuffle: 5000
fields: {image: npy, label: cls, picture: "jpg;png"}
equalize: pad
source: {timeout: 5s, retries: 2}
)",
                      c);
  ASSERT_TRUE(issues.empty()) << issues.front().to_string();
  EXPECT_EQ(c.batch_size, 1000);
  EXPECT_EQ(c.shuffle, 5000);
  EXPECT_EQ(c.equalize, Equalize::kPad);
  EXPECT_DOUBLE_EQ(c.source.timeout.count(), 5);
  ASSERT_EQ(c.outputs.size(), 3U);
  EXPECT_EQ(c.outputs[0].name, "image");
  EXPECT_THAT(c.outputs[2].exts, ElementsAre("jpg", "png"));

  config::YamlWriter writer;
  c.fields(writer);
  const std::string text = config::to_yaml_text(writer.node());
  EXPECT_THAT(text, HasSubstr("picture: jpg;png"));
  DataConfig again;
  ASSERT_TRUE(parse(text, again).empty()) << text;
  EXPECT_EQ(again.outputs.size(), 3U);
}

TEST(DataConfigYaml, ReportsBadSettings) {
  DataConfig c;
  auto issues = parse("resampled: true\nfields: [npy]\nequalize: some\nshufle: 3\n", c);
  std::vector<std::string> text;
  for (const ConfigIssue& i : issues) {
    text.push_back(i.to_string());
  }
  EXPECT_THAT(text, ::testing::Contains(HasSubstr("data.fields = [npy] (must be a map")));
  EXPECT_THAT(text, ::testing::Contains(HasSubstr("data.resampled = true (needs epoch.samples_per_rank")));
  EXPECT_THAT(text, ::testing::Contains(HasSubstr("data.equalize = some (must be one of")));
  EXPECT_THAT(text, ::testing::Contains(HasSubstr("did you mean 'shuffle'")));
}

TEST_F(LoaderTest, BatchesAreTensorsOfTheDeclaredOutputs) {
  Loader loader(config_, spec_, {.seed = 3});
  EXPECT_EQ(loader.batches_per_epoch(), std::nullopt);  // one rank, not counted
  std::optional<Batch> b = loader.next();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->size(), 8);
  const at::Tensor& vec = b->tensors.at("vec");
  EXPECT_EQ(vec.sizes(), (std::vector<std::int64_t>{8, 4}));
  EXPECT_EQ(vec.scalar_type(), at::kByte);
  const at::Tensor& label = b->tensors.at("label");
  EXPECT_EQ(label.scalar_type(), at::kLong);
  for (int i = 0; i < 8; ++i) {
    const std::int64_t id = label[i].item<std::int64_t>();
    EXPECT_EQ(b->keys[static_cast<std::size_t>(i)], fmt::format("k{:06}", id));
    EXPECT_EQ(vec[i][0].item<std::uint8_t>(), id & 0xff);
    EXPECT_EQ(b->texts.at("text")[static_cast<std::size_t>(i)], fmt::format("sample {}", id));
  }
  int batches = 1;
  while (loader.next()) {
    ++batches;
  }
  EXPECT_EQ(batches, 100 / 8);  // drop_last
  EXPECT_EQ(loader.stats().samples, 100U);
  loader.start_epoch(1);
  EXPECT_TRUE(loader.next());
}

TEST_F(LoaderTest, KeepsTheLastPartialBatchWhenAsked) {
  config_.drop_last = false;
  Loader loader(config_, spec_, {});
  std::vector<std::int64_t> sizes;
  while (auto b = loader.next()) {
    sizes.push_back(b->size());
  }
  EXPECT_EQ(sizes.size(), 13U);
  EXPECT_EQ(sizes.back(), 4);
}

TEST_F(LoaderTest, EveryRankGetsTheSameNumberOfBatches) {
  for (int r = 0; r < 3; ++r) {
    Loader loader(config_, spec_, {.rank = r, .world = 3});
    ASSERT_TRUE(loader.batches_per_epoch().has_value());
    EXPECT_EQ(*loader.batches_per_epoch(), 25 / 8);  // the smallest share is one 25-sample shard
    std::int64_t n = 0;
    while (loader.next()) {
      ++n;
    }
    EXPECT_EQ(n, *loader.batches_per_epoch());
  }
}

TEST_F(LoaderTest, MismatchedShapesNameTheSample) {
  const auto odd = dir_ / "odd.tar";
  TarWriter w(odd);
  w.write({.key = "a", .fields = {{"npy", encode_npy(DType::kUInt8, {4}, std::as_bytes(std::span("abcd", 4)))}}});
  w.write({.key = "b", .fields = {{"npy", encode_npy(DType::kUInt8, {3}, std::as_bytes(std::span("abc", 3)))}}});
  w.close();
  DataConfig c;
  c.batch_size = 2;
  c.outputs = {{"x", {"npy"}}};
  Loader loader(c, odd.string(), {});
  try {
    loader.next();
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(e.member(), "b");
    EXPECT_THAT(e.what(), HasSubstr("cannot batch output 'x': uint8 [3] here but uint8 [4]"));
  }
}

TEST_F(LoaderTest, TransformRunsOnEveryBatch) {
  Loader loader(config_, spec_, {});
  loader.set_transform([](Batch& b) { b.tensors["vec"] = b.tensors["vec"].to(at::kFloat).div(255); });
  EXPECT_EQ(loader.next()->tensors.at("vec").scalar_type(), at::kFloat);
}

TEST_F(LoaderTest, RestoredLoaderYieldsTheSameBatches) {
  std::vector<Batch> expected;
  {
    Loader reference(config_, spec_, {.rank = 1, .world = 2, .seed = 7}, 4);
    while (auto b = reference.next()) {
      expected.push_back(std::move(*b));
    }
  }
  ASSERT_GE(expected.size(), 3U);
  Loader first(config_, spec_, {.rank = 1, .world = 2, .seed = 7}, 4);
  first.next();
  first.next();
  const std::string state = first.save_state();
  Loader second(config_, spec_, {.rank = 1, .world = 2, .seed = 7}, 0);
  second.restore_state(state);
  EXPECT_EQ(second.epoch(), 4);
  EXPECT_EQ(second.batch_index(), 2);
  for (std::size_t i = 2; i < expected.size(); ++i) {
    std::optional<Batch> b = second.next();
    ASSERT_TRUE(b) << i;
    EXPECT_EQ(b->index, static_cast<std::int64_t>(i));
    EXPECT_EQ(b->keys, expected[i].keys);
    EXPECT_TRUE(at::equal(b->tensors.at("vec"), expected[i].tensors.at("vec")));
  }
  EXPECT_FALSE(second.next());
}

TEST_F(LoaderTest, NeedsOutputs) {
  DataConfig c;
  EXPECT_THAT([&] { Loader(c, spec_, {}); }, ::testing::ThrowsMessage<ConfigError>(HasSubstr("data.fields is empty")));
}

}  // namespace
}  // namespace tessera::datasets
