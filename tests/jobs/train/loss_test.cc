// Losses and evaluation sums.

#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "jobs/train/loss.h"

namespace tessera::jobs::train {
namespace {

TEST(Loss, SigmoidCrossEntropyOfZeroLogitsIs784Ln2PerImage) {
  torch::Tensor pixels = torch::rand({8, 784});
  double loss = compute_loss(LossKind::kSigmoidCrossEntropy, torch::zeros({8, 784}), pixels).item<double>();
  EXPECT_NEAR(loss, 784 * std::log(2.0), 1e-3);  // ~543, the autoencoder's starting loss
}

TEST(Loss, SigmoidCrossEntropySumsOutputsAndAveragesTheBatch) {
  torch::manual_seed(1);
  torch::Tensor z = torch::randn({4, 5}, torch::kFloat64);
  torch::Tensor t = torch::rand({4, 5}, torch::kFloat64);
  torch::Tensor p = torch::sigmoid(z);
  torch::Tensor expected = -(t * p.log() + (1 - t) * (1 - p).log()).sum() / 4;
  EXPECT_NEAR(compute_loss(LossKind::kSigmoidCrossEntropy, z, t).item<double>(), expected.item<double>(), 1e-12);
}

TEST(Loss, SoftmaxCrossEntropyAveragesEveryPosition) {
  torch::manual_seed(2);
  torch::Tensor z = torch::randn({2, 3, 4}, torch::kFloat64);
  torch::Tensor labels = torch::randint(4, {2, 3}, torch::kLong);
  torch::Tensor log_p = torch::log_softmax(z, -1);
  torch::Tensor expected = -log_p.gather(-1, labels.unsqueeze(-1)).mean();
  EXPECT_NEAR(compute_loss(LossKind::kSoftmaxCrossEntropy, z, labels).item<double>(), expected.item<double>(),
              1e-12);
}

TEST(Loss, MseIsTheMeanOverElements) {
  torch::Tensor y = torch::tensor({1.0, 2.0, 3.0, 4.0}).reshape({2, 2});
  EXPECT_DOUBLE_EQ(compute_loss(LossKind::kMse, y, torch::zeros({2, 2})).item<double>(), 30.0 / 4);
}

TEST(EvalSums, BatchesAndRanksAddUpToTheWholeSplit) {
  torch::manual_seed(3);
  torch::Tensor z = torch::randn({10, 3});
  torch::Tensor labels = torch::randint(3, {10}, torch::kLong);
  EvalSums whole;
  whole.add(LossKind::kSoftmaxCrossEntropy, z, labels);
  EvalSums a;
  EvalSums b;
  a.add(LossKind::kSoftmaxCrossEntropy, z.narrow(0, 0, 3), labels.narrow(0, 0, 3));
  b.add(LossKind::kSoftmaxCrossEntropy, z.narrow(0, 3, 7), labels.narrow(0, 3, 7));
  std::vector<double> sum = a.to_vector();
  for (std::size_t i = 0; i < sum.size(); ++i) {
    sum[i] += b.to_vector()[i];
  }
  auto metrics = EvalSums::from_vector(sum).metrics();
  auto expected = whole.metrics();
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_EQ(metrics[1].first, "accuracy");
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    EXPECT_NEAR(metrics[i].second, expected[i].second, 1e-6) << metrics[i].first;
  }
  EXPECT_NEAR(metrics[0].second,
              compute_loss(LossKind::kSoftmaxCrossEntropy, z, labels).item<double>(), 1e-6);
  const double accuracy = z.argmax(1).eq(labels).to(torch::kDouble).mean().item<double>();
  EXPECT_DOUBLE_EQ(metrics[1].second, accuracy);
}

TEST(EvalSums, AutoencoderReportsLossAndSquaredError) {
  torch::Tensor x = torch::full({2, 4}, 0.25);
  EvalSums sums;
  sums.add(LossKind::kSigmoidCrossEntropy, torch::zeros({2, 4}), x);
  auto metrics = sums.metrics();
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_NEAR(metrics[0].second, 4 * std::log(2.0), 1e-6);
  EXPECT_EQ(metrics[1].first, "squared_error");
  EXPECT_NEAR(metrics[1].second, 0.0625, 1e-7);
}

}  // namespace
}  // namespace tessera::jobs::train
