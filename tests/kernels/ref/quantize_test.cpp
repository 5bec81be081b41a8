// Quantizers: round-trip error on random data (RMS relative to the data's RMS, per type, with
// named tolerances), max error per block against the block's own step, and the activation
// quantizers (Q8_0, Q8_1, Q8_K) on hand cases from ../shared/reference/glm-gguf.md §2.3/§2.5.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/float16.h"
#include "kernels/kernel_test_util.h"
#include "kernels/quant_blocks.h"
#include "kernels/ref/ref_kernels.h"

namespace glmserve::kernels {
namespace {

using T = TensorType;
using testing::dequantize;
using testing::quantize;
using testing::random_normal;

// Relative fp16 rounding error bound (half an ulp of the 11-bit significand).
constexpr double kHalfUlp16 = 1.0 / 2048.0;

// Round-trip RMS error / RMS of data on N(0, 1) rows, measured (see the comment by each) and
// set with margin. Measured with 64 super-blocks x 4 seeds.
struct RoundTripCase {
    T type;
    double max_rel_rms;
};
constexpr RoundTripCase kRoundTripCases[] = {
    {T::F32, 0.0},    {T::F16, 5e-4},  // measured 2.1e-4
    {T::BF16, 3e-3},                   // measured 1.7e-3
    {T::Q8_0, 0.008},                  // measured 0.0054
    {T::Q8_1, 0.008},                  // measured 0.0054
    {T::Q8_K, 0.01},                   // measured 0.0072
    {T::Q6_K, 0.022},                  // measured 0.0171
    {T::Q5_0, 0.055},                  // measured 0.0433
    {T::Q5_1, 0.048},                  // measured 0.0381
    {T::Q5_K, 0.045},                  // measured 0.0353
    {T::Q4_0, 0.105},                  // measured 0.0868
    {T::Q4_1, 0.095},                  // measured 0.0788
    {T::Q4_K, 0.085},                  // measured 0.0707
};

class RoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(RoundTrip, RmsErrorWithinTolerance) {
    const RoundTripCase c = GetParam();
    constexpr int64_t kN = 64 * kQKK;
    double worst = 0.0;
    for (uint32_t seed = 1; seed <= 4; ++seed) {
        const std::vector<float> x = random_normal(kN, seed);
        const std::vector<float> y =
            dequantize(ref_kernels(), c.type, quantize(ref_kernels(), c.type, x), kN);
        worst = std::max(worst, testing::rms_diff(x, y) / testing::rms(x));
    }
    RecordProperty("rel_rms_error", std::to_string(worst));
    EXPECT_LE(worst, c.max_rel_rms);
}

INSTANTIATE_TEST_SUITE_P(Ref, RoundTrip, ::testing::ValuesIn(kRoundTripCases),
                         [](const auto& param_info) {
                             return std::string(gguf::tensor_type_name(param_info.param.type));
                         });

// ---- max error per block against the block's own step ----

// Data at three magnitudes: unit, a typical LLM weight scale, and large.
std::vector<float> mixed_scale_row(int64_t n, uint32_t seed) {
    std::vector<float> x = random_normal(n, seed);
    for (int64_t i = 0; i < n; ++i) {
        const int64_t third = (i / kQKK) % 3;
        x[static_cast<size_t>(i)] *= third == 0 ? 1.0f : (third == 1 ? 0.02f : 50.0f);
    }
    return x;
}

float max_abs_error(const float* x, const float* y, int64_t n) {
    float e = 0.0f;
    for (int64_t i = 0; i < n; ++i) e = std::max(e, std::fabs(x[i] - y[i]));
    return e;
}

// Bound for a legacy block whose q's round to nearest except `clamp_steps` at the range edge:
// err <= step * (rounding + levels * fp16 error of d) + fp16 error of m.
double legacy_bound(float d16, float m16, double rounding, int levels) {
    const double d = std::fabs(d16);
    return (d * (rounding + levels * kHalfUlp16) + std::fabs(m16) * kHalfUlp16) * 1.0001 + 1e-30;
}

template <typename Block>
void check_legacy_blocks(T type, double rounding, int levels, bool has_min) {
    constexpr int64_t kN = 48 * kQKK;
    const std::vector<float> x = mixed_scale_row(kN, 7);
    const std::vector<uint8_t> q = quantize(ref_kernels(), type, x);
    const std::vector<float> y = dequantize(ref_kernels(), type, q, kN);
    const auto* blocks = reinterpret_cast<const Block*>(q.data());
    for (int64_t ib = 0; ib < kN / kQK; ++ib) {
        const float d16 = fp16_to_fp32(blocks[ib].d);
        float m16 = 0.0f;
        if constexpr (requires { blocks[ib].m; }) m16 = has_min ? fp16_to_fp32(blocks[ib].m) : 0.0f;
        const float err = max_abs_error(&x[ib * kQK], &y[ib * kQK], kQK);
        ASSERT_LE(err, legacy_bound(d16, m16, rounding, levels))
            << gguf::tensor_type_name(type) << " block " << ib << " d " << d16;
    }
}

TEST(RefQuantize, LegacyMaxErrorWithinOneStep) {
    // Q4_0/Q5_0: the level opposite the largest element is clamped, so up to one full step.
    check_legacy_blocks<BlockQ4_0>(T::Q4_0, 1.0, 8, false);
    check_legacy_blocks<BlockQ5_0>(T::Q5_0, 1.0, 16, false);
    // Min/max grids and Q8: round to nearest, half a step.
    check_legacy_blocks<BlockQ4_1>(T::Q4_1, 0.5, 15, true);
    check_legacy_blocks<BlockQ5_1>(T::Q5_1, 0.5, 31, true);
    check_legacy_blocks<BlockQ8_0>(T::Q8_0, 0.5, 127, false);
    check_legacy_blocks<BlockQ8_1>(T::Q8_1, 0.5, 127, false);
}

// K-quant search minimises squared error and so may clip a sub-block's extreme values: the
// bound is a number of the sub-block's own steps (d * sc). Measured worst on these rows:
// Q4_K 1.34, Q5_K 1.22, Q6_K 1.02.
constexpr double kQ4KMaxSteps = 1.6;
constexpr double kQ5KMaxSteps = 1.5;
constexpr double kQ6KMaxSteps = 1.3;

template <typename Block>
void check_k_blocks(T type, double max_steps) {
    constexpr int64_t kN = 48 * kQKK;
    const std::vector<float> x = mixed_scale_row(kN, 11);
    const std::vector<uint8_t> q = quantize(ref_kernels(), type, x);
    const std::vector<float> y = dequantize(ref_kernels(), type, q, kN);
    const auto* blocks = reinterpret_cast<const Block*>(q.data());
    for (int64_t ib = 0; ib < kN / kQKK; ++ib) {
        const float d = fp16_to_fp32(blocks[ib].d);
        if constexpr (std::is_same_v<Block, BlockQ6_K>) {
            for (int g = 0; g < 16; ++g) {
                const int64_t at = ib * kQKK + 16 * g;
                const double step = std::fabs(d * blocks[ib].scales[g]);
                ASSERT_LE(max_abs_error(&x[at], &y[at], 16), max_steps * step)
                    << "super-block " << ib << " group " << g;
            }
        } else {
            uint8_t sc[8], mn[8];
            ref::unpack_k_scales(blocks[ib].scales, sc, mn);
            for (int k = 0; k < 8; ++k) {
                const int64_t at = ib * kQKK + 32 * k;
                const double step = d * sc[k];
                ASSERT_LE(max_abs_error(&x[at], &y[at], 32), max_steps * step)
                    << gguf::tensor_type_name(type) << " super-block " << ib << " sub " << k;
            }
        }
    }
}

TEST(RefQuantize, KQuantMaxErrorWithinSubBlockSteps) {
    check_k_blocks<BlockQ4_K>(T::Q4_K, kQ4KMaxSteps);
    check_k_blocks<BlockQ5_K>(T::Q5_K, kQ5KMaxSteps);
    check_k_blocks<BlockQ6_K>(T::Q6_K, kQ6KMaxSteps);
}

TEST(RefQuantize, Q8KMaxErrorIsHalfStep) {
    constexpr int64_t kN = 48 * kQKK;
    const std::vector<float> x = mixed_scale_row(kN, 13);
    const std::vector<uint8_t> q = quantize(ref_kernels(), T::Q8_K, x);
    const std::vector<float> y = dequantize(ref_kernels(), T::Q8_K, q, kN);
    const auto* blocks = reinterpret_cast<const BlockQ8_K*>(q.data());
    for (int64_t ib = 0; ib < kN / kQKK; ++ib) {
        const int64_t at = ib * kQKK;
        ASSERT_LE(max_abs_error(&x[at], &y[at], kQKK), 0.5001 * std::fabs(blocks[ib].d));
        for (int g = 0; g < 16; ++g) {
            int sum = 0;
            for (int l = 0; l < 16; ++l) sum += blocks[ib].qs[16 * g + l];
            ASSERT_EQ(blocks[ib].bsums[g], sum) << ib << " " << g;
        }
    }
}

TEST(RefQuantize, Q8_1SumMatchesQuants) {
    constexpr int64_t kN = 8 * kQK;
    const std::vector<float> x = random_normal(kN, 17);
    const std::vector<uint8_t> q = quantize(ref_kernels(), T::Q8_1, x);
    const auto* blocks = reinterpret_cast<const BlockQ8_1*>(q.data());
    for (int64_t ib = 0; ib < kN / kQK; ++ib) {
        int sum = 0;
        for (int8_t v : blocks[ib].qs) sum += v;
        const double d16 = fp16_to_fp32(blocks[ib].d);
        const double s16 = fp16_to_fp32(blocks[ib].s);
        EXPECT_NEAR(s16, d16 * sum, kHalfUlp16 * (std::fabs(s16) + d16 * std::abs(sum)) * 1.001);
    }
}

// ---- hand cases from the reference quantizers ----

TEST(RefQuantize, Q8_0RoundsTiesAwayFromZero) {
    std::vector<float> x(32, 0.0f);
    x[0] = 127.0f;  // amax 127 -> d = 1 exactly
    x[1] = 2.5f;
    x[2] = -2.5f;
    x[3] = 0.5f;
    x[4] = -126.4f;
    const std::vector<uint8_t> q = quantize(ref_kernels(), T::Q8_0, x);
    const auto& b = *reinterpret_cast<const BlockQ8_0*>(q.data());
    EXPECT_EQ(b.d, 0x3C00);
    EXPECT_EQ(b.qs[0], 127);
    EXPECT_EQ(b.qs[1], 3);
    EXPECT_EQ(b.qs[2], -3);
    EXPECT_EQ(b.qs[3], 1);
    EXPECT_EQ(b.qs[4], -126);
}

TEST(RefQuantize, Q4_0FollowsReferenceFormula) {
    std::vector<float> x(32, 0.0f);
    x[0] = -8.0f;   // largest magnitude, negative: d = -8 / -8 = 1
    x[1] = 7.4f;    // trunc(15.9) = 15
    x[2] = 8.0f;    // trunc(16.5) = 16 -> clamped to 15
    x[3] = 0.5f;    // trunc(9.0) = 9
    x[4] = -0.5f;   // trunc(8.0) = 8
    x[16] = -3.2f;  // second half: high nibble of qs[0]; trunc(5.3) = 5
    const std::vector<uint8_t> q = quantize(ref_kernels(), T::Q4_0, x);
    const auto& b = *reinterpret_cast<const BlockQ4_0*>(q.data());
    EXPECT_EQ(b.d, 0x3C00);
    EXPECT_EQ(b.qs[0], 0 | (5 << 4));
    EXPECT_EQ(b.qs[1] & 0x0F, 15);
    EXPECT_EQ(b.qs[2] & 0x0F, 15);
    EXPECT_EQ(b.qs[3] & 0x0F, 9);
    EXPECT_EQ(b.qs[4] & 0x0F, 8);
}

// §2.5: max = element of largest |x| (first on ties) keeping its sign, iscale = -127/max,
// q = min(127, nearest_int(iscale x)) with ties to even, d = 1/iscale.
TEST(RefQuantize, Q8KMatchesSpecOnTies) {
    std::vector<float> x(256, 0.0f);
    x[0] = -127.0f;  // max (first of two with |x| = 127): iscale = 1
    x[1] = 2.5f;
    x[2] = 3.5f;
    x[3] = -2.5f;
    x[4] = -0.5f;
    x[5] = 0.5f;
    x[6] = 1.5f;
    x[7] = 127.0f;
    x[20] = 10.25f;
    const std::vector<uint8_t> q = quantize(ref_kernels(), T::Q8_K, x);
    const auto& b = *reinterpret_cast<const BlockQ8_K*>(q.data());
    EXPECT_EQ(b.d, 1.0f);
    const int expected[8] = {-127, 2, 4, -2, 0, 0, 2, 127};
    for (int j = 0; j < 8; ++j) EXPECT_EQ(b.qs[j], expected[j]) << j;
    EXPECT_EQ(b.qs[20], 10);
    EXPECT_EQ(b.bsums[0], -127 + 2 + 4 - 2 + 0 + 0 + 2 + 127);
    EXPECT_EQ(b.bsums[1], 10);
}

TEST(RefQuantize, Q8KPositiveMaxGivesNegativeScale) {
    std::vector<float> x(256, 1.0f);
    x[20] = 4.0f;  // max = 4: iscale = -31.75, so q(4) = -127 and q(1) = nearest(-31.75) = -32
    const std::vector<uint8_t> q = quantize(ref_kernels(), T::Q8_K, x);
    const auto& b = *reinterpret_cast<const BlockQ8_K*>(q.data());
    EXPECT_EQ(b.d, 1.0f / -31.75f);
    EXPECT_EQ(b.qs[20], -127);
    EXPECT_EQ(b.qs[0], -32);
    EXPECT_EQ(b.bsums[1], -127 + 15 * -32);
}

TEST(RefQuantize, AllZeroRowsStayZero) {
    const std::vector<float> zeros(2 * kQKK, 0.0f);
    for (const RoundTripCase& c : kRoundTripCases) {
        const std::vector<float> y =
            dequantize(ref_kernels(), c.type, quantize(ref_kernels(), c.type, zeros), 2 * kQKK);
        EXPECT_EQ(y, zeros) << gguf::tensor_type_name(c.type);
    }
}

// Awkward but valid weight rows: a constant row, one huge outlier, only positive values.
TEST(RefQuantize, KQuantsHandleAwkwardRows) {
    std::vector<std::vector<float>> rows;
    rows.emplace_back(kQKK, 0.75f);
    rows.push_back(random_normal(kQKK, 3, 0.02f));
    rows.back()[77] = 30.0f;
    rows.push_back(random_normal(kQKK, 4));
    for (float& v : rows.back()) v = std::fabs(v) + 1.0f;
    for (const T type : {T::Q4_K, T::Q5_K, T::Q6_K}) {
        for (const std::vector<float>& x : rows) {
            const std::vector<float> y =
                dequantize(ref_kernels(), type, quantize(ref_kernels(), type, x), kQKK);
            for (float v : y) ASSERT_TRUE(std::isfinite(v));
            float amax = 0.0f;
            for (float v : x) amax = std::max(amax, std::fabs(v));
            // Coarse: within 1/8 of the row's magnitude (these rows defeat sub-block scales).
            EXPECT_LE(max_abs_error(x.data(), y.data(), kQKK), amax / 8)
                << gguf::tensor_type_name(type);
        }
    }
}

}  // namespace
}  // namespace glmserve::kernels
