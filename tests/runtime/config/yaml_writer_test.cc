#include "runtime/config/yaml_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/config/field_catalog.h"
#include "runtime/config/yaml_reader.h"
#include "tests/runtime/config/test_configs.h"

namespace tessera::config {
namespace {

using test::TrainConfig;

TEST(YamlWriter, WritesEveryFieldIncludingDefaults) {
  TrainConfig c;
  c.layers.resize(1);
  YamlWriter writer;
  c.fields(writer);
  const YAML::Node& node = writer.node();
  EXPECT_EQ(node["epochs"].as<int>(), 10);
  EXPECT_EQ(node["timeout"].as<std::string>(), "1min");
  EXPECT_EQ(node["optim"]["kind"].as<std::string>(), "adam");
  EXPECT_EQ(node["layers"][0]["activation"].as<std::string>(), "tanh");
  EXPECT_TRUE(node["resume_from"].IsNull());
}

TEST(YamlWriter, RoundTripsThroughTheReader) {
  TrainConfig original;
  original.epochs = 7;
  original.optim.lr = 0.25;
  original.layers = {{3, test::Activation::kRelu}};
  original.resume_from = "somewhere";
  YamlWriter writer;
  original.fields(writer);

  TrainConfig copy;
  std::vector<ConfigIssue> issues;
  YamlReader reader(YAML::Load(to_yaml_text(writer.node())), "resolved.yaml", "", issues);
  copy.fields(reader);
  reader.finish();
  ASSERT_TRUE(issues.empty()) << issues.front().to_string();
  EXPECT_EQ(copy.epochs, 7);
  EXPECT_DOUBLE_EQ(copy.optim.lr, 0.25);
  EXPECT_EQ(copy.layers.at(0).width, 3);
  EXPECT_EQ(copy.resume_from, "somewhere");
}

TEST(FieldCatalog, ListsKeysDefaultsDocsAndRules) {
  TrainConfig c;
  FieldCatalog catalog;
  c.fields(catalog);
  std::vector<std::string> keys;
  for (const FieldInfo& f : catalog.fields()) {
    keys.push_back(f.key);
  }
  EXPECT_THAT(keys, ::testing::Contains("optim.lr"));
  EXPECT_THAT(keys, ::testing::Contains("layers[].width"));
  for (const FieldInfo& f : catalog.fields()) {
    if (f.key == "optim.lr") {
      EXPECT_EQ(f.value, "0.001");
      EXPECT_EQ(f.doc, "learning rate");
      EXPECT_EQ(f.rule, "must be > 0");
    }
  }
}

}  // namespace
}  // namespace tessera::config
