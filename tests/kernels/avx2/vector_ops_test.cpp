// Tests of the AVX2 vector ops (src/kernels/avx2/vector_ops.cpp) against the reference
// (kernels/ref/vector_ops.cpp), their specification: the dot product up to float summation
// order, axpy up to the one product rounding ref makes and FMA does not, scale bit for bit, and
// the tile ops likewise for every head count of their register blocking; at lengths that leave
// every tail, with elements past n untouched; plus special values and the table entries
// add_vector_kernels sets.
// Every test skips on a CPU without the avx2 level (AVX2 + FMA + F16C with OS support).
#include "kernels/avx2/vector_ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/float16.h"
#include "kernels/kernel_test_util.h"
#include "kernels/ref/ref_kernels.h"

namespace glmserve::kernels {
namespace {

using testing::random_normal;

constexpr double kF32Unit = 1.0 / (1 << 24);  // 2^-24

// The dot product sums in float lanes where ref sums float products in double. First-order
// bound on the difference, in units of 2^-24·Σ|x_i·y_i|: each of the 32 lanes adds n/32 exact
// products (one rounding each; the 8-element leftovers go to the first accumulator, n/8 at
// worst), 5 roundings combine the lanes, the scalar tail of at most 7 terms rounds each product
// and sum (14), and ref rounds each product and its sum once (2): n/8 + 24 covers it. A wrong
// or missing element moves the result by about Σ|x_i·y_i|/n, far above it.
double dot_bound(int64_t n, double magnitude) {
    return (static_cast<double>(n) / 8.0 + 24.0) * kF32Unit * magnitude;
}

// Attention's head sizes (64, 128, 256) and lengths that leave every tail.
constexpr int64_t kLengths[] = {0, 1, 7, 8, 9, 31, 32, 33, 40, 64, 127, 128, 129, 256, 1003};

class Avx2VectorOpsTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!detect_cpu_features().has_avx2_level()) {
            GTEST_SKIP() << "this CPU (or OS) lacks AVX2 + FMA + F16C; the avx2 kernels cannot run";
        }
    }
};

std::vector<uint16_t> to_f16(const std::vector<float>& x) {
    std::vector<uint16_t> h(x.size());
    for (size_t i = 0; i < x.size(); ++i) h[i] = fp32_to_fp16(x[i]);
    return h;
}

TEST_F(Avx2VectorOpsTest, DotAgreesWithRefWithinSummationRounding) {
    double worst = 0.0;  // in units of 2^-24·Σ|x·y|
    for (const int64_t n : kLengths) {
        for (uint32_t seed = 1; seed <= 3; ++seed) {
            // Offset by one element so that nothing is 32-byte aligned.
            const std::vector<float> x = random_normal(n + 1, seed, 2.0f);
            const std::vector<uint16_t> y = to_f16(random_normal(n + 1, seed + 10));
            double magnitude = 0.0;
            for (int64_t i = 1; i <= n; ++i) {
                magnitude += std::fabs(static_cast<double>(x[i]) * fp16_to_fp32(y[i]));
            }
            const double want = ref::dot_f32_f16(n, x.data() + 1, y.data() + 1);
            const double got = avx2::dot_f32_f16(n, x.data() + 1, y.data() + 1);
            EXPECT_LE(std::fabs(got - want), dot_bound(n, magnitude))
                << "n " << n << " seed " << seed << ": " << got << " vs ref " << want;
            if (magnitude > 0) {
                worst = std::max(worst, std::fabs(got - want) / (kF32Unit * magnitude));
            }
        }
    }
    RecordProperty("worst_error_units", std::to_string(worst));
}

TEST_F(Avx2VectorOpsTest, DotSpecialValues) {
    const std::vector<float> zeros(133, 0.0f);
    const std::vector<uint16_t> zeros16(133, 0);
    EXPECT_EQ(avx2::dot_f32_f16(133, zeros.data(), zeros16.data()), 0.0f);
    EXPECT_EQ(avx2::dot_f32_f16(0, nullptr, nullptr), 0.0f);
    // Large magnitudes with cancellation: x near 1e30, y up to the largest half.
    std::vector<float> x = random_normal(133, 5, 1e30f);
    const std::vector<uint16_t> y = to_f16(random_normal(133, 6, 10000.0f));
    double magnitude = 0.0;
    for (size_t i = 0; i < x.size(); ++i) {
        magnitude += std::fabs(static_cast<double>(x[i]) * fp16_to_fp32(y[i]));
    }
    EXPECT_LE(std::fabs(static_cast<double>(avx2::dot_f32_f16(133, x.data(), y.data())) -
                        ref::dot_f32_f16(133, x.data(), y.data())),
              dot_bound(133, magnitude));
    // A NaN in the vector part or in the tail reaches the result.
    for (const size_t at : {size_t{3}, size_t{132}}) {
        std::vector<float> xn = x;
        xn[at] = std::numeric_limits<float>::quiet_NaN();
        EXPECT_TRUE(std::isnan(avx2::dot_f32_f16(133, xn.data(), y.data()))) << at;
    }
}

