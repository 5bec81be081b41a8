// vec_dot of every weight type against the double-precision dot of the dequantized weights
// with the dequantized activations (converted to the type's vec_dot_type first), on random
// rows of several blocks; plus the shape of the ref table itself.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/float16.h"
#include "kernels/kernel_test_util.h"
#include "kernels/quant_blocks.h"

namespace glmserve::kernels {
namespace {

using T = TensorType;
using testing::dequantize;
using testing::quantize;
using testing::random_normal;

// vec_dot sums exact int32 block sums scaled in float (or float products in double), so it
// agrees with the double reference to a few float roundings of the summed magnitudes.
constexpr double kVecDotRelTol = 1e-6;  // measured worst 2.9e-8

struct WeightCase {
    T weight;
    T activation;
};
constexpr WeightCase kWeightCases[] = {
    {T::F32, T::F32},   {T::F16, T::F16},   {T::BF16, T::BF16}, {T::Q8_0, T::Q8_0},
    {T::Q4_0, T::Q8_0}, {T::Q5_0, T::Q8_0}, {T::Q4_1, T::Q8_1}, {T::Q5_1, T::Q8_1},
    {T::Q4_K, T::Q8_K}, {T::Q5_K, T::Q8_K}, {T::Q6_K, T::Q8_K},
};

// Q4_1/Q5_1 use the activation's stored s = fp16(d Σq) for the min term, which differs from
// d16 Σq (what dequantizing the activation gives) by an fp16 rounding: allow exactly that.
double q8_1_sum_slack(const std::vector<uint8_t>& w, T weight, const std::vector<uint8_t>& a,
                      int64_t n) {
    if (weight != T::Q4_1 && weight != T::Q5_1) return 0.0;
    const auto* ab = reinterpret_cast<const BlockQ8_1*>(a.data());
    const size_t w_block_bytes = weight == T::Q4_1 ? sizeof(BlockQ4_1) : sizeof(BlockQ5_1);
    double slack = 0.0;
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        uint16_t m16 = 0;  // m is the second fp16 of both Q4_1 and Q5_1 blocks
        std::memcpy(&m16, w.data() + ib * w_block_bytes + 2, sizeof(m16));
        int sum = 0;
        for (int8_t q : ab[ib].qs) sum += q;
        const double s_err = (std::fabs(fp16_to_fp32(ab[ib].s)) +
                              std::fabs(fp16_to_fp32(ab[ib].d)) * std::abs(sum)) /
                             2048.0;
        slack += std::fabs(fp16_to_fp32(m16)) * s_err;
    }
    return slack * 1.01;
}

class VecDot : public ::testing::TestWithParam<WeightCase> {};

TEST_P(VecDot, MatchesDequantizedDot) {
    const WeightCase c = GetParam();
    const KernelTable& table = ref_kernels();
    ASSERT_EQ(table[c.weight].vec_dot_type, c.activation);
    const int64_t block = std::max(testing::block_size_of(c.weight), int64_t{32});
    double worst = 0.0;
    for (const int64_t n_blocks : {int64_t{1}, int64_t{5}, int64_t{8}}) {
        const int64_t n = n_blocks * block;
        for (uint32_t seed = 1; seed <= 3; ++seed) {
            const std::vector<uint8_t> w = quantize(table, c.weight, random_normal(n, seed));
            const std::vector<uint8_t> a =
                quantize(table, c.activation, random_normal(n, seed + 100, 3.0f));
            const std::vector<float> wf = dequantize(table, c.weight, w, n);
            const std::vector<float> af = dequantize(table, c.activation, a, n);
            double expected = 0.0, magnitude = 0.0;
            for (int64_t i = 0; i < n; ++i) {
                expected += static_cast<double>(wf[i]) * af[i];
                magnitude += std::fabs(static_cast<double>(wf[i]) * af[i]);
            }
            const float got = table[c.weight].vec_dot(n, w.data(), a.data());
            const double tol = kVecDotRelTol * magnitude + q8_1_sum_slack(w, c.weight, a, n);
            EXPECT_NEAR(got, expected, tol) << "n " << n << " seed " << seed;
            worst = std::max(worst, std::fabs(got - expected) / magnitude);
        }
    }
    char worst_text[32];
    std::snprintf(worst_text, sizeof(worst_text), "%.3g", worst);
    RecordProperty("worst_rel_to_magnitude", worst_text);
}

INSTANTIATE_TEST_SUITE_P(Ref, VecDot, ::testing::ValuesIn(kWeightCases),
                         [](const auto& param_info) {
                             return std::string(gguf::tensor_type_name(param_info.param.weight));
                         });

// Float rows need not be a multiple of 32.
TEST(RefVecDot, FloatTypesTakeAnyLength) {
    const KernelTable& table = ref_kernels();
    for (const T type : {T::F32, T::F16, T::BF16}) {
        const std::vector<float> x = random_normal(7, 5);
        const std::vector<float> y = random_normal(7, 6);
        const std::vector<float> xd = dequantize(table, type, quantize(table, type, x), 7);
        const std::vector<float> yd = dequantize(table, type, quantize(table, type, y), 7);
        const float got = table[type].vec_dot(7, quantize(table, type, x).data(),
                                              quantize(table, type, y).data());
        EXPECT_NEAR(got, testing::dot_double(xd, yd), 1e-6) << gguf::tensor_type_name(type);
    }
}

TEST(RefTable, EntriesMatchTheSpec) {
    const KernelTable& table = ref_kernels();
    EXPECT_EQ(table.name, "ref");
    for (const WeightCase& c : kWeightCases) {
        const TypeKernels& k = table[c.weight];
        EXPECT_TRUE(k.supported);
        EXPECT_EQ(k.vec_dot_type, c.activation);
        EXPECT_NE(k.quantize_row, nullptr);
        EXPECT_NE(k.dequantize_row, nullptr);
        EXPECT_NE(k.vec_dot, nullptr);
        EXPECT_TRUE(can_matmul(table, c.weight));
    }
    for (const T activation_only : {T::Q8_1, T::Q8_K}) {
        const TypeKernels& k = table[activation_only];
        EXPECT_TRUE(k.supported);
        EXPECT_NE(k.quantize_row, nullptr);
        EXPECT_NE(k.dequantize_row, nullptr);
        EXPECT_EQ(k.vec_dot, nullptr);
        EXPECT_FALSE(can_matmul(table, activation_only));
    }
    EXPECT_FALSE(table[T::Q2_K].supported);
    EXPECT_FALSE(table[T::Q3_K].supported);
    EXPECT_FALSE(can_matmul(table, T::Q3_K));
}

}  // namespace
}  // namespace glmserve::kernels
