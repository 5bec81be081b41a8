// Tests of kernels/float16.cpp: exact known encodings, ties to even, subnormals, inf and NaN,
// and (where the compiler has _Float16) agreement with the compiler's own conversions.
#include "kernels/float16.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

namespace glmserve::kernels {
namespace {

float f32_bits(uint32_t bits) {
    return std::bit_cast<float>(bits);
}

TEST(Fp16, EncodesExactValues) {
    EXPECT_EQ(fp32_to_fp16(0.0f), 0x0000);
    EXPECT_EQ(fp32_to_fp16(-0.0f), 0x8000);
    EXPECT_EQ(fp32_to_fp16(1.0f), 0x3C00);
    EXPECT_EQ(fp32_to_fp16(-2.0f), 0xC000);
    EXPECT_EQ(fp32_to_fp16(0.5f), 0x3800);
    EXPECT_EQ(fp32_to_fp16(65504.0f), 0x7BFF);                  // largest finite half
    EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -14)), 0x0400);     // smallest normal
    EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -24)), 0x0001);     // smallest subnormal
    EXPECT_EQ(fp32_to_fp16(std::ldexp(1023.0f, -24)), 0x03FF);  // largest subnormal
    EXPECT_EQ(fp32_to_fp16(-std::ldexp(1.0f, -24)), 0x8001);
}

TEST(Fp16, RoundsTiesToEven) {
    // Normal range: spacing 2^-10 just above 1.
    EXPECT_EQ(fp32_to_fp16(1.0f + std::ldexp(1.0f, -11)), 0x3C00);      // tie -> even (down)
    EXPECT_EQ(fp32_to_fp16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3C02);  // tie -> even (up)
    EXPECT_EQ(fp32_to_fp16(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3C01);
    EXPECT_EQ(fp32_to_fp16(2049.0f), 0x6800);  // between 2048 and 2050
    EXPECT_EQ(fp32_to_fp16(2051.0f), 0x6802);  // between 2050 and 2052
    // Subnormal range: spacing 2^-24.
    EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -25)), 0x0000);  // half the smallest: -> 0
    EXPECT_EQ(fp32_to_fp16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
    EXPECT_EQ(fp32_to_fp16(std::ldexp(3.0f, -25)), 0x0002);     // 1.5 units -> 2
    EXPECT_EQ(fp32_to_fp16(std::ldexp(5.0f, -25)), 0x0002);     // 2.5 units -> 2
    EXPECT_EQ(fp32_to_fp16(std::ldexp(2047.0f, -25)), 0x0400);  // 1023.5 units -> normal
    EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -30)), 0x0000);
    EXPECT_EQ(fp32_to_fp16(-std::ldexp(1.0f, -30)), 0x8000);
}

TEST(Fp16, OverflowsToInfinity) {
    EXPECT_EQ(fp32_to_fp16(65519.0f), 0x7BFF);
    EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7C00);  // tie with an odd mantissa -> inf
    EXPECT_EQ(fp32_to_fp16(1e10f), 0x7C00);
    EXPECT_EQ(fp32_to_fp16(-1e10f), 0xFC00);
    EXPECT_EQ(fp32_to_fp16(std::numeric_limits<float>::infinity()), 0x7C00);
    EXPECT_EQ(fp32_to_fp16(-std::numeric_limits<float>::infinity()), 0xFC00);
}

TEST(Fp16, KeepsNanQuiet) {
    EXPECT_EQ(fp32_to_fp16(f32_bits(0x7FC00000u)), 0x7E00);
    EXPECT_EQ(fp32_to_fp16(f32_bits(0xFFC00000u)), 0xFE00);
    EXPECT_EQ(fp32_to_fp16(f32_bits(0x7F800001u)), 0x7E00);  // signalling, payload below 10 bits
    EXPECT_EQ(fp32_to_fp16(f32_bits(0x7FC02000u)), 0x7E01);  // top payload bits survive
    EXPECT_TRUE(std::isnan(fp16_to_fp32(0x7D00)));
    EXPECT_EQ(std::bit_cast<uint32_t>(fp16_to_fp32(0x7D00)), 0x7FE00000u);  // quiet bit set
    EXPECT_EQ(std::bit_cast<uint32_t>(fp16_to_fp32(0xFE00)), 0xFFC00000u);
}

