// LocoProp's pieces against their definitions: matching-loss gradients
// against autograd, the first local step against backprop, many proximal
// gradient steps against the closed form, and the layer assignment.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "jobs/locoprop/locoprop_step.h"
#include "jobs/locoprop/matching_loss.h"
#include "jobs/train/dense_stack.h"

namespace tessera::jobs::locoprop {
namespace {

using train::Activation;

class MatchingLossTest : public ::testing::TestWithParam<Activation> {};

TEST_P(MatchingLossTest, ResidualIsTheAutogradGradientOfTheLoss) {
  torch::manual_seed(4);
  const Activation f = GetParam();
  torch::Tensor z = (3 * torch::randn({7, 5}, torch::kDouble)).requires_grad_(true);
  // Targets inside and outside f's range: only the gradient is used.
  torch::Tensor t = 1.5 * torch::randn({7, 5}, torch::kDouble);
  torch::Tensor grad = torch::autograd::grad({matching_loss(f, z, t)}, {z})[0];
  torch::Tensor residual = local_residual(Mode::kLocoPropM, f, z.detach(), t);
  EXPECT_TRUE(torch::allclose(grad, residual, 1e-12, 1e-12)) << train::activation_name(f);
}

INSTANTIATE_TEST_SUITE_P(EveryActivation, MatchingLossTest,
                         ::testing::Values(Activation::kLinear, Activation::kSigmoid, Activation::kTanh,
                                           Activation::kRelu, Activation::kSoftmax),
                         [](const auto& p) { return std::string(train::activation_name(p.param)); });

TEST(MatchingLoss, SquaredLossResidualIsTheGradientOfHalfTheSquare) {
  torch::Tensor z = torch::randn({4, 3}, torch::kDouble).requires_grad_(true);
  torch::Tensor t = torch::randn({4, 3}, torch::kDouble);
  torch::Tensor grad = torch::autograd::grad({0.5 * (z - t).square().sum()}, {z})[0];
  EXPECT_TRUE(torch::allclose(grad, local_residual(Mode::kLocoPropS, Activation::kTanh, z.detach(), t)));
}

TEST(MatchingLoss, LastLinearLayerMatchesTheGlobalLossTransfer) {
  EXPECT_EQ(matching_activation(Activation::kLinear, true, train::LossKind::kSigmoidCrossEntropy),
            Activation::kSigmoid);
  EXPECT_EQ(matching_activation(Activation::kLinear, true, train::LossKind::kSoftmaxCrossEntropy),
            Activation::kSoftmax);
  EXPECT_EQ(matching_activation(Activation::kLinear, false, train::LossKind::kSigmoidCrossEntropy),
            Activation::kLinear);
  EXPECT_EQ(matching_activation(Activation::kTanh, true, train::LossKind::kMse), Activation::kTanh);
}

// A small deep stack (tanh, relu, linear bottleneck, sigmoid, linear logits).
std::shared_ptr<train::DenseStack> small_stack() {
  return std::make_shared<train::DenseStack>(
      std::vector<std::int64_t>{6, 8, 7, 3, 5, 6},
      std::vector<Activation>{Activation::kTanh, Activation::kRelu, Activation::kLinear, Activation::kSigmoid,
                              Activation::kLinear});
}

optim::OptimizerConfig sgd() {
  optim::OptimizerConfig c;
  c.kind = "sgd";
  return c;
}

std::vector<torch::Tensor> copies(const torch::nn::Module& module) {
  std::vector<torch::Tensor> out;
  for (const torch::Tensor& p : module.parameters()) {
    out.push_back(p.detach().clone());
  }
  return out;
}

class FirstLocalStepTest : public ::testing::TestWithParam<Mode> {};

TEST_P(FirstLocalStepTest, OneSgdStepEqualsBackpropWithLearningRateTimesGamma) {
  torch::manual_seed(5);
  auto loco = small_stack();
  auto bp = small_stack();
  {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < loco->parameters().size(); ++i) {
      bp->parameters()[i].copy_(loco->parameters()[i]);
    }
  }
  const double lr = 0.05;
  const double gamma = 3;
  const auto initial = copies(*loco);
  train::Batch batch{torch::rand({16, 6}), torch::rand({16, 6})};
  LocoPropOptions options;
  options.mode = GetParam();
  options.activation_lr = gamma;
  options.local_iters = 1;
  LocoPropStep local(*loco, sgd(), nullptr, options);
  local.step(std::span<const train::Batch>(&batch, 1), lr);

  LocoPropOptions baseline = options;
  baseline.mode = Mode::kBackprop;
  LocoPropStep backprop(*bp, sgd(), nullptr, baseline);
  backprop.step(std::span<const train::Batch>(&batch, 1), lr * gamma);

  const auto a = copies(*loco);
  const auto b = copies(*bp);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::allclose(a[i], b[i], 1e-5, 1e-6)) << "parameter " << i << " max diff "
                                                          << (a[i] - b[i]).abs().max().item<double>();
    EXPECT_FALSE(torch::allclose(a[i], initial[i], 1e-4, 1e-5)) << "parameter " << i << " did not move";
  }
}

