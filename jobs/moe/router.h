#pragma once

// Top-k routing of tokens to experts, with the auxiliary losses and the
// capacity rule of the MoE literature.
//
//   Routing r = route(logits, {.top_k = 2, .kind = RouterKind::kTopkSoftmax});
//   // r.experts [T, k], r.weights [T, k], r.kept [T, k], r.aux_loss, r.z_loss
//
// Selection: the k largest logits per token (torch::topk; exact ties in any order), best
// first. Weights:
//   kTopkSoftmax   softmax over the k selected logits (Mixtral:
//                  G(x) = Softmax(TopK(x W_g)); equal to renormalising the
//                  full softmax over the selected experts)
//   kSoftmaxTopk   the full softmax's probabilities of the selected experts,
//                  not renormalised (GShard/Switch)
// Losses (unscaled; the layer multiplies by the coefficients):
//   aux = E * sum_i f_i * P_i   (Switch; f_i = share of the T*k selections that
//                                chose expert i, P_i = mean router probability)
//   z   = mean over tokens of logsumexp(logits)^2 (ST-MoE router z-loss)
// Capacity (capacity_factor > 0): C = ceil(T * k * cf / E) per expert; of the
// copies sent to an expert, the C with the highest router probability (the
// full softmax's p_e(x)) are kept, ties by token then choice order; the others
// are dropped (their kept flag is false, the token's residual carries it).
// Dropless (capacity_factor 0): every copy is kept.
//
// Everything is differentiable where it should be: weights (and the losses)
// carry gradients back to the logits; indices, masks and counts do not.
// Deterministic: the same logits give the same routing on every rank.

#include <cstdint>

#include <torch/types.h>

namespace tessera::jobs::moe {

enum class RouterKind { kTopkSoftmax, kSoftmaxTopk };

struct RouterOptions {
  int top_k = 2;
  RouterKind kind = RouterKind::kTopkSoftmax;
  double capacity_factor = 0;  // 0: dropless
};

struct Routing {
  torch::Tensor probs;              // [T, E] softmax over all experts
  torch::Tensor experts;            // [T, k] int64 selected experts, best first
  torch::Tensor weights;            // [T, k] combine weights
  torch::Tensor kept;               // [T, k] bool: the copy reaches its expert
  torch::Tensor tokens_per_expert;  // [E] int64: selections per expert before drops
  torch::Tensor aux_loss;           // scalar: E * sum f_i P_i
  torch::Tensor z_loss;             // scalar: mean logsumexp^2
  std::int64_t capacity = -1;       // per expert; -1 when dropless
};

// ceil(tokens * k * capacity_factor / experts), at least 1.
std::int64_t expert_capacity(std::int64_t tokens, int top_k, double capacity_factor, int experts);

// Routes the tokens whose router logits are `logits` [T, E] (float).
Routing route(const torch::Tensor& logits, const RouterOptions& options);

// Mean over tokens of the entropy (nats) of the router's distribution.
double router_entropy(const torch::Tensor& probs);

}  // namespace tessera::jobs::moe
