#pragma once

// 16-bit floating-point storage types and their conversions to and from float,
// without a tensor library. Conversions round to nearest, ties to even, and
// keep infinities and NaNs (a NaN stays a quiet NaN).

#include <bit>
#include <cstdint>

namespace tessera::comm {

// IEEE 754 binary16: 1 sign, 5 exponent, 10 mantissa bits.
struct Half {
  std::uint16_t bits = 0;
};

// bfloat16: the top 16 bits of a float (1 sign, 8 exponent, 7 mantissa bits).
struct BFloat16 {
  std::uint16_t bits = 0;
};

inline float to_float(BFloat16 value) {
  return std::bit_cast<float>(static_cast<std::uint32_t>(value.bits) << 16);
}

inline BFloat16 to_bfloat16(float value) {
  std::uint32_t u = std::bit_cast<std::uint32_t>(value);
  if ((u & 0x7fffffffU) > 0x7f800000U) {  // NaN: keep it quiet
    return BFloat16{static_cast<std::uint16_t>((u >> 16) | 0x40U)};
  }
  const std::uint32_t rounding = 0x7fffU + ((u >> 16) & 1U);
  return BFloat16{static_cast<std::uint16_t>((u + rounding) >> 16)};
}

inline float to_float(Half value) {
  const std::uint32_t sign = static_cast<std::uint32_t>(value.bits & 0x8000U) << 16;
  const std::uint32_t exponent = (value.bits >> 10) & 0x1fU;
  std::uint32_t mantissa = value.bits & 0x3ffU;
  if (exponent == 0x1f) {  // inf / NaN
    return std::bit_cast<float>(sign | 0x7f800000U | (mantissa << 13));
  }
  if (exponent == 0) {
    if (mantissa == 0) {
      return std::bit_cast<float>(sign);
    }
    // Subnormal: value = mantissa * 2^-24, exact in float.
    const float magnitude = static_cast<float>(mantissa) * 0x1p-24F;
    return sign != 0 ? -magnitude : magnitude;
  }
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

inline Half to_half(float value) {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(value);
  const auto sign = static_cast<std::uint16_t>((u >> 16) & 0x8000U);
  const std::uint32_t abs = u & 0x7fffffffU;
  if (abs > 0x7f800000U) {  // NaN
    return Half{static_cast<std::uint16_t>(sign | 0x7e00U)};
  }
  if (abs >= 0x477ff000U) {  // rounds to >= 65520: infinity
    return Half{static_cast<std::uint16_t>(sign | 0x7c00U)};
  }
  if (abs < 0x38800000U) {  // below the smallest normal half (2^-14): subnormal or zero
    // Scale so the subnormal's units land in the integer part, and let the
    // float unit round to nearest even.
    const float scaled = std::bit_cast<float>(abs) * 0x1p24F;  // units of 2^-24
    const float rounded = scaled + 0x1p23F - 0x1p23F;          // nearest even integer
    return Half{static_cast<std::uint16_t>(sign | static_cast<std::uint16_t>(rounded))};
  }
  // Normal: rebias the exponent, round the 13 dropped mantissa bits to even.
  const std::uint32_t rebased = abs - (112U << 23);
  const std::uint32_t rounding = 0xfffU + ((rebased >> 13) & 1U);
  return Half{static_cast<std::uint16_t>(sign | ((rebased + rounding) >> 13))};
}

}  // namespace tessera::comm
