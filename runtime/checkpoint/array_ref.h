#pragma once

// ArrayRef / MutableArrayRef: typed, contiguous, row-major views of raw
// buffers, the unit a checkpoint stores. No tensor library needed: a torch
// tensor, a std::vector<float> or a block of GPU memory copied to the host
// all become an ArrayRef (see torch_arrays.h for tensors).
//
//   std::vector<float> w(784 * 1000);
//   ArrayRef ref = array_ref(std::span<const float>(w), {784, 1000});

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::runtime {

// Element types a checkpoint can hold. float16/bfloat16 are stored as their
// 16-bit patterns (HDF5 1.10 has no half type) and named in the manifest.
enum class DType : std::uint8_t {
  kBool,
  kInt8,
  kUInt8,
  kInt16,
  kInt32,
  kInt64,
  kUInt64,
  kFloat16,
  kBFloat16,
  kFloat32,
  kFloat64,
};

// Bytes per element.
std::size_t dtype_size(DType dtype);
// "float32", "bfloat16", ...
std::string_view dtype_name(DType dtype);
// The inverse of dtype_name; nullopt for an unknown name.
std::optional<DType> dtype_from_name(std::string_view name);

template <class T>
constexpr DType dtype_of();
template <> constexpr DType dtype_of<bool>() { return DType::kBool; }
template <> constexpr DType dtype_of<std::int8_t>() { return DType::kInt8; }
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::kUInt8; }
template <> constexpr DType dtype_of<std::int16_t>() { return DType::kInt16; }
template <> constexpr DType dtype_of<std::int32_t>() { return DType::kInt32; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::kInt64; }
template <> constexpr DType dtype_of<std::uint64_t>() { return DType::kUInt64; }
template <> constexpr DType dtype_of<float>() { return DType::kFloat32; }
template <> constexpr DType dtype_of<double>() { return DType::kFloat64; }

using Shape = std::vector<std::int64_t>;

// Product of the dimensions (1 for a scalar, shape {}).
std::int64_t element_count(const Shape& shape);
// "[784, 1000]".
std::string shape_string(const Shape& shape);

// A read-only view. `bytes` holds element_count(shape) * dtype_size(dtype)
// bytes. `owner`, when set, keeps the bytes alive (adapters that had to copy,
// e.g. from a GPU, hand the copy over this way); otherwise the caller keeps
// the buffer alive for as long as the view is used.
struct ArrayRef {
  DType dtype = DType::kFloat32;
  Shape shape;
  std::span<const std::byte> bytes;
  std::shared_ptr<const void> owner;
};

// A writable view, filled by checkpoint reads.
struct MutableArrayRef {
  DType dtype = DType::kFloat32;
  Shape shape;
  std::span<std::byte> bytes;
};

// A view of `data` with `shape` (default: 1-D of data.size()).
template <class T>
ArrayRef array_ref(std::span<const T> data, Shape shape = {}) {
  if (shape.empty()) {
    shape = {static_cast<std::int64_t>(data.size())};
  }
  return ArrayRef{dtype_of<T>(), std::move(shape), std::as_bytes(data), nullptr};
}

template <class T>
MutableArrayRef mutable_array_ref(std::span<T> data, Shape shape = {}) {
  if (shape.empty()) {
    shape = {static_cast<std::int64_t>(data.size())};
  }
  return MutableArrayRef{dtype_of<T>(), std::move(shape), std::as_writable_bytes(data)};
}

// An ArrayRef that owns a copy of `array`'s bytes (used by async saves).
ArrayRef copy_array(const ArrayRef& array);

// Throws InternalError unless bytes.size() matches dtype and shape.
void check_array_size(std::string_view name, DType dtype, const Shape& shape, std::size_t bytes);

}  // namespace tessera::runtime
