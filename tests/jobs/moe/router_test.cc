// Routing rules on small fixed inputs, checked against values computed by
// hand: top-k selection, Mixtral's normalisation, the Switch load-balancing
// loss, the router z-loss, and which copies the capacity rule drops.

#include <cmath>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "jobs/moe/router.h"

namespace tessera::jobs::moe {
namespace {

torch::Tensor matrix(const std::vector<std::vector<float>>& rows) {
  std::vector<torch::Tensor> r;
  for (const auto& row : rows) {
    r.push_back(torch::tensor(row));
  }
  return torch::stack(r);
}

TEST(Router, TopKPicksTheLargestLogitsBestFirst) {
  Routing r = route(matrix({{1, 3, 2, 0}, {5, -1, 4, 4.5}}), {.top_k = 2});
  EXPECT_EQ(r.experts[0][0].item<int64_t>(), 1);
  EXPECT_EQ(r.experts[0][1].item<int64_t>(), 2);
  EXPECT_EQ(r.experts[1][0].item<int64_t>(), 0);
  EXPECT_EQ(r.experts[1][1].item<int64_t>(), 3);
  EXPECT_EQ(r.tokens_per_expert.sum().item<int64_t>(), 4);
  EXPECT_TRUE(r.kept.all().item<bool>());
  EXPECT_EQ(r.capacity, -1);
}

TEST(Router, MixtralWeightsAreASoftmaxOverTheSelectedLogits) {
  Routing r = route(matrix({{1, 3, 2, 0}}), {.top_k = 2, .kind = RouterKind::kTopkSoftmax});
  const double e = std::exp(1.0);  // exp(3) / (exp(3) + exp(2)) = e / (e + 1)
  EXPECT_NEAR(r.weights[0][0].item<double>(), e / (e + 1), 1e-6);
  EXPECT_NEAR(r.weights[0][1].item<double>(), 1 / (e + 1), 1e-6);
  // Same as renormalising the full softmax over the two selected experts.
  torch::Tensor p = r.probs[0];
  const double renorm = (p[1] / (p[1] + p[2])).item<double>();
  EXPECT_NEAR(r.weights[0][0].item<double>(), renorm, 1e-6);
}

TEST(Router, SwitchWeightsAreTheFullSoftmaxProbabilities) {
  Routing r = route(matrix({{1, 3, 2, 0}}), {.top_k = 2, .kind = RouterKind::kSoftmaxTopk});
  const double z = std::exp(1.0) + std::exp(3.0) + std::exp(2.0) + std::exp(0.0);
  EXPECT_NEAR(r.weights[0][0].item<double>(), std::exp(3.0) / z, 1e-6);
  EXPECT_NEAR(r.weights[0][1].item<double>(), std::exp(2.0) / z, 1e-6);
}

TEST(Router, AuxAndZLossEqualHandComputedValues) {
  const std::vector<std::vector<float>> logits{{2, 0, 1}, {0, 1, 3}, {1, 2, 0}, {0.5, 0, 0}};
  Routing r = route(matrix(logits), {.top_k = 1});
  // By hand: p = softmax per token; f_i = share of tokens whose top-1 is i.
  const int experts = 3;
  std::vector<double> mean_p(experts, 0.0);
  std::vector<double> f(experts, 0.0);
  double z = 0;
  for (const auto& row : logits) {
    double sum = 0;
    int best = 0;
    for (int i = 0; i < experts; ++i) {
      sum += std::exp(row[i]);
      best = row[i] > row[best] ? i : best;
    }
    for (int i = 0; i < experts; ++i) {
      mean_p[i] += std::exp(row[i]) / sum / logits.size();
    }
    f[best] += 1.0 / logits.size();
    z += std::log(sum) * std::log(sum) / logits.size();
  }
  double aux = 0;
  for (int i = 0; i < experts; ++i) {
    aux += experts * f[i] * mean_p[i];
  }
  EXPECT_NEAR(r.aux_loss.item<double>(), aux, 1e-6);
  EXPECT_NEAR(r.z_loss.item<double>(), z, 1e-5);
}

TEST(Router, AuxLossIsOneAtPerfectBalance) {
  // Uniform probabilities: P_i = 1/E, f_i = 1/E whatever the selection.
  Routing r = route(torch::zeros({8, 4}), {.top_k = 2});
  EXPECT_NEAR(r.aux_loss.item<double>(), 1.0, 1e-6);
}

TEST(Router, CapacityDropsTheLowestProbabilityCopies) {
  // Every token prefers expert 0, with decreasing margins; E = 2, k = 1,
  // cf = 1: capacity ceil(4 * 1 * 1 / 2) = 2, so expert 0 keeps its two most
  // confident tokens (rows 2 and 0) and drops the others.
  Routing r = route(matrix({{2, 0}, {0.5, 0}, {3, 0}, {1, 0}}), {.top_k = 1, .capacity_factor = 1.0});
  EXPECT_EQ(r.capacity, 2);
  std::vector<bool> kept;
  for (int t = 0; t < 4; ++t) {
    kept.push_back(r.kept[t][0].item<bool>());
  }
  EXPECT_EQ(kept, (std::vector<bool>{true, false, true, false}));
  EXPECT_EQ(r.tokens_per_expert[0].item<int64_t>(), 4);  // counted before drops
}

TEST(Router, CapacityCountsTopKCopiesPerExpert) {
  EXPECT_EQ(expert_capacity(4096, 2, 1.25, 8), 1280);
  EXPECT_EQ(expert_capacity(10, 2, 1.0, 8), 3);  // ceil(2.5)
  // Top-2 over 3 experts with cf 0.5: capacity ceil(4*2*0.5/3) = 2 per expert.
  Routing r = route(matrix({{3, 2, 0}, {3, 1, 2}, {0, 3, 2}, {3, 2, 1}}),
                    {.top_k = 2, .capacity_factor = 0.5});
  ASSERT_EQ(r.capacity, 2);
  torch::Tensor per_expert = torch::zeros({3}, torch::kLong);
  for (int t = 0; t < 4; ++t) {
    for (int j = 0; j < 2; ++j) {
      if (r.kept[t][j].item<bool>()) {
        per_expert[r.experts[t][j].item<int64_t>()] += 1;
      }
    }
  }
  EXPECT_LE(per_expert.max().item<int64_t>(), 2);
  EXPECT_EQ(per_expert.sum().item<int64_t>(), 6);  // 8 copies: experts 0 and 1 chosen 3x (one each dropped), 2 twice
}

TEST(Router, GradientsReachTheLogitsThroughWeightsAndLosses) {
  torch::Tensor logits = torch::randn({6, 4}, torch::TensorOptions().requires_grad(true));
  Routing r = route(logits, {.top_k = 2});
  (r.weights.sum() * 0 + r.weights[0][0] + r.aux_loss + r.z_loss).backward();
  ASSERT_TRUE(logits.grad().defined());
  EXPECT_GT(logits.grad().abs().sum().item<double>(), 0);
}

}  // namespace
}  // namespace tessera::jobs::moe
