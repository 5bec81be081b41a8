// Tests of the AVX-512 tile ops for attention (src/kernels/avx512/vector_ops.cpp), native where
// the CPU has the avx512 level and built on SIMDe everywhere else (the same arithmetic): the
// dot tile within float summation rounding of ref for every head count of its register blocking
// and every tail, the axpy tile bit for bit the AVX2 kernel's (the same FMAs per element, in
// the same order; special values included), neither writing past its output, and the table
// entries add_vector_kernels sets.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/avx2/vector_ops.h"
#include "kernels/cpu_features.h"
#include "kernels/emulated_tables.h"
#include "kernels/kernel_test_util.h"
#include "kernels/ref/ref_kernels.h"
#include "kernels/simd_tables.h"

namespace glmserve::kernels {
namespace {

using testing::F16RowSet;
using testing::random_normal;

constexpr double kF32Unit = 1.0 / (1 << 24);  // 2^-24

// First-order bound on dot_f32_f16_tile against ref, in units of 2^-24·Σ|x_i·y_i|: each of the
// 16 lanes adds n/16 exact products (one rounding each), 7 roundings fold the lanes, the tail
// of at most 15 terms rounds each product and sum (30), and ref rounds each product and its sum
// once (2): n/16 + 40 covers it. A wrong or missing element moves the result by about
// Σ|x_i·y_i|/n, far above it.
double dot_bound(int64_t n, double magnitude) {
    return (static_cast<double>(n) / 16.0 + 40.0) * kF32Unit * magnitude;
}

enum class Table { Avx512, Avx512Emulated };

class Avx512VectorOpsTest : public ::testing::TestWithParam<Table> {
protected:
    void SetUp() override {
        const CpuFeatures cpu = detect_cpu_features();
        if (!cpu.has_avx2_level()) {
            GTEST_SKIP() << "this CPU (or OS) lacks AVX2 + FMA + F16C; neither table can run";
        }
        if (GetParam() == Table::Avx512 && !cpu.has_avx512_level()) {
            GTEST_SKIP() << "this CPU (or OS) lacks the avx512 level; the emulated case covers "
                            "the same arithmetic";
        }
    }
    const VectorKernels& vec() const {
        return GetParam() == Table::Avx512 ? avx512_kernels().vec
                                           : testing::avx512_emulated_kernels().vec;
    }
};

// Head counts 1..17 cover blocks of 8 query rows with every remainder; head sizes every tail
// of the 16-element steps.
TEST_P(Avx512VectorOpsTest, DotTileAgreesWithRefWithinSummationRounding) {
    for (const int64_t n : {1, 7, 15, 16, 17, 64, 96, 128, 131, 256}) {
        const F16RowSet y(n, 5, 40);
        for (int64_t n_x = 1; n_x <= 17; ++n_x) {
            const std::vector<float> x = random_normal(n_x * n, 50 + static_cast<uint32_t>(n_x));
            std::vector<float> want(static_cast<size_t>(5 * n_x) + 1, -3.0f), got = want;
            ref::dot_f32_f16_tile(n, x.data(), n_x, y.tile(), want.data());
            vec().dot_f32_f16_tile(n, x.data(), n_x, y.tile(), got.data());
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

TEST_P(Avx512VectorOpsTest, DotTileOfNoRowsOrEmptyRowsWritesWhatRefDoes) {
    const F16RowSet none(16, 0, 1);
    const std::vector<float> x = random_normal(16 * 3, 2);
    float out = -3.0f;
    vec().dot_f32_f16_tile(16, x.data(), 3, none.tile(), &out);
    EXPECT_EQ(out, -3.0f) << "no rows, no outputs";
    const F16RowSet empty(0, 2, 3);
    std::vector<float> scores(2 * 3, -3.0f);
    vec().dot_f32_f16_tile(0, x.data(), 3, empty.tile(), scores.data());
    for (const float s : scores) EXPECT_EQ(s, 0.0f) << "an empty dot product is 0";
}

// The same FMAs in the same order per element as the AVX2 kernel: equal bits, for head counts
// 1..9 (blocks of 4 rows with every remainder), head sizes that leave every tail (16V-blocks,
// 16-blocks, single elements) and a full 128-row tile.
TEST_P(Avx512VectorOpsTest, AxpyTileEqualsTheAvx2KernelBitForBit) {
    for (const int64_t n : {1, 7, 15, 16, 17, 24, 33, 64, 65, 96, 128, 131, 256}) {
        for (const int64_t n_rows : {1, 3, 128}) {
            const F16RowSet x(n, n_rows, 60);
            for (int64_t n_y = 1; n_y <= 9; ++n_y) {
                const std::vector<float> a = random_normal(n_rows * n_y, 70);
                std::vector<float> want = random_normal(n_y * n + 1, 80), got = want;
                avx2::axpy_f16_tile(n, x.tile(), a.data(), n_y, want.data());
                vec().axpy_f16_tile(n, x.tile(), a.data(), n_y, got.data());
                EXPECT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)), 0)
                    << "n " << n << ", " << n_rows << " rows, " << n_y << " y rows";
            }
        }
    }
}

// Infinities and NaNs in the weights and the rows reach every lane and the tail as the AVX2
// kernel's do (and so as ref's: the AVX2 tests check that).
TEST_P(Avx512VectorOpsTest, AxpyTileCarriesInfAndNanLikeTheAvx2Kernel) {
    const int64_t n = 37, n_rows = 4, n_y = 5;
    F16RowSet x(n, n_rows, 90);
    x.storage[1][3] = 0x7C00;   // +inf
    x.storage[2][20] = 0x7E00;  // NaN
    x.storage[3][36] = 0xFC00;  // -inf, in the tail
    std::vector<float> a = random_normal(n_rows * n_y, 91);
    a[7] = std::numeric_limits<float>::infinity();
    std::vector<float> want = random_normal(n_y * n, 92), got = want;
    avx2::axpy_f16_tile(n, x.tile(), a.data(), n_y, want.data());
    vec().axpy_f16_tile(n, x.tile(), a.data(), n_y, got.data());
    EXPECT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)), 0);
    int non_finite = 0;
    for (const float v : got) non_finite += std::isfinite(v) ? 0 : 1;
    EXPECT_GT(non_finite, 0) << "the special values did reach the outputs";
}

