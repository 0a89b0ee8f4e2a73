#include "optim/optimizer_factory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "runtime/config/yaml_reader.h"

namespace tessera::optim {
namespace {

using ::testing::HasSubstr;

OptimizerConfig parse(const std::string& yaml, std::vector<ConfigIssue>* issues = nullptr) {
  OptimizerConfig config;
  std::vector<ConfigIssue> found;
  config::YamlReader reader(YAML::Load(yaml), "job.yaml", "optim.", found);
  config.fields(reader);
  reader.finish();
  if (issues != nullptr) {
    *issues = found;
  } else {
    EXPECT_TRUE(found.empty()) << found.front().to_string();
  }
  return config;
}

// Runs `steps` optimizer steps on one scalar parameter starting at 1 whose
// gradient is always 0.5, and returns the parameter after each step.
std::vector<double> trajectory(const OptimizerConfig& config, int steps) {
  torch::Tensor p = torch::ones({1}, torch::kFloat64).requires_grad_(true);
  auto optimizer = make_optimizer(config, std::vector<torch::Tensor>{p});
  std::vector<double> out;
  for (int i = 0; i < steps; ++i) {
    optimizer->zero_grad();
    p.mutable_grad() = torch::full({1}, 0.5, torch::kFloat64);
    optimizer->step();
    out.push_back(p.item<double>());
  }
  return out;
}

TEST(OptimizerFactory, SgdWithMomentumFollowsTheHeavyBallRecurrence) {
  // buf1 = 0.5, p1 = 1 - 0.1*0.5; buf2 = 0.9*0.5 + 0.5, p2 = p1 - 0.1*0.95.
  auto p = trajectory(parse("{kind: sgd, lr: 0.1, momentum: 0.9}"), 2);
  EXPECT_NEAR(p[0], 0.95, 1e-12);
  EXPECT_NEAR(p[1], 0.855, 1e-12);
}

TEST(OptimizerFactory, NesterovLooksAheadAlongTheMomentum) {
  // step 1: d = g + 0.9*0.5 = 0.95; step 2: buf = 0.95, d = 0.5 + 0.855.
  auto p = trajectory(parse("{kind: sgd, lr: 0.1, momentum: 0.9, nesterov: true}"), 2);
  EXPECT_NEAR(p[0], 0.905, 1e-12);
  EXPECT_NEAR(p[1], 0.7695, 1e-12);
}

TEST(OptimizerFactory, FirstStepsOfAdaptiveMethodsMatchTheirFormulas) {
  // RMSprop: v = 0.01 * 0.25, p = 1 - 0.01 * 0.5 / (sqrt(v) + eps).
  EXPECT_NEAR(trajectory(parse("{kind: rmsprop, lr: 0.01}"), 1)[0], 1 - 0.01 * 0.5 / (0.05 + 1e-8), 1e-12);
  // Adam: bias-corrected m/sqrt(v) = 1 on the first step.
  EXPECT_NEAR(trajectory(parse("{kind: adam, lr: 0.1}"), 1)[0], 1 - 0.1 * 0.5 / (0.5 + 1e-8), 1e-12);
  // AdamW: decoupled decay shrinks p first (default weight_decay 0.01).
  EXPECT_NEAR(trajectory(parse("{kind: adamw, lr: 0.1}"), 1)[0], 1 * (1 - 0.1 * 0.01) - 0.1 * 0.5 / (0.5 + 1e-8),
              1e-12);
  // Adagrad: sum = g^2 (default eps 1e-10).
  EXPECT_NEAR(trajectory(parse("{kind: adagrad, lr: 0.1}"), 1)[0], 1 - 0.1 * 0.5 / (0.5 + 1e-10), 1e-12);
}

TEST(OptimizerFactory, RmspropMomentumAndCenteredAreHonoured) {
  auto plain = trajectory(parse("{kind: rmsprop, lr: 0.01}"), 3);
  auto momentum = trajectory(parse("{kind: rmsprop, lr: 0.01, momentum: 0.9}"), 3);
  auto centered = trajectory(parse("{kind: rmsprop, lr: 0.01, centered: true}"), 3);
  EXPECT_NE(plain[2], momentum[2]);
  EXPECT_NE(plain[2], centered[2]);
}

TEST(OptimizerFactory, SetLrChangesEveryGroup) {
  torch::Tensor a = torch::ones({2}, torch::requires_grad());
  torch::Tensor b = torch::ones({3}, torch::requires_grad());
  std::vector<torch::optim::OptimizerParamGroup> groups{torch::optim::OptimizerParamGroup({a}),
                                                         torch::optim::OptimizerParamGroup({b})};
  auto optimizer = make_optimizer(parse("{kind: adam, lr: 0.1}"), std::move(groups));
  set_lr(*optimizer, 0.25);
  ASSERT_EQ(optimizer->param_groups().size(), 2u);
  for (auto& group : optimizer->param_groups()) {
    EXPECT_DOUBLE_EQ(group.options().get_lr(), 0.25);
  }
}

TEST(OptimizerConfig, NesterovWithoutMomentumIsRejected) {
  std::vector<ConfigIssue> issues;
  parse("{kind: sgd, nesterov: true}", &issues);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_THAT(issues[0].to_string(), HasSubstr("optim.nesterov"));
  EXPECT_THAT(issues[0].to_string(), HasSubstr("needs momentum > 0"));
}

TEST(OptimizerConfig, UnknownKindAndNegativeEpsNameTheirKeys) {
  std::vector<ConfigIssue> issues;
  parse("{kind: lamb, eps: -1}", &issues);
  ASSERT_EQ(issues.size(), 2u);
  EXPECT_THAT(issues[0].to_string(), HasSubstr("optim.kind"));
  EXPECT_THAT(issues[1].to_string(), HasSubstr("optim.eps = -1 (must be > 0)"));
}

}  // namespace
}  // namespace tessera::optim
