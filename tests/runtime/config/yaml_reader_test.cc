#include "runtime/config/yaml_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/runtime/config/test_configs.h"

namespace tessera::config {
namespace {

using test::Activation;
using test::TrainConfig;
using ::testing::HasSubstr;

std::vector<ConfigIssue> parse(const std::string& yaml, TrainConfig& config) {
  std::vector<ConfigIssue> issues;
  YamlReader reader(YAML::Load(yaml), "job.yaml", "", issues);
  config.fields(reader);
  reader.finish();
  return issues;
}

TEST(YamlReader, ReadsEveryFieldKind) {
  TrainConfig c;
  auto issues = parse(R"(
epochs: 3
shuffle: false
timeout: 2min
resume_from: runs/x/checkpoints/step-00000010
optim: {kind: sgd, lr: 0.5, betas: [0.1, 0.2]}
layers:
  - {width: 4, activation: relu}
  - {width: 2}
grid: {p: [0.001, 0.002]}
)",
                      c);
  ASSERT_TRUE(issues.empty()) << issues.front().to_string();
  EXPECT_EQ(c.epochs, 3);
  EXPECT_FALSE(c.shuffle);
  EXPECT_DOUBLE_EQ(c.timeout.count(), 120);
  EXPECT_EQ(c.resume_from, "runs/x/checkpoints/step-00000010");
  EXPECT_EQ(c.optim.kind, "sgd");
  EXPECT_DOUBLE_EQ(c.optim.lr, 0.5);
  EXPECT_EQ(c.optim.betas, (std::vector<double>{0.1, 0.2}));
  ASSERT_EQ(c.layers.size(), 2U);
  EXPECT_EQ(c.layers[0].activation, Activation::kRelu);
  EXPECT_EQ(c.layers[1].width, 2);
  EXPECT_EQ(c.layers[1].activation, Activation::kTanh);
  EXPECT_EQ(c.grid["p"].size(), 2U);
}

TEST(YamlReader, KeepsDefaultsForAbsentKeys) {
  TrainConfig c;
  EXPECT_TRUE(parse("epochs: 5\n", c).empty());
  EXPECT_EQ(c.optim.kind, "adam");
  EXPECT_TRUE(c.shuffle);
  EXPECT_FALSE(c.resume_from.has_value());
}

TEST(YamlReader, UnknownKeyNamesFileLineAndNearestKey) {
  TrainConfig c;
  auto issues = parse("epochs: 5\noptim:\n  lr: 0.1\n  momentun: 0.9\n", c);
  ASSERT_EQ(issues.size(), 1U);
  EXPECT_EQ(issues[0].file, "job.yaml");
  EXPECT_EQ(issues[0].line, 4);
  EXPECT_EQ(issues[0].key, "optim.momentun");
  EXPECT_THAT(issues[0].to_string(), HasSubstr("job.yaml:4: optim.momentun (unknown key"));

  issues = parse("epoch: 5\n", c);
  ASSERT_EQ(issues.size(), 1U);
  EXPECT_THAT(issues[0].rule, HasSubstr("did you mean 'epochs'?"));
}

TEST(YamlReader, WrongTypesAndBrokenRulesAreAllReported) {
  TrainConfig c;
  auto issues = parse(R"(epochs: many
shuffle: maybe
timeout: soon
optim: {kind: lbfgs, lr: -0.1, betas: [0.9, x]}
layers: [{width: 0, activation: gelu}]
)",
                      c);
  std::vector<std::string> messages;
  for (const auto& i : issues) {
    messages.push_back(i.to_string());
  }
  EXPECT_THAT(messages, ::testing::UnorderedElementsAre(
                            "job.yaml:1: epochs = many (expected an integer)",
                            "job.yaml:2: shuffle = maybe (expected true or false)",
                            HasSubstr("job.yaml:3: timeout = soon (expected a duration"),
                            "job.yaml:4: optim.kind = lbfgs (must be one of sgd, adam)",
                            "job.yaml:4: optim.lr = -0.1 (must be > 0)",
                            "job.yaml:4: optim.betas = [0.9, x] (element 1: expected a number)",
                            "job.yaml:5: layers[0].width = 0 (must be >= 1)",
                            "job.yaml:5: layers[0].activation = gelu (must be one of tanh, relu)"));
}

TEST(YamlReader, IntegersAcceptIntegralScientificNotation) {
  TrainConfig c;
  EXPECT_TRUE(parse("epochs: 1e3\n", c).empty());
  EXPECT_EQ(c.epochs, 1000);
  EXPECT_EQ(parse("epochs: 2.5\n", c).size(), 1U);
}

TEST(YamlReader, SectionThatIsNotAMapIsAnError) {
  TrainConfig c;
  auto issues = parse("optim: 5\n", c);
  ASSERT_EQ(issues.size(), 1U);
  EXPECT_EQ(issues[0].to_string(), "job.yaml:1: optim = 5 (expected a map of settings)");
}

TEST(YamlReader, CrossFieldIssuesFromTheConfigItself) {
  TrainConfig c;
  auto issues = parse("optim: {kind: sgd, betas: [1]}\n", c);
  ASSERT_EQ(issues.size(), 1U);
  EXPECT_THAT(issues[0].to_string(), HasSubstr("optim"));
  EXPECT_THAT(issues[0].to_string(), HasSubstr("sgd takes no betas"));
}

TEST(YamlReader, EmptyValueIsAnErrorButNullOptionalIsNot) {
  TrainConfig c;
  auto issues = parse("epochs:\nresume_from: ~\n", c);
  ASSERT_EQ(issues.size(), 1U);
  EXPECT_EQ(issues[0].key, "epochs");
  EXPECT_FALSE(c.resume_from.has_value());
}

TEST(NearestKey, SuggestsOnlyCloseKeys) {
  EXPECT_EQ(nearest_key("bach_size", {"batch_size", "epochs"}), "batch_size");
  EXPECT_EQ(nearest_key("zzz", {"batch_size", "epochs"}), "");
}

TEST(Durations, ParseAndFormat) {
  EXPECT_DOUBLE_EQ(parse_duration("90")->count(), 90);
  EXPECT_DOUBLE_EQ(parse_duration("1.5h")->count(), 5400);
  EXPECT_DOUBLE_EQ(parse_duration("250ms")->count(), 0.25);
  EXPECT_DOUBLE_EQ(parse_duration("10min")->count(), 600);
  EXPECT_FALSE(parse_duration("10 parsecs").has_value());
  EXPECT_EQ(format_duration(Seconds(120)), "2min");
  EXPECT_EQ(format_duration(Seconds(0.5)), "500ms");
  EXPECT_EQ(format_duration(Seconds(7200)), "2h");
  EXPECT_EQ(format_duration(Seconds(45)), "45s");
}

}  // namespace
}  // namespace tessera::config
