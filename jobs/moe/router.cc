#include "jobs/moe/router.h"

#include <cmath>

#include <fmt/format.h>

#include "runtime/error.h"

namespace tessera::jobs::moe {

std::int64_t expert_capacity(std::int64_t tokens, int top_k, double capacity_factor, int experts) {
  const double c = std::ceil(static_cast<double>(tokens) * top_k * capacity_factor / experts);
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(c));
}

namespace {

// For the copies (token t, choice j) flattened t-major, true where the copy
// is among the `capacity` highest-probability copies sent to its expert.
torch::Tensor within_capacity(const torch::Tensor& expert, const torch::Tensor& priority,
                              std::int64_t experts, std::int64_t capacity) {
  const std::int64_t n = expert.size(0);
  // Group by expert, highest priority first inside a group; stable sorts keep
  // (token, choice) order among equal priorities, so ties are deterministic.
  torch::Tensor by_priority = std::get<1>(priority.sort(/*stable=*/true, /*dim=*/0, /*descending=*/true));
  torch::Tensor by_expert =
      std::get<1>(expert.index_select(0, by_priority).sort(/*stable=*/true, /*dim=*/0, /*descending=*/false));
  torch::Tensor order = by_priority.index_select(0, by_expert);
  torch::Tensor sorted_expert = expert.index_select(0, order);
  torch::Tensor counts = torch::bincount(sorted_expert, {}, experts);
  torch::Tensor starts = counts.cumsum(0) - counts;
  torch::Tensor position = torch::arange(n, expert.options()) - starts.index_select(0, sorted_expert);
  torch::Tensor kept = torch::empty({n}, expert.options().dtype(torch::kBool));
  kept.index_put_({order}, position < capacity);
  return kept;
}

}  // namespace

Routing route(const torch::Tensor& logits, const RouterOptions& options) {
  TESSERA_CHECK(logits.dim() == 2, "router logits must be [tokens, experts]");
  const std::int64_t tokens = logits.size(0);
  const std::int64_t experts = logits.size(1);
  const int k = options.top_k;
  if (k > experts) {
    throw ConfigError(fmt::format("moe.top_k = {} (must be <= moe.experts = {})", k, experts));
  }
  Routing r;
  torch::Tensor logits32 = logits.to(torch::kFloat);
  r.probs = torch::softmax(logits32, 1);
  auto [top_logits, top_experts] = logits32.topk(k, /*dim=*/1, /*largest=*/true, /*sorted=*/true);
  r.experts = top_experts;
  if (options.kind == RouterKind::kTopkSoftmax) {
    r.weights = torch::softmax(top_logits, 1);
  } else {
    r.weights = r.probs.gather(1, top_experts);
  }
  torch::Tensor flat_experts = top_experts.reshape({-1});
  r.tokens_per_expert = torch::bincount(flat_experts, {}, experts);

  // Switch load balancing: f from the hard selections (no gradient), P from
  // the probabilities (gradient).
  torch::Tensor f = r.tokens_per_expert.to(torch::kFloat) / static_cast<double>(std::max<std::int64_t>(1, tokens * k));
  torch::Tensor p = tokens > 0 ? r.probs.mean(0) : torch::zeros({experts}, r.probs.options());
  r.aux_loss = static_cast<double>(experts) * (f * p).sum();
  r.z_loss = tokens > 0 ? torch::logsumexp(logits32, 1).square().mean() : torch::zeros({}, logits32.options());

  if (options.capacity_factor > 0 && tokens > 0) {
    r.capacity = expert_capacity(tokens, k, options.capacity_factor, static_cast<int>(experts));
    torch::Tensor priority = r.probs.detach().gather(1, top_experts).reshape({-1});
    r.kept = within_capacity(flat_experts, priority, experts, r.capacity).reshape({tokens, k});
  } else {
    r.kept = torch::ones({tokens, k}, top_experts.options().dtype(torch::kBool));
  }
  return r;
}

double router_entropy(const torch::Tensor& probs) {
  if (probs.size(0) == 0) {
    return 0;
  }
  torch::Tensor p = probs.detach();
  return -(p * torch::log(p.clamp_min(1e-30))).sum(1).mean().item<double>();
}

}  // namespace tessera::jobs::moe