// add_vector_kernels replaces the two tile ops and keeps the AVX2 table's other entries.
TEST_P(Avx512VectorOpsTest, TableTakesTheTileOpsAndKeepsTheRest) {
    const VectorKernels& avx2 = avx2_kernels().vec;
    const VectorKernels& v = vec();
    EXPECT_NE(v.dot_f32_f16_tile, avx2.dot_f32_f16_tile);
    EXPECT_NE(v.axpy_f16_tile, avx2.axpy_f16_tile);
    EXPECT_EQ(v.dot_f32_f16, avx2.dot_f32_f16);
    EXPECT_EQ(v.axpy_f16, avx2.axpy_f16);
    EXPECT_EQ(v.scale_f32, avx2.scale_f32);
    EXPECT_EQ(v.exp_f32, avx2.exp_f32);
    EXPECT_EQ(v.add_f32, avx2.add_f32);
    EXPECT_EQ(v.rms_norm_f32, avx2.rms_norm_f32);
    EXPECT_EQ(v.swiglu_f32, avx2.swiglu_f32);
}

INSTANTIATE_TEST_SUITE_P(Tables, Avx512VectorOpsTest,
                         ::testing::Values(Table::Avx512, Table::Avx512Emulated),
                         [](const ::testing::TestParamInfo<Table>& param) {
                             return std::string(param.param == Table::Avx512 ? "Native"
                                                                             : "Emulated");
                         });

}  // namespace
}  // namespace glmserve::kernels