TEST_F(Avx2VectorOpsTest, AxpyAgreesWithRefUpToTheProductRounding) {
    for (const int64_t n : kLengths) {
        const std::vector<uint16_t> x = to_f16(random_normal(n + 1, 7));
        std::vector<float> want = random_normal(n + 3, 8), got = want;
        const float a = -1.7f;
        ref::axpy_f16(n, a, x.data() + 1, want.data() + 1);
        avx2::axpy_f16(n, a, x.data() + 1, got.data() + 1);
        EXPECT_EQ(got[0], want[0]);  // guards before and after the row
        EXPECT_EQ(got[static_cast<size_t>(n) + 1], want[static_cast<size_t>(n) + 1]);
        EXPECT_EQ(got[static_cast<size_t>(n) + 2], want[static_cast<size_t>(n) + 2]);
        for (int64_t i = 1; i <= n; ++i) {
            // ref rounds a·x (2^-24 relative) before the sum; both round the sum (an ulp of the
            // result apart at most, 2^-23 relative).
            const double product = std::fabs(static_cast<double>(a) * fp16_to_fp32(x[i]));
            const double tol = kF32Unit * product + 2 * kF32Unit * std::fabs(want[i]);
            EXPECT_LE(std::fabs(static_cast<double>(got[i]) - want[i]), tol)
                << "n " << n << " i " << i;
        }
    }
}

TEST_F(Avx2VectorOpsTest, AxpyPropagatesInfAndNanInEveryLane) {
    // 11 elements: one vector and a 3-element tail, with inf and NaN in both parts.
    std::vector<uint16_t> x(11, 0x3C00);  // 1.0
    x[2] = x[9] = 0x7C00;                 // +inf
    x[4] = x[10] = 0x7E00;                // NaN
    std::vector<float> y(11, 1.0f);
    avx2::axpy_f16(11, 2.0f, x.data(), y.data());
    for (const size_t i : {2, 9}) EXPECT_EQ(y[i], std::numeric_limits<float>::infinity()) << i;
    for (const size_t i : {4, 10}) EXPECT_TRUE(std::isnan(y[i])) << i;
    EXPECT_EQ(y[0], 3.0f);
    EXPECT_EQ(y[8], 3.0f);
}

TEST_F(Avx2VectorOpsTest, ScaleMatchesRefBitForBit) {
    for (const int64_t n : kLengths) {
        std::vector<float> want = random_normal(n + 2, 9, 1e30f), got = want;
        want[1] = std::numeric_limits<float>::infinity();
        got[1] = want[1];
        ref::scale_f32(n, 3e9f, want.data() + 1);  // overflows some elements to inf
        avx2::scale_f32(n, 3e9f, got.data() + 1);
        EXPECT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)), 0)
            << "n " << n;
    }
}

// n_rows f16 rows of n elements, each in its own allocation (as scattered as cache blocks).
struct RowSet {
    std::vector<std::vector<uint16_t>> storage;
    std::vector<const uint16_t*> pointers;

    RowSet(int64_t n, int64_t n_rows, uint32_t seed) {
        for (int64_t p = 0; p < n_rows; ++p) {
            storage.push_back(to_f16(random_normal(n, seed + static_cast<uint32_t>(p))));
        }
        for (const auto& r : storage) pointers.push_back(r.data());
    }
    F16Rows tile() const {
        return F16Rows{.rows = pointers.data(), .n_rows = static_cast<int64_t>(pointers.size())};
    }
    float at(size_t p, int64_t i) const { return fp16_to_fp32(storage[p][static_cast<size_t>(i)]); }
};

