#include "jobs/moe/moe_layer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include <ATen/CPUGeneratorImpl.h>
#include <fmt/format.h>
#include <torch/nn/functional/activation.h>

#include "runtime/error.h"

namespace tessera::jobs::moe {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Uniform(-bound, bound) from `generator`, all experts, then this rank's slice.
torch::Tensor uniform(at::Generator& generator, std::vector<std::int64_t> shape, double bound) {
  return at::rand(shape, generator, torch::TensorOptions().dtype(torch::kFloat)) * (2 * bound) - bound;
}

torch::Tensor index_tensor(const std::vector<std::int64_t>& values, const torch::Device& device) {
  return torch::tensor(values, torch::TensorOptions().dtype(torch::kLong)).to(device);
}

std::vector<std::int64_t> to_vector(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kCPU).to(torch::kLong).contiguous();
  return std::vector<std::int64_t>(c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel());
}

}  // namespace

MoeLayer::MoeLayer(int d_model, int d_ff, const MoeLayerConfig& config, comm::Communicator* ep,
                   std::uint64_t seed)
    : config_(config), ep_(ep), ep_size_(ep != nullptr ? ep->size() : 1) {
  if (ep != nullptr && ep->size() != config.ep_size) {
    throw InternalError(fmt::format("MoE layer: expert-parallel group of {} ranks, moe.ep_size = {}",
                                    ep->size(), config.ep_size));
  }
  if (config.experts % ep_size_ != 0) {
    throw ConfigError(fmt::format("moe.ep_size = {} (must divide moe.experts = {})", ep_size_, config.experts));
  }
  if (config.top_k > config.experts) {
    throw ConfigError(fmt::format("moe.top_k = {} (must be <= moe.experts = {})", config.top_k, config.experts));
  }
  local_experts_ = config.experts / ep_size_;
  first_expert_ = (ep != nullptr ? ep->rank() : 0) * local_experts_;
  router_options_.top_k = config.top_k;
  router_options_.kind = config.router == "softmax_topk" ? RouterKind::kSoftmaxTopk : RouterKind::kTopkSoftmax;

  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const int e = config.experts;
  auto mine = [&](const torch::Tensor& all) { return all.narrow(0, first_expert_, local_experts_).clone(); };
  const double in_bound = 1.0 / std::sqrt(static_cast<double>(d_model));
  const double out_bound = 1.0 / std::sqrt(static_cast<double>(d_ff));
  router_weight_ = register_parameter("router_weight", uniform(generator, {e, d_model}, in_bound));
  w1_ = register_parameter("expert_w1", mine(uniform(generator, {e, d_model, d_ff}, in_bound)));
  w2_ = register_parameter("expert_w2", mine(uniform(generator, {e, d_ff, d_model}, out_bound)));
  if (config.expert == "swiglu") {
    w3_ = register_parameter("expert_w3", mine(uniform(generator, {e, d_model, d_ff}, in_bound)));
  }
  stats_.tokens_per_expert.assign(static_cast<std::size_t>(e), 0);
}

bool MoeLayer::is_expert_parameter(const std::string& name) {
  const std::string leaf = name.substr(name.find_last_of('.') + 1);
  return leaf == "expert_w1" || leaf == "expert_w2" || leaf == "expert_w3";
}

void MoeLayer::reset_times() {
  stats_.expert_seconds = 0;
  count_seconds_ = 0;
  timer_.seconds = 0;
}

MoeLayerStats MoeLayer::stats() const {
  MoeLayerStats s = stats_;
  s.exchange_seconds = count_seconds_ + timer_.seconds;
  return s;
}

torch::Tensor MoeLayer::expert_ffn(const torch::Tensor& x, const torch::Tensor& w1, const torch::Tensor& w2,
                                   const torch::Tensor& w3) const {
  torch::Tensor h = x.matmul(w1);
  if (w3.defined()) {
    h = torch::silu(h) * x.matmul(w3);
  } else {
    h = torch::gelu(h);
  }
  return h.matmul(w2);
}

// `x` holds the local experts' rows grouped by expert (counts[j] rows for
// local expert j). Every expert runs, even on zero rows, so every expert
// parameter takes part in the graph on every step.
torch::Tensor MoeLayer::run_experts(const torch::Tensor& x, const std::vector<std::int64_t>& counts) {
  const std::int64_t d = x.size(1);
  if (config_.expert_compute == "batched") {
    const std::int64_t longest = *std::max_element(counts.begin(), counts.end());
    std::vector<std::int64_t> slots;
    slots.reserve(static_cast<std::size_t>(x.size(0)));
    for (std::size_t j = 0; j < counts.size(); ++j) {
      for (std::int64_t i = 0; i < counts[j]; ++i) {
        slots.push_back(static_cast<std::int64_t>(j) * longest + i);
      }
    }
    torch::Tensor slot = index_tensor(slots, x.device());
    const std::int64_t experts = local_experts_;
    torch::Tensor padded = torch::zeros({experts * longest, d}, x.options()).index_copy(0, slot, x);
    padded = padded.view({experts, longest, d});
    torch::Tensor h = torch::bmm(padded, w1_);
    if (w3_.defined()) {
      h = torch::silu(h) * torch::bmm(padded, w3_);
    } else {
      h = torch::gelu(h);
    }
    return torch::bmm(h, w2_).view({experts * longest, d}).index_select(0, slot);
  }
  std::vector<torch::Tensor> outputs;
  std::int64_t offset = 0;
  for (int j = 0; j < local_experts_; ++j) {
    torch::Tensor block = x.narrow(0, offset, counts[static_cast<std::size_t>(j)]);
    outputs.push_back(expert_ffn(block, w1_[j], w2_[j], w3_.defined() ? w3_[j] : torch::Tensor()));
    offset += counts[static_cast<std::size_t>(j)];
  }
  return torch::cat(outputs, 0);
}

