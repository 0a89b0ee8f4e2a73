#include "optim/tf1_rmsprop.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "optim/optimizer_factory.h"
#include "optim/optimizer_state.h"

namespace tessera::optim {
namespace {

// Three steps on one scalar, worked by hand (decay 0.9, momentum 0.5, eps 1e-5, lr 0.1):
//   g = 0.5:  ms = 0.9 * 1 + 0.1 * 0.25 = 0.925    mom = 0.1 * 0.5 / sqrt(0.92501)      w = 1 - mom
//   g = -1:   ms = 0.9 * 0.925 + 0.1 = 0.9325      mom = 0.5 * mom - 0.1 / sqrt(0.93251)
//   g = 2:    ms = 0.9 * 0.9325 + 0.4 = 1.23925    mom = 0.5 * mom + 0.2 / sqrt(1.23926)
TEST(Tf1RmsProp, FollowsHandComputedStepsWithMeanSquareStartingAtOne) {
  torch::Tensor w = torch::tensor({1.0}, torch::kDouble).requires_grad_(true);
  Tf1RmsProp optimizer(std::vector<torch::Tensor>{w}, Tf1RmsPropOptions(0.1).decay(0.9).momentum(0.5).eps(1e-5));
  const double grads[] = {0.5, -1.0, 2.0};
  const double expected_w[] = {0.9480127565203638, 1.0255746541402573, 0.8846966850201579};
  const double expected_ms[] = {0.925, 0.9325, 1.23925};
  const double expected_mom[] = {0.05198724347963621, -0.07756189761989361, 0.14087796912009945};
  for (int i = 0; i < 3; ++i) {
    w.mutable_grad() = torch::tensor({grads[i]}, torch::kDouble);
    optimizer.step();
    EXPECT_NEAR(w.item<double>(), expected_w[i], 1e-14) << "step " << i + 1;
    std::map<std::string, torch::Tensor> state = optimizer_state(optimizer);
    EXPECT_NEAR(state.at("0/0/ms").item<double>(), expected_ms[i], 1e-14);
    EXPECT_NEAR(state.at("0/0/mom").item<double>(), expected_mom[i], 1e-14);
  }
}

TEST(Tf1RmsProp, DiffersFromLibTorchRmspropOnTheFirstStep) {
  // LibTorch: square_avg from 0 and eps outside the root, so the first step is
  // lr * g / (sqrt(0.1) |g|) ~ 3.16 lr; TF1's is lr * g / sqrt(0.9 + 0.1 g^2).
  OptimizerConfig config;
  config.lr = 0.01;
  config.alpha = 0.9;
  torch::Tensor a = torch::tensor({0.0}).requires_grad_(true);
  torch::Tensor b = torch::tensor({0.0}).requires_grad_(true);
  config.kind = "rmsprop";
  auto torch_rmsprop = make_optimizer(config, std::vector<torch::Tensor>{a});
  config.kind = "rmsprop_tf1";
  auto tf1 = make_optimizer(config, std::vector<torch::Tensor>{b});
  a.mutable_grad() = torch::tensor({0.1});
  b.mutable_grad() = torch::tensor({0.1});
  torch_rmsprop->step();
  tf1->step();
  EXPECT_NEAR(a.item<double>(), -0.01 / std::sqrt(0.1), 1e-6);
  EXPECT_NEAR(b.item<double>(), -0.01 * 0.1 / std::sqrt(0.9 + 0.001 + 1e-5), 1e-8);
}

TEST(Tf1RmsProp, RestoredStateContinuesBitwise) {
  torch::manual_seed(2);
  torch::Tensor x = torch::randn({16, 5});
  torch::Tensor y = torch::randn({16, 3});
  OptimizerConfig config;
  config.kind = "rmsprop_tf1";
  config.lr = 0.01;
  config.momentum = 0.999;
  config.alpha = 0.9;
  auto run = [&](torch::Tensor& w, torch::optim::Optimizer& optimizer, int steps) {
    for (int i = 0; i < steps; ++i) {
      optimizer.zero_grad();
      (x.mm(w) - y).square().sum().backward();
      optimizer.step();
    }
  };
  torch::Tensor w = torch::randn({5, 3}).requires_grad_(true);
  torch::Tensor w2 = w.detach().clone().requires_grad_(true);
  auto first = make_optimizer(config, std::vector<torch::Tensor>{w});
  run(w, *first, 3);
  auto second = make_optimizer(config, std::vector<torch::Tensor>{w2});
  {
    torch::NoGradGuard no_grad;
    w2.copy_(w);
  }
  set_optimizer_state(*second, optimizer_state(*first));
  run(w, *first, 4);
  run(w2, *second, 4);
  EXPECT_TRUE(torch::equal(w, w2));
}

}  // namespace
}  // namespace tessera::optim
