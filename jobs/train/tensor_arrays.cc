#include "jobs/train/tensor_arrays.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "optim/optimizer_state.h"
#include "runtime/error.h"

namespace tessera::jobs::train {
namespace {

runtime::DType dtype_of(at::ScalarType type) {
  switch (type) {
    case at::kBool: return runtime::DType::kBool;
    case at::kChar: return runtime::DType::kInt8;
    case at::kByte: return runtime::DType::kUInt8;
    case at::kShort: return runtime::DType::kInt16;
    case at::kInt: return runtime::DType::kInt32;
    case at::kLong: return runtime::DType::kInt64;
    case at::kHalf: return runtime::DType::kFloat16;
    case at::kBFloat16: return runtime::DType::kBFloat16;
    case at::kFloat: return runtime::DType::kFloat32;
    case at::kDouble: return runtime::DType::kFloat64;
    default: break;
  }
  throw InternalError(fmt::format("a {} tensor cannot go into a checkpoint", c10::toString(type)));
}

at::ScalarType scalar_type_of(runtime::DType dtype) {
  switch (dtype) {
    case runtime::DType::kBool: return at::kBool;
    case runtime::DType::kInt8: return at::kChar;
    case runtime::DType::kUInt8: return at::kByte;
    case runtime::DType::kInt16: return at::kShort;
    case runtime::DType::kInt32: return at::kInt;
    case runtime::DType::kInt64: return at::kLong;
    case runtime::DType::kUInt64: break;
    case runtime::DType::kFloat16: return at::kHalf;
    case runtime::DType::kBFloat16: return at::kBFloat16;
    case runtime::DType::kFloat32: return at::kFloat;
    case runtime::DType::kFloat64: return at::kDouble;
  }
  throw CheckpointError({}, fmt::format("a {} array cannot become a tensor", runtime::dtype_name(dtype)));
}

runtime::MutableArrayRef mutable_ref(at::Tensor& cpu) {
  return runtime::MutableArrayRef{
      dtype_of(cpu.scalar_type()), cpu.sizes().vec(),
      std::span<std::byte>(static_cast<std::byte*>(cpu.data_ptr()), cpu.nbytes())};
}

}  // namespace

runtime::ArrayRef tensor_array_ref(const at::Tensor& tensor) {
  at::Tensor cpu = tensor.detach();
  if (!cpu.is_cpu() || !cpu.is_contiguous()) {
    cpu = cpu.to(at::kCPU).contiguous();
  }
  auto owner = std::make_shared<at::Tensor>(cpu);
  return runtime::ArrayRef{dtype_of(cpu.scalar_type()), cpu.sizes().vec(),
                           std::span<const std::byte>(static_cast<const std::byte*>(cpu.data_ptr()),
                                                      cpu.nbytes()),
                           std::shared_ptr<const void>(owner, owner.get())};
}

at::Tensor read_tensor(const runtime::Checkpoint& checkpoint, std::string_view name) {
  std::optional<runtime::ArrayInfo> info = checkpoint.info(name);
  if (!info) {
    throw CheckpointError(checkpoint.path(), fmt::format("no array '{}'", name));
  }
  at::Tensor out = at::empty(info->shape, at::TensorOptions().dtype(scalar_type_of(info->dtype)));
  checkpoint.read(name, mutable_ref(out));
  return out;
}

void read_into(const runtime::Checkpoint& checkpoint, std::string_view name, at::Tensor& into) {
  at::NoGradGuard no_grad;
  if (into.is_cpu() && into.is_contiguous()) {
    checkpoint.read(name, mutable_ref(into));
    return;
  }
  at::Tensor cpu = at::empty(into.sizes(), into.options().device(at::kCPU));
  checkpoint.read(name, mutable_ref(cpu));
  into.copy_(cpu);
}

void save_module(runtime::CheckpointState& state, const std::string& prefix,
                 const torch::nn::Module& module) {
  for (const auto& item : module.named_parameters()) {
    state.add_replicated(prefix + "/" + item.key(), tensor_array_ref(item.value()));
  }
  for (const auto& item : module.named_buffers()) {
    state.add_replicated(prefix + "/" + item.key(), tensor_array_ref(item.value()));
  }
}

void load_module(const runtime::Checkpoint& checkpoint, const std::string& prefix,
                 torch::nn::Module& module) {
  for (auto& item : module.named_parameters()) {
    read_into(checkpoint, prefix + "/" + item.key(), item.value());
  }
  for (auto& item : module.named_buffers()) {
    read_into(checkpoint, prefix + "/" + item.key(), item.value());
  }
}

void save_optimizer(runtime::CheckpointState& state, const std::string& prefix,
                    const torch::optim::Optimizer& optimizer) {
  for (const auto& [name, tensor] : optim::optimizer_state(optimizer)) {
    state.add_replicated(prefix + "/" + name, tensor_array_ref(tensor));
  }
}

void load_optimizer(const runtime::Checkpoint& checkpoint, const std::string& prefix,
                    torch::optim::Optimizer& optimizer) {
  std::map<std::string, torch::Tensor> state;
  const std::string start = prefix + "/";
  for (const std::string& name : checkpoint.names()) {
    if (name.starts_with(start)) {
      state[name.substr(start.size())] = read_tensor(checkpoint, name);
    }
  }
  optim::set_optimizer_state(optimizer, state);
}

}  // namespace tessera::jobs::train
