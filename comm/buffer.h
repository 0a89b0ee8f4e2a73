#pragma once

// Buffer: a non-owning view of `count` elements of one dtype on one device.
//
// Communicators read and write through Buffers; they never own or free the
// memory. The memory must stay valid, and must not be touched by the caller,
// until the operation's Work completes. Make one from a span or vector
// (as_buffer below) or from a torch::Tensor (comm/torch/tensor_buffer.h).

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "comm/dtype.h"

namespace tessera::comm {

struct Device {
  enum class Kind : std::uint8_t { kCpu, kCuda };
  Kind kind = Kind::kCpu;
  int index = 0;  // CUDA device ordinal; 0 for the CPU

  bool is_cpu() const { return kind == Kind::kCpu; }
  bool is_cuda() const { return kind == Kind::kCuda; }
  friend bool operator==(const Device&, const Device&) = default;
  // "cpu", "cuda:1"
  std::string to_string() const;

  static Device cpu() { return {}; }
  static Device cuda(int index) { return {Kind::kCuda, index}; }
};

struct Buffer {
  void* data = nullptr;       // first element; may be null when count == 0
  std::size_t count = 0;      // elements, not bytes
  DType dtype = DType::kF32;
  Device device;

  std::size_t bytes() const { return count * dtype_size(dtype); }
  std::byte* begin_bytes() const { return static_cast<std::byte*>(data); }
  // Elements [offset, offset + n). Precondition: offset + n <= count.
  Buffer slice(std::size_t offset, std::size_t n) const {
    return {begin_bytes() + offset * dtype_size(dtype), n, dtype, device};
  }
  // "f32 x 1000 on cpu"
  std::string to_string() const;
};

// A CPU view of a span or vector. Send buffers are read-only to the
// communicator; the const overloads exist so callers need no const_cast.
template <class T>
Buffer as_buffer(std::span<T> values) {
  using Element = std::remove_const_t<T>;
  return {const_cast<Element*>(values.data()), values.size(), dtype_of<Element>(), Device::cpu()};
}
template <class T>
Buffer as_buffer(std::vector<T>& values) {
  return as_buffer(std::span<T>(values));
}
template <class T>
Buffer as_buffer(const std::vector<T>& values) {
  return as_buffer(std::span<const T>(values));
}
// One value (a scalar all-reduce, a flag).
template <class T>
Buffer as_buffer(T& value) requires std::is_arithmetic_v<T> {
  return as_buffer(std::span<T>(&value, 1));
}

}  // namespace tessera::comm
