#include "jobs/moe/moe_lm.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <torch/nn/functional/loss.h>

#include "runtime/error.h"

namespace tessera::jobs::moe {

namespace {
constexpr std::int64_t kVocabulary = 256;  // bytes
}  // namespace

MoeLm::MoeLm(const LmConfig& model, const MoeLayerConfig& moe, comm::Communicator* ep, std::uint64_t seed)
    : model_(model), moe_(moe) {
  if (model.d_model % model.heads != 0) {
    throw ConfigError(fmt::format("model.heads = {} (must divide model.d_model = {})", model.heads, model.d_model));
  }
  const int d = model.d_model;
  tokens_ = register_module("tokens", torch::nn::Embedding(kVocabulary, d));
  positions_ = register_module("positions", torch::nn::Embedding(model.max_seq, d));
  for (int i = 0; i < model.layers; ++i) {
    Block b;
    const std::string name = fmt::format("block{}", i);
    b.ln1 = register_module(name + "_ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
    b.qkv = register_module(name + "_qkv", torch::nn::Linear(d, 3 * d));
    b.proj = register_module(name + "_proj", torch::nn::Linear(d, d));
    b.ln2 = register_module(name + "_ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
    if ((i + 1) % model.moe_every == 0) {
      b.moe = register_module(name + "_moe", std::make_shared<MoeLayer>(d, model.d_ff, moe, ep, seed * 1000 + i));
      moe_layers_.push_back(b.moe);
    } else {
      b.up = register_module(name + "_up", torch::nn::Linear(d, model.d_ff));
      b.down = register_module(name + "_down", torch::nn::Linear(model.d_ff, d));
    }
    blocks_.push_back(b);
  }
  ln_f_ = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  head_ = register_module("head", torch::nn::Linear(d, kVocabulary));
}

torch::Tensor MoeLm::attention(Block& block, const torch::Tensor& x) const {
  const std::int64_t b = x.size(0);
  const std::int64_t t = x.size(1);
  const std::int64_t h = model_.heads;
  const std::int64_t dh = model_.d_model / h;
  std::vector<torch::Tensor> qkv = block.qkv->forward(x).view({b, t, 3, h, dh}).permute({2, 0, 3, 1, 4}).unbind(0);
  torch::Tensor scores = torch::matmul(qkv[0], qkv[1].transpose(-2, -1)) / std::sqrt(static_cast<double>(dh));
  torch::Tensor future = torch::ones({t, t}, x.options().dtype(torch::kBool)).triu(1);
  scores = scores.masked_fill(future, -std::numeric_limits<float>::infinity());
  torch::Tensor out = torch::matmul(torch::softmax(scores, -1), qkv[2]);  // [b, h, t, dh]
  return block.proj->forward(out.transpose(1, 2).reshape({b, t, model_.d_model}));
}

torch::Tensor MoeLm::forward(const torch::Tensor& input) {
  TESSERA_CHECK(input.dim() == 2, "MoE LM input must be [batch, bytes]");
  const std::int64_t t = input.size(1) - 1;
  if (t > model_.max_seq) {
    throw ConfigError(fmt::format("model.max_seq = {} (sequences of {} bytes need at least {})", model_.max_seq,
                                  input.size(1), t));
  }
  torch::Tensor bytes = input.narrow(1, 0, t).to(torch::kLong);
  torch::Tensor x = tokens_->forward(bytes) +
                    positions_->forward(torch::arange(t, bytes.options())).unsqueeze(0);
  const std::int64_t b = x.size(0);
  for (Block& block : blocks_) {
    x = x + attention(block, block.ln1->forward(x));
    torch::Tensor normed = block.ln2->forward(x);
    if (block.moe) {
      x = x + block.moe->forward(normed.reshape({b * t, model_.d_model})).view({b, t, model_.d_model});
    } else {
      x = x + block.down->forward(torch::gelu(block.up->forward(normed)));
    }
  }
  return head_->forward(ln_f_->forward(x));
}

torch::Tensor MoeLm::aux_loss() {
  torch::Tensor total;
  for (const auto& layer : moe_layers_) {
    total = total.defined() ? total + layer->loss() : layer->loss();
  }
  return total;
}

torch::Tensor MoeLm::next_byte_loss(const torch::Tensor& logits, const torch::Tensor& input) {
  const std::int64_t t = logits.size(1);
  torch::Tensor next = input.narrow(1, 1, t).to(torch::kLong).reshape({-1});
  return torch::nn::functional::cross_entropy(logits.reshape({-1, kVocabulary}), next);
}

std::string MoeLm::describe() const {
  return fmt::format("byte LM d_model {} heads {} layers {} ({} MoE: {} {} experts of d_ff {}, top-{}, {}), "
                     "{} parameters on this rank",
                     model_.d_model, model_.heads, model_.layers, moe_layers_.size(), moe_.experts, moe_.expert,
                     model_.d_ff, moe_.top_k,
                     moe_.capacity_factor > 0 ? fmt::format("capacity factor {}", moe_.capacity_factor)
                                              : std::string("dropless"),
                     train::parameter_count(*this));
}

}  // namespace tessera::jobs::moe
