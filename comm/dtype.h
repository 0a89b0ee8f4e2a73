#pragma once

// The element types a Communicator moves and reduces.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "comm/half.h"

namespace tessera::comm {

enum class DType : std::uint8_t {
  kF32,   // float
  kF64,   // double
  kF16,   // IEEE 754 binary16 (comm::Half)
  kBF16,  // bfloat16 (comm::BFloat16)
  kI32,   // std::int32_t
  kI64,   // std::int64_t
  kU8,    // std::uint8_t
};

// Every dtype, in declaration order (for tests and benchmarks).
inline constexpr DType kAllDTypes[] = {DType::kF32, DType::kF64, DType::kF16, DType::kBF16,
                                       DType::kI32, DType::kI64, DType::kU8};

// Bytes per element.
constexpr std::size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kF64:
    case DType::kI64:
      return 8;
    case DType::kF32:
    case DType::kI32:
      return 4;
    case DType::kF16:
    case DType::kBF16:
      return 2;
    case DType::kU8:
      return 1;
  }
  return 0;
}

constexpr bool is_floating(DType dtype) {
  return dtype == DType::kF32 || dtype == DType::kF64 || dtype == DType::kF16 ||
         dtype == DType::kBF16;
}

// "f32", "bf16", "u8", ...
std::string_view dtype_name(DType dtype);

// The dtype of a C++ element type: dtype_of<float>() == DType::kF32.
template <class T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() { return DType::kF32; }
template <>
constexpr DType dtype_of<double>() { return DType::kF64; }
template <>
constexpr DType dtype_of<Half>() { return DType::kF16; }
template <>
constexpr DType dtype_of<BFloat16>() { return DType::kBF16; }
template <>
constexpr DType dtype_of<std::int32_t>() { return DType::kI32; }
template <>
constexpr DType dtype_of<std::int64_t>() { return DType::kI64; }
template <>
constexpr DType dtype_of<std::uint8_t>() { return DType::kU8; }

}  // namespace tessera::comm