TEST(Fp16, DecodesExactValues) {
    EXPECT_EQ(fp16_to_fp32(0x3C00), 1.0f);
    EXPECT_EQ(fp16_to_fp32(0x7BFF), 65504.0f);
    EXPECT_EQ(fp16_to_fp32(0x3555), 0.333251953125f);
    EXPECT_EQ(fp16_to_fp32(0x0001), std::ldexp(1.0f, -24));
    EXPECT_EQ(fp16_to_fp32(0x03FF), std::ldexp(1023.0f, -24));
    EXPECT_EQ(fp16_to_fp32(0x8001), -std::ldexp(1.0f, -24));
    EXPECT_EQ(fp16_to_fp32(0x0200), std::ldexp(1.0f, -15));
    EXPECT_EQ(std::bit_cast<uint32_t>(fp16_to_fp32(0x8000)), 0x80000000u);
    EXPECT_EQ(fp16_to_fp32(0x7C00), std::numeric_limits<float>::infinity());
    EXPECT_EQ(fp16_to_fp32(0xFC00), -std::numeric_limits<float>::infinity());
}

TEST(Fp16, EveryHalfRoundTrips) {
    for (uint32_t h = 0; h <= 0xFFFF; ++h) {
        const float f = fp16_to_fp32(static_cast<uint16_t>(h));
        if (std::isnan(f)) {
            EXPECT_TRUE(std::isnan(fp16_to_fp32(fp32_to_fp16(f)))) << std::hex << h;
            continue;
        }
        ASSERT_EQ(fp32_to_fp16(f), h) << std::hex << h;
    }
}

#ifdef __FLT16_MANT_DIG__
// The compiler's _Float16 conversions (IEEE, round to nearest even) as an independent oracle,
// on every half and on a stride through all f32 bit patterns.
TEST(Fp16, MatchesCompilerFloat16) {
    for (uint32_t h = 0; h <= 0xFFFF; ++h) {
        const auto bits = static_cast<uint16_t>(h);
        const float ours = fp16_to_fp32(bits);
        const auto theirs = static_cast<float>(std::bit_cast<_Float16>(bits));
        if (std::isnan(theirs)) continue;
        ASSERT_EQ(ours, theirs) << std::hex << h;
    }
    constexpr uint32_t kStride = 4099;  // prime: visits every exponent and many mantissas
    for (uint64_t b = 0; b <= 0xFFFFFFFFull; b += kStride) {
        const float f = f32_bits(static_cast<uint32_t>(b));
        if (std::isnan(f)) continue;
        const auto theirs = std::bit_cast<uint16_t>(static_cast<_Float16>(f));
        ASSERT_EQ(fp32_to_fp16(f), theirs) << std::hex << b;
    }
}
#endif

TEST(Bf16, EncodesAndRoundsTiesToEven) {
    EXPECT_EQ(fp32_to_bf16(1.0f), 0x3F80);
    EXPECT_EQ(fp32_to_bf16(-2.0f), 0xC000);
    EXPECT_EQ(fp32_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);      // tie -> even (down)
    EXPECT_EQ(fp32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);  // tie -> even (up)
    EXPECT_EQ(fp32_to_bf16(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)), 0x3F81);
    EXPECT_EQ(fp32_to_bf16(f32_bits(0x00008000u)), 0x0000);  // subnormal tie -> even
    EXPECT_EQ(fp32_to_bf16(f32_bits(0x00018000u)), 0x0002);
    EXPECT_EQ(fp32_to_bf16(std::numeric_limits<float>::max()), 0x7F80);  // rounds to inf
    EXPECT_EQ(fp32_to_bf16(std::numeric_limits<float>::infinity()), 0x7F80);
    EXPECT_EQ(fp32_to_bf16(-std::numeric_limits<float>::infinity()), 0xFF80);
}

TEST(Bf16, KeepsNanQuiet) {
    EXPECT_EQ(fp32_to_bf16(f32_bits(0x7F800001u)), 0x7FC0);  // signalling -> quiet, still NaN
    EXPECT_EQ(fp32_to_bf16(f32_bits(0xFFC00000u)), 0xFFC0);
    EXPECT_EQ(fp32_to_bf16(f32_bits(0x7FFFFFFFu)), 0x7FFF);  // no rounding carry into the sign
    EXPECT_TRUE(std::isnan(bf16_to_fp32(0x7FC0)));
}

TEST(Bf16, DecodesByShifting) {
    EXPECT_EQ(bf16_to_fp32(0x3F80), 1.0f);
    EXPECT_EQ(bf16_to_fp32(0x4049), 3.140625f);
    EXPECT_EQ(bf16_to_fp32(0xFF80), -std::numeric_limits<float>::infinity());
    for (uint32_t h = 0; h <= 0xFFFF; ++h) {
        const float f = bf16_to_fp32(static_cast<uint16_t>(h));
        if (std::isnan(f)) continue;
        ASSERT_EQ(fp32_to_bf16(f), h) << std::hex << h;
    }
}

}  // namespace
}  // namespace glmserve::kernels
