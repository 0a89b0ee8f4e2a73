#include "runtime/config/config_document.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "runtime/config/yaml_reader.h"
#include "runtime/error.h"
#include "tests/runtime/config/test_configs.h"
#include "tests/testing/temp_dir.h"

namespace tessera::config {
namespace {

using ::testing::HasSubstr;

TEST(ConfigDocument, MissingFileNamesThePath) {
  try {
    load_config_file("/nonexistent/job.yaml");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/job.yaml"));
    EXPECT_THAT(e.what(), HasSubstr("cannot open"));
  }
}

TEST(ConfigDocument, YamlSyntaxErrorNamesTheLine) {
  testing::TempDir dir;
  testing::write_text(dir / "bad.yaml", "epochs: 3\noptim: {lr: 0.1\nname: x\n");
  try {
    load_config_file(dir / "bad.yaml");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.issues().size(), 1U);
    EXPECT_GE(e.issues()[0].line, 2);
    EXPECT_THAT(e.what(), HasSubstr("invalid YAML"));
  }
}

TEST(ConfigDocument, TopLevelMustBeAMap) {
  testing::TempDir dir;
  testing::write_text(dir / "list.yaml", "- 1\n- 2\n");
  EXPECT_THROW(load_config_file(dir / "list.yaml"), ConfigError);
}

TEST(Overrides, SetNestedValuesAndCreateSections) {
  testing::TempDir dir;
  testing::write_text(dir / "job.yaml", "epochs: 3\noptim: {lr: 0.1}\n");
  ConfigDocument doc = load_config_file(dir / "job.yaml");
  apply_overrides(doc, {"epochs=5", "optim.lr=0.5", "optim.betas=[0.5, 0.6]", "layers=[{width: 2}]"});
  test::TrainConfig c;
  std::vector<ConfigIssue> issues;
  YamlReader reader(doc.root, doc.file, "", issues);
  c.fields(reader);
  reader.finish();
  ASSERT_TRUE(issues.empty()) << issues.front().to_string();
  EXPECT_EQ(c.epochs, 5);
  EXPECT_DOUBLE_EQ(c.optim.lr, 0.5);
  EXPECT_EQ(c.optim.betas, (std::vector<double>{0.5, 0.6}));
  EXPECT_EQ(c.layers.at(0).width, 2);
}

TEST(Overrides, BadOverrideValuesAreBlamedOnTheCommandLine) {
  testing::TempDir dir;
  testing::write_text(dir / "job.yaml", "epochs: 3\noptim: {lr: 0.1}\n");
  ConfigDocument doc = load_config_file(dir / "job.yaml");
  apply_overrides(doc, {"optim.lr=-1", "optim.nesterov=true"});
  test::TrainConfig c;
  std::vector<ConfigIssue> issues;
  YamlReader reader(doc.root, doc.file, "", issues);
  c.fields(reader);
  reader.finish();
  ASSERT_EQ(issues.size(), 2U);
  EXPECT_EQ(issues[0].to_string(), "<command line>: optim.lr = -1 (must be > 0)");
  EXPECT_THAT(issues[1].to_string(), HasSubstr("<command line>: optim.nesterov (unknown key"));
}

TEST(Overrides, MalformedOverridesAreErrors) {
  ConfigDocument doc{"job.yaml", YAML::Load("epochs: 3\n")};
  EXPECT_THROW(apply_overrides(doc, {"epochs"}), ConfigError);
  EXPECT_THROW(apply_overrides(doc, {"=3"}), ConfigError);
  EXPECT_THROW(apply_overrides(doc, {"epochs.x=3"}), ConfigError);  // epochs is not a map
}

}  // namespace
}  // namespace tessera::config
