#pragma once

// MoeLm: a small byte-level decoder-only transformer language model whose
// feed-forward blocks are MoE layers (every block, or every n-th with dense
// FFNs between), the model `job: moe` trains.
//
//   input [B, S] bytes (as float, as the text shards' batches arrive)
//   forward -> logits [B, S-1, 256] predicting byte t+1 from bytes <= t
//
// Blocks are pre-norm: x += attn(ln1(x)) (causal multi-head), x += ffn(ln2(x)).
// Dropped token copies of a capacity-limited MoE layer contribute nothing to
// the FFN output, so those tokens pass through the residual.
//
// Non-expert parameters come from the global torch RNG (seed it the same on
// every rank; the reducer also broadcasts rank 0's); expert weights from
// (seed, block) so every ep_size builds the same experts.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "comm/communicator.h"
#include "jobs/moe/moe_config.h"
#include "jobs/moe/moe_layer.h"
#include "jobs/train/model.h"

namespace tessera::jobs::moe {

class MoeLm : public train::Model {
 public:
  MoeLm(const LmConfig& model, const MoeLayerConfig& moe, comm::Communicator* ep, std::uint64_t seed);

  torch::Tensor forward(const torch::Tensor& input) override;
  // Sum over the MoE layers of their auxiliary + z losses in the last forward.
  torch::Tensor aux_loss() override;
  std::string describe() const override;

  // Next-byte cross-entropy (nats per byte, mean) of `logits` for `input`.
  static torch::Tensor next_byte_loss(const torch::Tensor& logits, const torch::Tensor& input);

  const std::vector<std::shared_ptr<MoeLayer>>& moe_layers() const { return moe_layers_; }
  // Expert parameters are stacked [local experts, ...] slices of [experts, ...].
  static bool is_expert_parameter(const std::string& name) { return MoeLayer::is_expert_parameter(name); }
  int experts() const { return moe_.experts; }
  int first_expert() const { return moe_layers_.empty() ? 0 : moe_layers_.front()->first_expert(); }

 private:
  struct Block {
    torch::nn::LayerNorm ln1{nullptr};
    torch::nn::Linear qkv{nullptr};
    torch::nn::Linear proj{nullptr};
    torch::nn::LayerNorm ln2{nullptr};
    std::shared_ptr<MoeLayer> moe;     // or a dense FFN:
    torch::nn::Linear up{nullptr};
    torch::nn::Linear down{nullptr};
  };

  torch::Tensor attention(Block& block, const torch::Tensor& x) const;

  LmConfig model_;
  MoeLayerConfig moe_;
  torch::nn::Embedding tokens_{nullptr};
  torch::nn::Embedding positions_{nullptr};
  std::vector<Block> blocks_;
  std::vector<std::shared_ptr<MoeLayer>> moe_layers_;
  torch::nn::LayerNorm ln_f_{nullptr};
  torch::nn::Linear head_{nullptr};
};

}  // namespace tessera::jobs::moe
