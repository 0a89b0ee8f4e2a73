// f16 and bf16 conversions: exact values round-trip, ties go to even,
// overflow becomes infinity, subnormals and NaN survive.

#include "comm/half.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace tessera::comm {
namespace {

TEST(Half, SmallIntegersAndPowersOfTwoRoundTrip) {
  for (float v : {0.0F, 1.0F, -1.0F, 2.0F, 3.0F, 1000.0F, 2048.0F, 0.5F, 0.25F, 65504.0F}) {
    EXPECT_EQ(to_float(to_half(v)), v) << v;
  }
  EXPECT_EQ(to_half(1.0F).bits, 0x3c00);
  EXPECT_EQ(to_half(-2.0F).bits, 0xc000);
}

TEST(Half, RoundsToNearestEven) {
  // Between 2048 and 2050 (spacing 2), 2049 is a tie: goes to 2048 (even mantissa).
  EXPECT_EQ(to_float(to_half(2049.0F)), 2048.0F);
  EXPECT_EQ(to_float(to_half(2051.0F)), 2052.0F);
  EXPECT_EQ(to_float(to_half(2049.5F)), 2050.0F);
}

TEST(Half, OverflowIsInfinityAndNanStaysNan) {
  EXPECT_TRUE(std::isinf(to_float(to_half(70000.0F))));
  EXPECT_EQ(to_float(to_half(65519.0F)), 65504.0F);
  EXPECT_TRUE(std::isinf(to_float(to_half(65520.0F))));
  EXPECT_TRUE(std::isnan(to_float(to_half(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_TRUE(std::isinf(to_float(to_half(std::numeric_limits<float>::infinity()))));
}

TEST(Half, SubnormalsConvertExactly) {
  const float smallest = std::ldexp(1.0F, -24);
  EXPECT_EQ(to_half(smallest).bits, 0x0001);
  EXPECT_EQ(to_float(Half{0x0001}), smallest);
  EXPECT_EQ(to_float(Half{0x03ff}), std::ldexp(1023.0F, -24));
  EXPECT_EQ(to_half(std::ldexp(1.0F, -26)).bits, 0x0000);  // rounds to zero
  EXPECT_EQ(to_half(std::ldexp(1.0F, -14)).bits, 0x0400);  // smallest normal
}

TEST(BFloat16, KeepsTheTopBitsAndRoundsToNearestEven) {
  EXPECT_EQ(to_bfloat16(1.0F).bits, 0x3f80);
  EXPECT_EQ(to_float(to_bfloat16(256.0F)), 256.0F);
  EXPECT_EQ(to_float(to_bfloat16(257.0F)), 256.0F);  // tie to even
  EXPECT_EQ(to_float(to_bfloat16(259.0F)), 260.0F);
  EXPECT_TRUE(std::isnan(to_float(to_bfloat16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_NEAR(to_float(to_bfloat16(3.0e38F)) / 3.0e38F, 1.0, 1.0 / 256);  // within half an ulp
}

}  // namespace
}  // namespace tessera::comm