INSTANTIATE_TEST_SUITE_P(BothVariants, FirstLocalStepTest, ::testing::Values(Mode::kLocoPropS, Mode::kLocoPropM),
                         [](const auto& p) { return std::string(mode_name(p.param)); });

TEST(LocoPropS, ProximalGradientDescentConvergesToTheClosedForm) {
  // One linear layer, mse loss. theta = [W^T; b^T] in the row convention,
  // X_a = [X, 1]; the local problem's minimiser is
  //   theta* = theta_t - gamma (X_a^T X_a + I / eta)^-1 X_a^T G,  G = dL/da.
  torch::manual_seed(6);
  train::DenseStack layer({4, 3}, {Activation::kLinear});
  train::Batch batch{torch::randn({16, 4}), torch::randn({16, 3})};
  const double gamma = 2;
  const double eta = 0.5;
  torch::Tensor x = batch.input.to(torch::kDouble);
  torch::Tensor theta_t =
      torch::cat({layer.layer(0)->weight.detach().t(), layer.layer(0)->bias.detach().unsqueeze(0)}).to(torch::kDouble);
  torch::Tensor a = layer.forward(batch.input);
  torch::Tensor g = torch::autograd::grad({torch::mse_loss(a, batch.target)}, {a})[0].to(torch::kDouble);
  torch::Tensor xa = torch::cat({x, torch::ones({16, 1}, torch::kDouble)}, 1);
  torch::Tensor h = xa.t().mm(xa) + torch::eye(5, torch::kDouble) / eta;
  torch::Tensor expected = theta_t - gamma * torch::linalg_solve(h, xa.t().mm(g), true);

  LocoPropOptions options;
  options.mode = Mode::kLocoPropS;
  options.loss = train::LossKind::kMse;
  options.activation_lr = gamma;
  options.local_iters = 3000;
  options.min_lr_fraction = 1;  // constant inner step
  options.prox_eta = eta;
  options.layer_threads = 0;
  LocoPropStep step(layer, sgd(), nullptr, options);
  step.step(std::span<const train::Batch>(&batch, 1), 0.01);
  torch::Tensor theta =
      torch::cat({layer.layer(0)->weight.detach().t(), layer.layer(0)->bias.detach().unsqueeze(0)}).to(torch::kDouble);
  EXPECT_TRUE(torch::allclose(theta, expected, 1e-4, 1e-5)) << theta << expected;
  // And it is not the plain first-order step.
  EXPECT_FALSE(torch::allclose(theta, theta_t - 0.01 * gamma * xa.t().mm(g), 1e-3, 1e-4));
}

TEST(LayerAssignment, LargestLayersFirstOntoTheLeastLoadedRank) {
  // The deep autoencoder's layers (weights + biases).
  const std::vector<double> costs{785000, 500500, 125250, 7530, 7750, 125500, 501000, 784784};
  EXPECT_EQ(assign_layers(costs, 1), std::vector<int>(8, 0));
  const std::vector<int> two = assign_layers(costs, 2);
  EXPECT_EQ(two, (std::vector<int>{0, 0, 1, 1, 0, 0, 1, 1}));
  double load[2] = {0, 0};
  for (std::size_t m = 0; m < costs.size(); ++m) {
    load[two[m]] += costs[m];
  }
  EXPECT_LT(std::abs(load[0] - load[1]) / (load[0] + load[1]), 0.01);
  EXPECT_EQ(assign_layers({1, 1, 1}, 4), (std::vector<int>{0, 1, 2}));
}

TEST(LocoPropStep, ThreadCountDoesNotChangeTheResult) {
  torch::manual_seed(7);
  auto one = small_stack();
  auto three = small_stack();
  {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < one->parameters().size(); ++i) {
      three->parameters()[i].copy_(one->parameters()[i]);
    }
  }
  optim::OptimizerConfig rms;
  rms.kind = "rmsprop_tf1";
  rms.momentum = 0.999;
  rms.alpha = 0.9;
  const auto initial = copies(*one);
  LocoPropOptions options;
  options.layer_threads = 0;
  LocoPropStep inline_step(*one, rms, nullptr, options);
  options.layer_threads = 3;
  LocoPropStep pooled_step(*three, rms, nullptr, options);
  for (int i = 0; i < 3; ++i) {
    train::Batch batch{torch::rand({16, 6}), torch::rand({16, 6})};
    inline_step.step(std::span<const train::Batch>(&batch, 1), 1e-3);
    pooled_step.step(std::span<const train::Batch>(&batch, 1), 1e-3);
  }
  const auto a = copies(*one);
  const auto b = copies(*three);
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::equal(a[i], b[i])) << "parameter " << i;
    EXPECT_FALSE(torch::equal(a[i], initial[i])) << "parameter " << i << " did not move";
  }
}

}  // namespace
}  // namespace tessera::jobs::locoprop