// Head counts 1..17 cover a block of 8 query rows with every remainder; head sizes every tail.
TEST_F(Avx2VectorOpsTest, DotTileAgreesWithRefWithinSummationRounding) {
    for (const int64_t n : {1, 7, 8, 9, 64, 128, 131}) {
        const RowSet y(n, 5, 40);
        for (int64_t n_x = 1; n_x <= 17; ++n_x) {
            const std::vector<float> x = random_normal(n_x * n, 50 + static_cast<uint32_t>(n_x));
            std::vector<float> want(static_cast<size_t>(5 * n_x) + 1, -3.0f), got = want;
            ref::dot_f32_f16_tile(n, x.data(), n_x, y.tile(), want.data());
            avx2::dot_f32_f16_tile(n, x.data(), n_x, y.tile(), got.data());
            EXPECT_EQ(got.back(), -3.0f) << "wrote past the output";
            for (int64_t p = 0; p < 5; ++p) {
                for (int64_t r = 0; r < n_x; ++r) {
                    double magnitude = 0.0;
                    for (int64_t i = 0; i < n; ++i) {
                        magnitude += std::fabs(static_cast<double>(x[r * n + i]) *
                                               y.at(static_cast<size_t>(p), i));
                    }
                    const auto k = static_cast<size_t>(p * n_x + r);
                    EXPECT_LE(std::fabs(static_cast<double>(got[k]) - want[k]),
                              dot_bound(n, magnitude))
                        << "n " << n << ", " << n_x << " x rows, row " << p << ", x row " << r;
                }
            }
        }
    }
}

// Head counts 1..9 cover blocks of 4 output rows with every remainder (each has its own
// register blocking); head sizes cover the 8V-, 8- and scalar parts; 128 rows is a full tile.
TEST_F(Avx2VectorOpsTest, AxpyTileAgreesWithRefUpToOneRoundingPerTerm) {
    for (const int64_t n : {1, 7, 8, 9, 24, 64, 128, 131}) {
        for (const int64_t n_rows : {1, 3, 128}) {
            const RowSet x(n, n_rows, 60);
            for (int64_t n_y = 1; n_y <= 9; ++n_y) {
                const std::vector<float> a = random_normal(n_rows * n_y, 70);
                std::vector<float> want = random_normal(n_y * n + 1, 80), got = want;
                const std::vector<float> y0 = want;
                ref::axpy_f16_tile(n, x.tile(), a.data(), n_y, want.data());
                avx2::axpy_f16_tile(n, x.tile(), a.data(), n_y, got.data());
                EXPECT_EQ(got.back(), want.back()) << "wrote past the output";
                for (int64_t r = 0; r < n_y; ++r) {
                    for (int64_t i = 0; i < n; ++i) {
                        // Both add n_rows terms to y0 in the same order; ref rounds each
                        // product and each sum, FMA each sum only: recursive summation bound.
                        double magnitude = std::fabs(y0[static_cast<size_t>(r * n + i)]);
                        for (int64_t p = 0; p < n_rows; ++p) {
                            magnitude += std::fabs(static_cast<double>(a[p * n_y + r]) *
                                                   x.at(static_cast<size_t>(p), i));
                        }
                        const auto k = static_cast<size_t>(r * n + i);
                        EXPECT_LE(std::fabs(static_cast<double>(got[k]) - want[k]),
                                  2.0 * static_cast<double>(n_rows + 1) * kF32Unit * magnitude)
                            << "n " << n << ", " << n_rows << " rows, " << n_y << " y rows, at "
                            << r << "," << i;
                    }
                }
            }
        }
    }
}

TEST_F(Avx2VectorOpsTest, AddVectorKernelsSetsEveryEntry) {
    KernelTable t = ref_kernels();
    avx2::add_vector_kernels(t);
    EXPECT_EQ(t.vec.dot_f32_f16, &avx2::dot_f32_f16);
    EXPECT_EQ(t.vec.axpy_f16, &avx2::axpy_f16);
    EXPECT_EQ(t.vec.scale_f32, &avx2::scale_f32);
    EXPECT_EQ(t.vec.dot_f32_f16_tile, &avx2::dot_f32_f16_tile);
    EXPECT_EQ(t.vec.axpy_f16_tile, &avx2::axpy_f16_tile);
    EXPECT_EQ(t[TensorType::F16].vec_dot, ref_kernels()[TensorType::F16].vec_dot);
}

}  // namespace
}  // namespace glmserve::kernels