torch::Tensor MoeLayer::forward(const torch::Tensor& x) {
  TESSERA_CHECK(x.dim() == 2, "MoE layer input must be [tokens, d_model]");
  const std::int64_t tokens = x.size(0);
  const int k = config_.top_k;
  const int e = config_.experts;

  // 1. Routing.
  torch::Tensor router_input = x;
  if (is_training() && config_.jitter > 0) {
    router_input = x * torch::empty_like(x).uniform_(1 - config_.jitter, 1 + config_.jitter);
  }
  RouterOptions options = router_options_;
  options.capacity_factor = is_training() || config_.eval_capacity_factor == 0 ? config_.capacity_factor
                                                                               : config_.eval_capacity_factor;
  Routing routing = route(router_input.matmul(router_weight_.t()), options);
  loss_ = config_.aux_loss_coeff * routing.aux_loss + config_.z_loss_coeff * routing.z_loss;

  // 2. Kept copies sorted by destination expert (stable: token order within).
  torch::Tensor kept = routing.kept.reshape({-1});
  torch::Tensor selected = kept.nonzero().reshape({-1});
  torch::Tensor copy_expert = routing.experts.reshape({-1}).index_select(0, selected);
  torch::Tensor copy_token = torch::div(selected, k, "trunc");
  torch::Tensor copy_weight = routing.weights.reshape({-1}).index_select(0, selected);
  torch::Tensor order = std::get<1>(copy_expert.sort(/*stable=*/true, 0, false));
  torch::Tensor token = copy_token.index_select(0, order);
  torch::Tensor weight = copy_weight.index_select(0, order);
  const std::vector<std::int64_t> per_expert = to_vector(torch::bincount(copy_expert, {}, e));

  torch::Tensor rows = x.index_select(0, token);
  torch::Tensor arrived = rows;
  std::vector<std::int64_t> local_counts(per_expert.begin() + first_expert_,
                                         per_expert.begin() + first_expert_ + local_experts_);
  torch::Tensor regroup;    // arrived rows -> grouped by local expert
  torch::Tensor ungroup;    // and back
  std::vector<std::int64_t> send_rows;
  std::vector<std::int64_t> recv_rows;
  if (ep_size_ > 1) {
    const auto count_start = Clock::now();
    const std::vector<std::int64_t> received = exchange_counts(*ep_, per_expert);  // [source][local expert]
    count_seconds_ += seconds_since(count_start);
    send_rows.assign(static_cast<std::size_t>(ep_size_), 0);
    recv_rows.assign(static_cast<std::size_t>(ep_size_), 0);
    for (int r = 0; r < ep_size_; ++r) {
      for (int j = 0; j < local_experts_; ++j) {
        send_rows[static_cast<std::size_t>(r)] += per_expert[static_cast<std::size_t>(r * local_experts_ + j)];
        recv_rows[static_cast<std::size_t>(r)] += received[static_cast<std::size_t>(r * local_experts_ + j)];
      }
    }
    arrived = exchange_rows(*ep_, rows, send_rows, recv_rows, &timer_);
    // Arrived rows are source-major, expert-minor; the experts want
    // expert-major blocks.
    std::vector<std::int64_t> start(received.size());
    std::int64_t offset = 0;
    for (std::size_t i = 0; i < received.size(); ++i) {
      start[i] = offset;
      offset += received[i];
    }
    std::vector<std::int64_t> perm;
    perm.reserve(static_cast<std::size_t>(offset));
    for (int j = 0; j < local_experts_; ++j) {
      local_counts[static_cast<std::size_t>(j)] = 0;
      for (int s = 0; s < ep_size_; ++s) {
        const auto cell = static_cast<std::size_t>(s * local_experts_ + j);
        for (std::int64_t i = 0; i < received[cell]; ++i) {
          perm.push_back(start[cell] + i);
        }
        local_counts[static_cast<std::size_t>(j)] += received[cell];
      }
    }
    std::vector<std::int64_t> inverse(perm.size());
    for (std::size_t i = 0; i < perm.size(); ++i) {
      inverse[static_cast<std::size_t>(perm[i])] = static_cast<std::int64_t>(i);
    }
    regroup = index_tensor(perm, x.device());
    ungroup = index_tensor(inverse, x.device());
  }

  // 3. Experts.
  const auto expert_start = Clock::now();
  torch::Tensor grouped = regroup.defined() ? arrived.index_select(0, regroup) : arrived;
  torch::Tensor computed = run_experts(grouped, local_counts);
  stats_.expert_seconds += seconds_since(expert_start);

  // 4. Back to the tokens' ranks, weighted sum per token.
  torch::Tensor returned = computed;
  if (ep_size_ > 1) {
    returned = exchange_rows(*ep_, computed.index_select(0, ungroup), recv_rows, send_rows, &timer_);
  }
  torch::Tensor out = torch::zeros_like(x).index_add(0, token, returned * weight.unsqueeze(1).to(x.dtype()));

  stats_.tokens_per_expert = to_vector(routing.tokens_per_expert);
  const std::int64_t copies = tokens * k;
  stats_.dropped_fraction = copies > 0 ? 1.0 - static_cast<double>(selected.size(0)) / static_cast<double>(copies) : 0;
  stats_.aux_loss = routing.aux_loss.item<double>();
  stats_.z_loss = routing.z_loss.item<double>();
  stats_.router_entropy = router_entropy(routing.probs);
  return out;
}

}  // namespace tessera::jobs::moe
