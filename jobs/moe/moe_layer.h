#pragma once

// MoeLayer: a Mixture-of-Experts feed-forward layer with expert parallelism.
//
//   MoeLayer layer(d_model, d_ff, config, ep_group, seed);   // ep_group: null = all experts here
//   torch::Tensor y = layer.forward(x);                      // x, y: [tokens, d_model]
//   total_loss = task_loss + layer.loss();                   // aux + z, with their coefficients
//
// The E experts are split evenly over the expert-parallel group: rank r holds
// experts [r*E/ep, (r+1)*E/ep) as stacked parameters (expert_w1 [E/ep, d, f],
// expert_w2 [E/ep, f, d], expert_w3 [E/ep, d, f] for SwiGLU), so a
// checkpoint stores them by global expert id. Router and expert weights are
// drawn from `seed` for all E experts and sliced, so every ep_size starts
// from the same model.
//
// Forward (router.h for the routing rules):
//   1. route each token to its top-k experts (copies over capacity dropped);
//   2. sort the kept copies by destination expert, exchange per-expert counts,
//      all_to_allv the rows to the experts' ranks (token_exchange.h);
//   3. regroup by local expert and run each expert on its contiguous block
//      (expert_compute loop) or all at once padded (batched);
//   4. all_to_allv back, unpermute, out[t] = sum_j weight[t, j] * expert_j(x[t]).
// Backward runs the reverse exchanges (autograd). Collective over the group:
// every rank calls forward and backward the same number of times.
//
// Capacity is per rank: C = ceil(T*k*cf/E) with T this rank's tokens, applied
// before the exchange (as Megatron); the auxiliary losses are this rank's
// tokens' (the data-parallel mean of them is the loss of the whole batch).

#include <cstdint>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "comm/communicator.h"
#include "jobs/moe/moe_config.h"
#include "jobs/moe/router.h"
#include "jobs/moe/token_exchange.h"

namespace tessera::jobs::moe {

// What the last forward did, for metrics. Times accumulate until reset_times().
struct MoeLayerStats {
  std::vector<std::int64_t> tokens_per_expert;  // this rank's selections per global expert
  double dropped_fraction = 0;   // share of this rank's token copies over capacity
  double aux_loss = 0;           // unscaled E * sum f_i P_i
  double z_loss = 0;             // unscaled mean logsumexp^2
  double router_entropy = 0;     // mean entropy (nats) of the router distribution
  double exchange_seconds = 0;   // all-to-all (counts and rows), forward and backward
  double expert_seconds = 0;     // expert FFNs, forward
};

class MoeLayer : public torch::nn::Module {
 public:
  // `ep` (may be null: one rank, all experts) must outlive the layer and
  // have config.ep_size ranks.
  MoeLayer(int d_model, int d_ff, const MoeLayerConfig& config, comm::Communicator* ep, std::uint64_t seed);

  torch::Tensor forward(const torch::Tensor& x);
  // aux_loss_coeff * aux + z_loss_coeff * z of the last forward (scalar).
  torch::Tensor loss() const { return loss_; }
  MoeLayerStats stats() const;
  void reset_times();

  int experts() const { return config_.experts; }
  int local_experts() const { return local_experts_; }
  int first_expert() const { return first_expert_; }
  // Names (as registered here) of the stacked expert parameters.
  static bool is_expert_parameter(const std::string& name);

 private:
  torch::Tensor run_experts(const torch::Tensor& x, const std::vector<std::int64_t>& counts);
  torch::Tensor expert_ffn(const torch::Tensor& x, const torch::Tensor& w1, const torch::Tensor& w2,
                           const torch::Tensor& w3) const;

  MoeLayerConfig config_;
  comm::Communicator* ep_;
  int ep_size_;
  int local_experts_;
  int first_expert_;
  RouterOptions router_options_;
  torch::Tensor router_weight_;  // [E, d]
  torch::Tensor w1_, w2_, w3_;   // local experts
  torch::Tensor loss_;
  MoeLayerStats stats_;
  ExchangeTimer timer_;          // row exchanges, forward and backward
  double count_seconds_ = 0;     // count exchanges
};

}  // namespace tessera::jobs::moe
