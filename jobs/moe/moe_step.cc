#include "jobs/moe/moe_step.h"

#include <cmath>
#include <map>

#include <fmt/format.h>

#include "comm/torch/tensor_buffer.h"
#include "optim/optimizer_factory.h"
#include "optim/optimizer_state.h"
#include "runtime/checkpoint/torch_arrays.h"
#include "runtime/error.h"

namespace tessera::jobs::moe {
namespace {

// Global shape and offset of a local expert tensor [local, ...].
runtime::Shape global_shape(const torch::Tensor& t, int experts) {
  runtime::Shape shape = runtime::tensor_shape(t);
  shape[0] = experts;
  return shape;
}

runtime::Shape expert_offset(const torch::Tensor& t, int first_expert) {
  runtime::Shape offset(static_cast<std::size_t>(t.dim()), 0);
  offset[0] = first_expert;
  return offset;
}

// "0/<index>/<field>" -> (index, field).
std::pair<std::size_t, std::string> split_state_name(const std::string& name) {
  const std::size_t a = name.find('/');
  const std::size_t b = name.find('/', a + 1);
  TESSERA_CHECK(a != std::string::npos && b != std::string::npos && name.substr(0, a) == "0",
                "MoE step: optimizer state '{}' is not of the single parameter group", name);
  return {static_cast<std::size_t>(std::stoull(name.substr(a + 1, b - a - 1))), name.substr(b + 1)};
}

// A new CPU tensor of the array's dtype and `shape`.
torch::Tensor empty_like_array(const runtime::ArrayInfo& info, const runtime::Shape& shape) {
  switch (info.dtype) {
    case runtime::DType::kFloat32: return torch::empty(shape, torch::kFloat);
    case runtime::DType::kFloat64: return torch::empty(shape, torch::kDouble);
    case runtime::DType::kInt64: return torch::empty(shape, torch::kLong);
    default: throw CheckpointError({}, "MoE step: optimizer state of an unexpected dtype");
  }
}

}  // namespace

MoeStep::MoeStep(MoeLm& model, torch::optim::Optimizer& optimizer, train::GradSync& sync, comm::Communicator* ep,
                 double clip_grad_norm)
    : model_(model), optimizer_(optimizer), sync_(sync), ep_(ep), clip_grad_norm_(clip_grad_norm) {}

double MoeStep::clip() {
  // Non-expert gradients are equal on every rank after the all-reduce; each
  // rank of the EP group holds other experts, so their squares are summed
  // over the group, and added once.
  double shared = 0;
  torch::Tensor experts = torch::zeros({1}, torch::TensorOptions().dtype(torch::kDouble).device(
                                                model_.parameters().front().device()));
  for (const auto& item : model_.named_parameters()) {
    if (!item.value().grad().defined()) {
      continue;
    }
    const double sq = item.value().grad().to(torch::kDouble).square().sum().item<double>();
    if (MoeLm::is_expert_parameter(item.key())) {
      experts += sq;
    } else {
      shared += sq;
    }
  }
  if (ep_ != nullptr && ep_->size() > 1) {
    ep_->all_reduce(comm::as_buffer(experts)).wait();
  }
  const double norm = std::sqrt(shared + experts.item<double>());
  const double scale = clip_grad_norm_ / (norm + 1e-6);
  if (scale < 1) {
    torch::NoGradGuard no_grad;
    for (const torch::Tensor& p : model_.parameters()) {
      if (p.grad().defined()) {
        p.grad().mul_(scale);
      }
    }
  }
  return norm;
}

train::StepResult MoeStep::step(std::span<const train::Batch> micro_batches, double lr) {
  train::StepResult result;
  optim::set_lr(optimizer_, lr);
  optimizer_.zero_grad();
  const auto k = static_cast<double>(micro_batches.size());
  for (const auto& layer : model_.moe_layers()) {
    layer->reset_times();
  }
  double loss_sum = 0;
  double aux_sum = 0;
  double z_sum = 0;
  double dropped_sum = 0;
  double entropy_sum = 0;
  std::vector<std::vector<double>> share(model_.moe_layers().size(),
                                         std::vector<double>(static_cast<std::size_t>(model_.experts()), 0.0));
  for (std::size_t i = 0; i < micro_batches.size(); ++i) {
    const train::Batch& batch = micro_batches[i];
    torch::Tensor loss = MoeLm::next_byte_loss(model_.forward(batch.input), batch.input);
    torch::Tensor total = loss + model_.aux_loss();
    sync_.before_backward(i + 1 == micro_batches.size());
    (micro_batches.size() == 1 ? total : total / k).backward();
    loss_sum += loss.item<double>();
    for (std::size_t l = 0; l < model_.moe_layers().size(); ++l) {
      const MoeLayerStats s = model_.moe_layers()[l]->stats();
      aux_sum += s.aux_loss;
      z_sum += s.z_loss;
      dropped_sum += s.dropped_fraction;
      entropy_sum += s.router_entropy;
      double copies = 0;
      for (std::int64_t c : s.tokens_per_expert) {
        copies += static_cast<double>(c);
      }
      for (std::size_t e = 0; e < s.tokens_per_expert.size(); ++e) {
        share[l][e] += copies > 0 ? static_cast<double>(s.tokens_per_expert[e]) / copies : 0;
      }
    }
  }
  result.comm_seconds = sync_.after_backward();
  // An expert's gradient arrives summed over the tokens of every rank of its
  // EP group (each rank's loss is a mean over its own tokens), then averaged
  // over the expert-data-parallel replicas: ep_size times the gradient of the
  // world's mean loss. Scale it back so experts train as on one rank.
  if (ep_ != nullptr && ep_->size() > 1) {
    torch::NoGradGuard no_grad;
    for (const auto& item : model_.named_parameters()) {
      if (MoeLm::is_expert_parameter(item.key()) && item.value().grad().defined()) {
        item.value().grad().div_(ep_->size());
      }
    }
  }
  if (clip_grad_norm_ > 0) {
    result.extra.emplace_back("grad_norm", clip());
  }
  optimizer_.step();
  result.loss = loss_sum / k;
  const double layers = std::max<double>(1, static_cast<double>(model_.moe_layers().size()));
  result.extra.emplace_back("moe/aux_loss", aux_sum / k / layers);
  result.extra.emplace_back("moe/z_loss", z_sum / k / layers);
  result.extra.emplace_back("moe/dropped_fraction", dropped_sum / k / layers);
  result.extra.emplace_back("moe/router_entropy", entropy_sum / k / layers);
  double exchange = 0;
  double compute = 0;
  for (const auto& layer : model_.moe_layers()) {
    const MoeLayerStats s = layer->stats();
    exchange += s.exchange_seconds;
    compute += s.expert_seconds;
  }
  result.extra.emplace_back("moe/all_to_all_s", exchange);
  result.extra.emplace_back("moe/expert_compute_s", compute);
  for (std::size_t l = 0; l < share.size(); ++l) {
    for (std::size_t e = 0; e < share[l].size(); ++e) {
      result.extra.emplace_back(fmt::format("moe/l{}/e{}", l, e), share[l][e] / k);
    }
  }
  return result;
}

void MoeStep::save(runtime::CheckpointState& state) {
  const int experts = model_.experts();
  const int first = model_.first_expert();
  std::vector<std::pair<std::string, torch::Tensor>> params;
  for (const auto& item : model_.named_parameters()) {
    params.emplace_back(item.key(), item.value());
    const std::string name = "model/" + item.key();
    if (MoeLm::is_expert_parameter(item.key())) {
      state.add_shard(name, runtime::tensor_array(item.value()), global_shape(item.value(), experts),
                      expert_offset(item.value(), first));
    } else {
      state.add_replicated(name, runtime::tensor_array(item.value()));
    }
  }
  for (const auto& [key, tensor] : optim::optimizer_state(optimizer_)) {
    const auto [index, field] = split_state_name(key);
    TESSERA_CHECK(index < params.size(), "MoE step: optimizer state of an unknown parameter");
    const auto& [pname, param] = params[index];
    const std::string name = "optimizer/" + pname + "/" + field;
    if (MoeLm::is_expert_parameter(pname) && tensor.sizes() == param.sizes()) {
      state.add_shard(name, runtime::tensor_array(tensor), global_shape(tensor, experts), expert_offset(tensor, first));
    } else {
      state.add_replicated(name, runtime::tensor_array(tensor));
    }
  }
}

void MoeStep::load(const runtime::Checkpoint& checkpoint) {
  const int first = model_.first_expert();
  std::map<std::string, std::size_t> index;
  std::vector<torch::Tensor> params;
  for (const auto& item : model_.named_parameters()) {
    torch::Tensor p = item.value();
    const std::string name = "model/" + item.key();
    if (MoeLm::is_expert_parameter(item.key())) {
      runtime::read_tensor_region(checkpoint, name, p, expert_offset(p, first));
    } else {
      runtime::read_tensor(checkpoint, name, p);
    }
    index[item.key()] = params.size();
    params.push_back(p);
  }
  std::map<std::string, torch::Tensor> state;
  for (const std::string& name : checkpoint.names()) {
    if (!name.starts_with("optimizer/")) {
      continue;
    }
    const std::string rest = name.substr(std::string("optimizer/").size());
    const std::size_t slash = rest.find_last_of('/');
    const std::string pname = rest.substr(0, slash);
    auto it = index.find(pname);
    if (it == index.end()) {
      throw CheckpointError(checkpoint.path(), fmt::format("optimizer state '{}' of no parameter of this model", name));
    }
    const runtime::ArrayInfo info = *checkpoint.info(name);
    const torch::Tensor& param = params[it->second];
    torch::Tensor value;
    if (info.kind == runtime::ArrayKind::kShard) {
      value = empty_like_array(info, runtime::tensor_shape(param));
      runtime::read_tensor_region(checkpoint, name, value, expert_offset(param, first));
    } else {
      value = empty_like_array(info, info.shape);
      runtime::read_tensor(checkpoint, name, value);
    }
    state[fmt::format("0/{}/{}", it->second, rest.substr(slash + 1))] = value;
  }
  optim::set_optimizer_state(optimizer_, state);
}

}  // namespace tessera::jobs::moe
