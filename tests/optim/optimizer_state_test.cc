#include "optim/optimizer_state.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "optim/optimizer_factory.h"
#include "runtime/error.h"

namespace tessera::optim {
namespace {

// A tiny least-squares problem: the same data every step.
struct Problem {
  torch::Tensor x = torch::randn({16, 5});
  torch::Tensor y = torch::randn({16, 3});
};

void step(torch::optim::Optimizer& optimizer, torch::Tensor& w, torch::Tensor& b, const Problem& p) {
  optimizer.zero_grad();
  (torch::addmm(b, p.x, w) - p.y).square().mean().backward();
  optimizer.step();
}

class OptimizerStateTest : public ::testing::TestWithParam<std::string> {};

TEST_P(OptimizerStateTest, RestoredStateContinuesBitwise) {
  torch::manual_seed(1);
  Problem problem;
  OptimizerConfig config;
  config.kind = GetParam();
  config.lr = 0.01;
  config.momentum = GetParam() == "sgd" || GetParam() == "rmsprop" ? 0.9 : 0.0;
  config.centered = GetParam() == "rmsprop";
  config.amsgrad = GetParam() == "adam";
  torch::Tensor w = torch::randn({5, 3}).requires_grad_(true);
  torch::Tensor b = torch::randn({3}).requires_grad_(true);
  auto optimizer = make_optimizer(config, std::vector<torch::Tensor>{w, b});
  for (int i = 0; i < 3; ++i) {
    step(*optimizer, w, b, problem);
  }
  std::map<std::string, torch::Tensor> saved;
  for (const auto& [name, t] : optimizer_state(*optimizer)) {
    saved[name] = t.clone();
  }
  ASSERT_FALSE(saved.empty());

  // A fresh optimizer over copies of the parameters, given the saved state.
  torch::Tensor w2 = w.detach().clone().requires_grad_(true);
  torch::Tensor b2 = b.detach().clone().requires_grad_(true);
  auto restored = make_optimizer(config, std::vector<torch::Tensor>{w2, b2});
  set_optimizer_state(*restored, saved);
  for (int i = 0; i < 2; ++i) {
    step(*optimizer, w, b, problem);
    step(*restored, w2, b2, problem);
  }
  EXPECT_TRUE(torch::equal(w, w2));
  EXPECT_TRUE(torch::equal(b, b2));
}

INSTANTIATE_TEST_SUITE_P(EveryKind, OptimizerStateTest,
                         ::testing::Values("sgd", "adam", "adamw", "rmsprop", "adagrad"));

TEST(OptimizerState, NamesGroupIndexAndField) {
  torch::Tensor w = torch::ones({2}, torch::requires_grad());
  OptimizerConfig config;
  config.kind = "adam";
  auto optimizer = make_optimizer(config, std::vector<torch::Tensor>{w});
  optimizer->zero_grad();
  w.sum().backward();
  optimizer->step();
  auto state = optimizer_state(*optimizer);
  ASSERT_EQ(state.count("0/0/exp_avg"), 1u);
  EXPECT_EQ(state.at("0/0/step").item<std::int64_t>(), 1);
}

TEST(OptimizerState, StateThatDoesNotFitIsRefused) {
  torch::Tensor w = torch::ones({2}, torch::requires_grad());
  OptimizerConfig config;
  config.kind = "adam";
  auto optimizer = make_optimizer(config, std::vector<torch::Tensor>{w});
  EXPECT_THROW(set_optimizer_state(*optimizer, {{"0/0/exp_avg", torch::zeros({3})}}), CheckpointError);
  EXPECT_THROW(set_optimizer_state(*optimizer, {{"0/7/exp_avg", torch::zeros({2})}}), CheckpointError);
}

}  // namespace
}  // namespace tessera::optim
