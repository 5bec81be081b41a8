// Tests of the reference vector ops (src/kernels/ref/vector_ops.cpp, KernelTable::vec): each
// against double-precision arithmetic on the same f16 inputs, the rounding each one documents,
// empty rows, special values, the tile ops as the row ops row by row, and that the ref table
// exposes them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/float16.h"
#include "kernels/kernel_table.h"
#include "kernels/kernel_test_util.h"
#include "kernels/ref/ref_kernels.h"

namespace glmserve::kernels {
namespace {

using testing::random_normal;
using testing::to_f16;

constexpr double kF32Unit = 1.0 / (1 << 24);  // 2^-24: half an ulp of 1.0f, relative

TEST(RefVectorOps, TableExposesThem) {
    const VectorKernels& vec = ref_kernels().vec;
    EXPECT_EQ(vec.dot_f32_f16, &ref::dot_f32_f16);
    EXPECT_EQ(vec.axpy_f16, &ref::axpy_f16);
    EXPECT_EQ(vec.scale_f32, &ref::scale_f32);
    EXPECT_EQ(vec.dot_f32_f16_tile, &ref::dot_f32_f16_tile);
    EXPECT_EQ(vec.axpy_f16_tile, &ref::axpy_f16_tile);
}

TEST(RefVectorOps, DotIsTheDoubleSumOfFloatProducts) {
    for (const int64_t n : {1, 7, 128, 1001}) {
        const std::vector<float> x = random_normal(n, 1, 2.0f);
        const std::vector<uint16_t> y = to_f16(random_normal(n, 2));
        double exact = 0.0, magnitude = 0.0;
        for (int64_t i = 0; i < n; ++i) {
            const double p = static_cast<double>(x[i]) * fp16_to_fp32(y[i]);
            exact += p;
            magnitude += std::fabs(p);
        }
        // One rounding per float product (relative 2^-24) and the final rounding to float;
        // the double sum itself adds nothing visible at these lengths.
        const double got = ref::dot_f32_f16(n, x.data(), y.data());
        EXPECT_LE(std::fabs(got - exact), kF32Unit * (magnitude + std::fabs(exact)) * 1.01)
            << "n " << n;
    }
    EXPECT_EQ(ref::dot_f32_f16(0, nullptr, nullptr), 0.0f);
}

TEST(RefVectorOps, AxpyRoundsProductThenSum) {
    const int64_t n = 77;
    const std::vector<uint16_t> x = to_f16(random_normal(n, 3));
    std::vector<float> y = random_normal(n + 1, 4);  // y[n] is a guard
    const std::vector<float> y0 = y;
    const float a = 0.37f;
    ref::axpy_f16(n, a, x.data(), y.data());
    for (int64_t i = 0; i < n; ++i) {
        const float product = a * fp16_to_fp32(x[i]);
        EXPECT_EQ(y[i], y0[i] + product) << i;
    }
    EXPECT_EQ(y[n], y0[n]);
    ref::axpy_f16(0, a, x.data(), y.data());  // n = 0 touches nothing
    EXPECT_EQ(y[0], y0[0] + a * fp16_to_fp32(x[0]));
}

TEST(RefVectorOps, AxpyPropagatesInfAndNan) {
    const std::vector<uint16_t> x = {0x7C00 /* +inf */, 0x7E00 /* NaN */, 0x3C00 /* 1 */};
    std::vector<float> y = {1.0f, 1.0f, 2.0f};
    ref::axpy_f16(3, 2.0f, x.data(), y.data());
    EXPECT_EQ(y[0], std::numeric_limits<float>::infinity());
    EXPECT_TRUE(std::isnan(y[1]));
    EXPECT_EQ(y[2], 4.0f);
}

TEST(RefVectorOps, ScaleMultipliesEachElementOnce) {
    std::vector<float> y = {1.0f, -2.5f, 0.0f, 3e38f, 7.0f};
    ref::scale_f32(4, 2.0f, y.data());
    EXPECT_EQ(y[0], 2.0f);
    EXPECT_EQ(y[1], -5.0f);
    EXPECT_EQ(y[2], 0.0f);
    EXPECT_EQ(y[3], std::numeric_limits<float>::infinity());  // overflows like a float multiply
    EXPECT_EQ(y[4], 7.0f);                                    // past n: untouched
}

// The tile ops are defined as the row ops applied pair by pair, in row order: bit for bit.
TEST(RefVectorOps, TilesAreTheRowOpsRowByRow) {
    const int64_t n = 19, n_heads = 3, n_rows = 5;
    const std::vector<float> x = random_normal(n_heads * n, 10);
    std::vector<std::vector<uint16_t>> storage;
    std::vector<const uint16_t*> rows;
    for (int64_t p = 0; p < n_rows; ++p) {
        storage.push_back(to_f16(random_normal(n, 20 + static_cast<uint32_t>(p))));
    }
    for (const auto& r : storage) rows.push_back(r.data());
    const F16Rows tile{.rows = rows.data(), .n_rows = n_rows};

    std::vector<float> scores(n_rows * n_heads + 1, -7.0f);  // one guard
    ref::dot_f32_f16_tile(n, x.data(), n_heads, tile, scores.data());
    for (int64_t p = 0; p < n_rows; ++p) {
        for (int64_t r = 0; r < n_heads; ++r) {
            EXPECT_EQ(scores[static_cast<size_t>(p * n_heads + r)],
                      ref::dot_f32_f16(n, x.data() + r * n, rows[static_cast<size_t>(p)]));
        }
    }
    EXPECT_EQ(scores.back(), -7.0f);

    std::vector<float> y = random_normal(n_heads * n + 1, 30), want = y;
    ref::axpy_f16_tile(n, tile, scores.data(), n_heads, y.data());
    for (int64_t p = 0; p < n_rows; ++p) {
        for (int64_t r = 0; r < n_heads; ++r) {
            ref::axpy_f16(n, scores[static_cast<size_t>(p * n_heads + r)],
                          rows[static_cast<size_t>(p)], want.data() + r * n);
        }
    }
    EXPECT_EQ(std::memcmp(y.data(), want.data(), y.size() * sizeof(float)), 0);
}

}  // namespace
}  // namespace glmserve::kernels
