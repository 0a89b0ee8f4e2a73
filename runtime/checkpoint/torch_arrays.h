#pragma once

// Tensors as checkpoint arrays: the thin LibTorch adapter of the checkpoint
// store. Header-only and the one runtime header that needs LibTorch: include
// it only from targets that link tessera::torch (training jobs, optim).
//
//   state.add_replicated("model/" + name, tensor_array(param));    // any device
//   read_tensor(*ckpt, "model/" + name, param);                     // copies into it
//   read_tensor_region(*ckpt, "experts/w1", local_experts, {first_expert, 0, 0});

#include <ATen/core/Tensor.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty.h>
#include <fmt/format.h>

#include <memory>
#include <string_view>

#include "runtime/checkpoint/array_ref.h"
#include "runtime/checkpoint/checkpoint.h"
#include "runtime/error.h"

namespace tessera::runtime {

inline DType tensor_dtype(const at::Tensor& tensor) {
  switch (tensor.scalar_type()) {
    case at::kBool: return DType::kBool;
    case at::kChar: return DType::kInt8;
    case at::kByte: return DType::kUInt8;
    case at::kShort: return DType::kInt16;
    case at::kInt: return DType::kInt32;
    case at::kLong: return DType::kInt64;
    case at::kHalf: return DType::kFloat16;
    case at::kBFloat16: return DType::kBFloat16;
    case at::kFloat: return DType::kFloat32;
    case at::kDouble: return DType::kFloat64;
    default:
      throw InternalError(fmt::format("tensors of type {} cannot be checkpointed",
                                      c10::toString(tensor.scalar_type())));
  }
}

inline Shape tensor_shape(const at::Tensor& tensor) {
  return Shape(tensor.sizes().begin(), tensor.sizes().end());
}

// A view of `tensor`'s values for CheckpointState::add_*(). A contiguous CPU
// tensor is viewed in place (the ArrayRef keeps it alive); a GPU or strided
// one is first copied to a contiguous CPU tensor.
inline ArrayRef tensor_array(const at::Tensor& tensor) {
  auto host = std::make_shared<at::Tensor>(tensor.detach().to(at::kCPU).contiguous());
  std::span<const std::byte> bytes(static_cast<const std::byte*>(host->data_ptr()), host->nbytes());
  return ArrayRef{tensor_dtype(*host), tensor_shape(*host), bytes, host};
}

namespace detail {
template <class Read>
void read_into(at::Tensor& tensor, Read read) {
  at::Tensor host = at::empty(tensor.sizes(), tensor.options().device(at::kCPU));
  MutableArrayRef out{tensor_dtype(host), tensor_shape(host),
                      std::span<std::byte>(static_cast<std::byte*>(host.data_ptr()), host.nbytes())};
  read(out);
  at::NoGradGuard no_grad;
  tensor.copy_(host);
}
}  // namespace detail

// Reads the whole array `name` into `tensor` (any device; its dtype and shape
// must be the array's). Throws CheckpointError.
inline void read_tensor(const Checkpoint& ckpt, std::string_view name, at::Tensor& tensor) {
  detail::read_into(tensor, [&](MutableArrayRef out) { ckpt.read(name, std::move(out)); });
}

// Reads the box of shard (or replicated) array `name` that starts at
// `offset` and has `tensor`'s shape.
inline void read_tensor_region(const Checkpoint& ckpt, std::string_view name, at::Tensor& tensor,
                               const Shape& offset) {
  detail::read_into(tensor, [&](MutableArrayRef out) { ckpt.read_region(name, std::move(out), offset); });
}

}  // namespace tessera::runtime
