#include "comm/torch/tensor_buffer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/error.h"

namespace tessera::comm {

std::optional<DType> dtype_of(c10::ScalarType type) {
  switch (type) {
    case c10::ScalarType::Float:
      return DType::kF32;
    case c10::ScalarType::Double:
      return DType::kF64;
    case c10::ScalarType::Half:
      return DType::kF16;
    case c10::ScalarType::BFloat16:
      return DType::kBF16;
    case c10::ScalarType::Int:
      return DType::kI32;
    case c10::ScalarType::Long:
      return DType::kI64;
    case c10::ScalarType::Byte:
      return DType::kU8;
    default:
      return std::nullopt;
  }
}

c10::ScalarType scalar_type_of(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return c10::ScalarType::Float;
    case DType::kF64:
      return c10::ScalarType::Double;
    case DType::kF16:
      return c10::ScalarType::Half;
    case DType::kBF16:
      return c10::ScalarType::BFloat16;
    case DType::kI32:
      return c10::ScalarType::Int;
    case DType::kI64:
      return c10::ScalarType::Long;
    case DType::kU8:
      return c10::ScalarType::Byte;
  }
  return c10::ScalarType::Undefined;
}

Device device_of(const c10::Device& device) {
  if (device.is_cpu()) {
    return Device::cpu();
  }
  if (device.is_cuda()) {
    return Device::cuda(device.index() < 0 ? 0 : device.index());
  }
  throw Error(fmt::format("as_buffer: tensors on {} cannot be communicated (only cpu and cuda)",
                          device.str()));
}

Buffer as_buffer(const torch::Tensor& tensor) {
  if (!tensor.defined()) {
    throw Error("as_buffer: the tensor is undefined");
  }
  if (!tensor.is_contiguous()) {
    throw Error(fmt::format("as_buffer: a tensor of shape [{}] with strides [{}] is not "
                            "contiguous; communicate tensor.contiguous() (and copy back) instead",
                            fmt::join(tensor.sizes(), ", "), fmt::join(tensor.strides(), ", ")));
  }
  std::optional<DType> dtype = dtype_of(tensor.scalar_type());
  if (!dtype) {
    throw Error(fmt::format("as_buffer: dtype {} is not supported (use f32, f64, f16, bf16, i32, "
                            "i64 or u8)",
                            c10::toString(tensor.scalar_type())));
  }
  return Buffer{tensor.data_ptr(), static_cast<std::size_t>(tensor.numel()), *dtype,
                device_of(tensor.device())};
}

}  // namespace tessera::comm
