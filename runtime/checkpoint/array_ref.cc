#include "runtime/checkpoint/array_ref.h"

#include <array>
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "runtime/error.h"

namespace tessera::runtime {
namespace {

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  std::size_t size;
};

constexpr std::array<DTypeInfo, 11> kDTypes{{
    {DType::kBool, "bool", 1},
    {DType::kInt8, "int8", 1},
    {DType::kUInt8, "uint8", 1},
    {DType::kInt16, "int16", 2},
    {DType::kInt32, "int32", 4},
    {DType::kInt64, "int64", 8},
    {DType::kUInt64, "uint64", 8},
    {DType::kFloat16, "float16", 2},
    {DType::kBFloat16, "bfloat16", 2},
    {DType::kFloat32, "float32", 4},
    {DType::kFloat64, "float64", 8},
}};

const DTypeInfo& info(DType dtype) {
  for (const DTypeInfo& i : kDTypes) {
    if (i.dtype == dtype) {
      return i;
    }
  }
  throw InternalError(fmt::format("unknown dtype {}", static_cast<int>(dtype)));
}

}  // namespace

std::size_t dtype_size(DType dtype) { return info(dtype).size; }

std::string_view dtype_name(DType dtype) { return info(dtype).name; }

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const DTypeInfo& i : kDTypes) {
    if (i.name == name) {
      return i.dtype;
    }
  }
  return std::nullopt;
}

std::int64_t element_count(const Shape& shape) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    n *= d;
  }
  return n;
}

std::string shape_string(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

ArrayRef copy_array(const ArrayRef& array) {
  auto copy = std::make_shared<std::vector<std::byte>>(array.bytes.begin(), array.bytes.end());
  std::span<const std::byte> bytes(copy->data(), copy->size());
  return ArrayRef{array.dtype, array.shape, bytes, std::move(copy)};
}

void check_array_size(std::string_view name, DType dtype, const Shape& shape, std::size_t bytes) {
  for (std::int64_t d : shape) {
    if (d < 0) {
      throw InternalError(fmt::format("array '{}': negative dimension in shape {}", name,
                                      shape_string(shape)));
    }
  }
  const auto expected = static_cast<std::size_t>(element_count(shape)) * dtype_size(dtype);
  if (expected != bytes) {
    throw InternalError(fmt::format("array '{}': {} {} needs {} bytes, the buffer has {}", name,
                                    dtype_name(dtype), shape_string(shape), expected, bytes));
  }
}

}  // namespace tessera::runtime
