#include "jobs/train/module_state.h"

#include <fmt/format.h>

#include "optim/optimizer_state.h"
#include "runtime/checkpoint/torch_arrays.h"
#include "runtime/error.h"

namespace tessera::jobs::train {
namespace {

// Array `name` as a new CPU tensor of its own dtype and shape.
torch::Tensor read_new_tensor(const runtime::Checkpoint& checkpoint, const std::string& name) {
  std::optional<runtime::ArrayInfo> info = checkpoint.info(name);
  if (!info) {
    throw CheckpointError(checkpoint.path(), fmt::format("no array '{}'", name));
  }
  torch::ScalarType type = torch::kFloat;
  switch (info->dtype) {
    case runtime::DType::kFloat32: type = torch::kFloat; break;
    case runtime::DType::kFloat64: type = torch::kDouble; break;
    case runtime::DType::kFloat16: type = torch::kHalf; break;
    case runtime::DType::kBFloat16: type = torch::kBFloat16; break;
    case runtime::DType::kInt64: type = torch::kLong; break;
    case runtime::DType::kInt32: type = torch::kInt; break;
    case runtime::DType::kInt16: type = torch::kShort; break;
    case runtime::DType::kInt8: type = torch::kChar; break;
    case runtime::DType::kUInt8: type = torch::kByte; break;
    case runtime::DType::kBool: type = torch::kBool; break;
    default:
      throw CheckpointError(checkpoint.path(), fmt::format("optimizer state '{}' is {}", name,
                                                           runtime::dtype_name(info->dtype)));
  }
  torch::Tensor tensor = torch::empty(info->shape, torch::TensorOptions().dtype(type));
  runtime::read_tensor(checkpoint, name, tensor);
  return tensor;
}

}  // namespace

void save_module(runtime::CheckpointState& state, const std::string& prefix,
                 const torch::nn::Module& module) {
  for (const auto& item : module.named_parameters()) {
    state.add_replicated(prefix + "/" + item.key(), runtime::tensor_array(item.value()));
  }
  for (const auto& item : module.named_buffers()) {
    state.add_replicated(prefix + "/" + item.key(), runtime::tensor_array(item.value()));
  }
}

void load_module(const runtime::Checkpoint& checkpoint, const std::string& prefix,
                 torch::nn::Module& module) {
  for (auto& item : module.named_parameters()) {
    runtime::read_tensor(checkpoint, prefix + "/" + item.key(), item.value());
  }
  for (auto& item : module.named_buffers()) {
    runtime::read_tensor(checkpoint, prefix + "/" + item.key(), item.value());
  }
}

void save_optimizer(runtime::CheckpointState& state, const std::string& prefix,
                    const torch::optim::Optimizer& optimizer) {
  for (const auto& [name, tensor] : optim::optimizer_state(optimizer)) {
    state.add_replicated(prefix + "/" + name, runtime::tensor_array(tensor));
  }
}

void load_optimizer(const runtime::Checkpoint& checkpoint, const std::string& prefix,
                    torch::optim::Optimizer& optimizer) {
  std::map<std::string, torch::Tensor> state;
  const std::string start = prefix + "/";
  for (const std::string& name : checkpoint.names()) {
    if (name.starts_with(start)) {
      state[name.substr(start.size())] = read_new_tensor(checkpoint, name);
    }
  }
  optim::set_optimizer_state(optimizer, state);
}

}  // namespace tessera::jobs::train
