// Tests of the AVX2 vector ops (src/kernels/avx2/vector_ops.cpp) against the reference
// (kernels/ref/vector_ops.cpp), their specification: the dot product up to float summation
// order, axpy up to the one product rounding ref makes and FMA does not, scale bit for bit, and
// the tile ops likewise for every head count of their register blocking; at lengths that leave
// every tail, with elements past n untouched; plus special values and the table entries
// add_vector_kernels sets. The element-wise ops: exp within 1 ulp of std::exp, add bit for bit,
// rms_norm and swiglu within the ulps their headers state, and every element of exp and swiglu
// the same function of its input wherever it sits in the row (tails included).
// Every test skips on a CPU without the avx2 level (AVX2 + FMA + F16C with OS support).
#include "kernels/avx2/vector_ops.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
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

using testing::F16RowSet;
using testing::random_normal;
using testing::to_f16;

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

// Head counts 1..17 cover a block of 8 query rows with every remainder; head sizes every tail.
TEST_F(Avx2VectorOpsTest, DotTileAgreesWithRefWithinSummationRounding) {
    for (const int64_t n : {1, 7, 8, 9, 64, 128, 131}) {
        const F16RowSet y(n, 5, 40);
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
            const F16RowSet x(n, n_rows, 60);
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

// Distance in units in the last place between two floats of any sign (0 and -0 coincide):
// the count of floats strictly between them, plus one.
int64_t ulp_distance(float a, float b) {
    const auto ordered = [](float f) {
        const auto bits = std::bit_cast<int32_t>(f);
        return bits < 0 ? -static_cast<int64_t>(bits & 0x7FFFFFFF) : static_cast<int64_t>(bits);
    };
    return std::llabs(ordered(a) - ordered(b));
}

// A stride through every float in [-104, 89], the range where e^x is neither 0 nor inf in
// float (every other input saturates), both signs, all exponents.
std::vector<float> exp_inputs() {
    std::vector<float> v;
    for (uint32_t b = 0; b <= std::bit_cast<uint32_t>(89.0f); b += 997) {
        v.push_back(std::bit_cast<float>(b));
    }
    for (uint32_t b = 0x80000000u; b <= std::bit_cast<uint32_t>(-104.0f); b += 997) {
        v.push_back(std::bit_cast<float>(b));
    }
    return v;
}

// std::exp (glibc's expf, correctly rounded in practice) is ref. Measured over every float
// in [-104, 89]: 99.5% equal, the rest 1 ulp apart (the 7-term Taylor polynomial and the
// two-part ln 2 keep the error near half an ulp before rounding). 1 ulp is the bound, so a
// wrong coefficient, reduction or scaling (all far above it) fails.
constexpr int64_t kExpUlps = 1;

TEST_F(Avx2VectorOpsTest, ExpWithinOneUlpOfStdExp) {
    const std::vector<float> x = exp_inputs();
    std::vector<float> got(x.size());
    avx2::exp_f32(static_cast<int64_t>(x.size()), x.data(), got.data());
    int64_t worst = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        const int64_t d = ulp_distance(got[i], std::exp(x[i]));
        worst = std::max(worst, d);
        EXPECT_LE(d, kExpUlps) << "x " << x[i] << ": " << got[i] << " vs " << std::exp(x[i]);
        if (d > kExpUlps) break;
    }
    RecordProperty("worst_ulps", std::to_string(worst));
}

TEST_F(Avx2VectorOpsTest, ExpSpecialValues) {
    const float inf = std::numeric_limits<float>::infinity();
    // 13 inputs: one vector and a 5-element tail, specials in both.
    const std::vector<float> x = {0.0f,    -0.0f, inf,    -inf,   88.72f,  88.73f,       -103.9f,
                                  -104.0f, 1e30f, -1e30f, -87.5f, -100.0f, std::nanf("")};
    std::vector<float> got(x.size());
    avx2::exp_f32(static_cast<int64_t>(x.size()), x.data(), got.data());
    EXPECT_EQ(got[0], 1.0f);
    EXPECT_EQ(got[1], 1.0f);
    EXPECT_EQ(got[2], inf);
    EXPECT_EQ(std::bit_cast<uint32_t>(got[3]), 0u);  // +0
    EXPECT_EQ(got[4], std::exp(88.72f));             // the largest results stay finite
    EXPECT_EQ(got[5], inf);                          // overflow
    EXPECT_LE(ulp_distance(got[6], std::exp(-103.9f)), kExpUlps);  // subnormal results
    EXPECT_EQ(got[7], 0.0f);
    EXPECT_EQ(got[8], inf);
    EXPECT_EQ(got[9], 0.0f);
    EXPECT_LE(ulp_distance(got[10], std::exp(-87.5f)), kExpUlps);
    EXPECT_LE(ulp_distance(got[11], std::exp(-100.0f)), kExpUlps);
    EXPECT_TRUE(std::isnan(got[12]));
    for (size_t i = 0; i < x.size(); ++i) {  // the vector lanes and the tail agree
        float one = 0.0f;
        avx2::exp_f32(1, &x[i], &one);
        EXPECT_EQ(std::memcmp(&one, &got[i], sizeof(float)), 0) << i;
    }
}

// Each element's result is a function of that element alone: a row computed whole equals the
// same elements computed from every offset and length, tails included (what keeps attention and
// the FFN independent of batch composition). Also checks n = 0 and in-place use.
TEST_F(Avx2VectorOpsTest, ExpAndSwigluDependOnlyOnTheElement) {
    const int64_t n = 45;
    // One spare element past n, so that each part below can carry a guard copied from x.
    const std::vector<float> x = random_normal(n + 1, 90, 4.0f), up = random_normal(n + 1, 91);
    std::vector<float> whole_exp(n), whole_swiglu(n);
    avx2::exp_f32(n, x.data(), whole_exp.data());
    avx2::swiglu_f32(n, x.data(), up.data(), whole_swiglu.data());
    for (int64_t begin = 0; begin < n; ++begin) {
        for (int64_t len = 0; begin + len <= n && len <= 19; ++len) {
            std::vector<float> part(x.begin() + begin, x.begin() + begin + len + 1);
            const float guard = part.back();
            avx2::exp_f32(len, part.data(), part.data());  // in place
            EXPECT_EQ(std::memcmp(part.data(), whole_exp.data() + begin, len * sizeof(float)), 0)
                << begin << "+" << len;
            EXPECT_EQ(part.back(), guard);
            std::vector<float> out(static_cast<size_t>(len) + 1, -5.0f);
            avx2::swiglu_f32(len, x.data() + begin, up.data() + begin, out.data());
            EXPECT_EQ(std::memcmp(out.data(), whole_swiglu.data() + begin, len * sizeof(float)), 0)
                << begin << "+" << len;
            EXPECT_EQ(out.back(), -5.0f);
        }
    }
}

TEST_F(Avx2VectorOpsTest, AddMatchesRefBitForBit) {
    for (const int64_t n : kLengths) {
        const std::vector<float> x = random_normal(n + 1, 11, 1e38f);  // some sums overflow
        std::vector<float> want = random_normal(n + 2, 12, 1e38f), got = want;
        ref::add_f32(n, x.data() + 1, want.data() + 1);
        avx2::add_f32(n, x.data() + 1, got.data() + 1);
        EXPECT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)), 0)
            << "n " << n;
    }
}

// rms_norm: both sum the squares in double (exact squares, different order), so their float
// means differ only when the double sums straddle a float rounding boundary, by 1 ulp; that
// moves scale = 1/sqrt(mean + eps) by at most 1 ulp and each y by at most 2 ulp (the same two
// products on a scale 1 ulp apart). Rows of every length, in place and not, with magnitudes
// from 1e-20 to 1e18 (squares far outside float's range, fine in double).
constexpr int64_t kRmsNormUlps = 2;

TEST_F(Avx2VectorOpsTest, RmsNormAgreesWithRefWithinTwoUlp) {
    int64_t worst = 0, rows = 0, identical = 0;
    for (const int64_t n : kLengths) {
        for (const float sigma : {1e-20f, 1.0f, 30.0f, 1e18f}) {
            const std::vector<float> x = random_normal(n + 2, 13, sigma);
            const std::vector<float> w = random_normal(n, 14);
            std::vector<float> want(x.size(), 7.0f), got = want;
            ref::rms_norm_f32(n, x.data() + 1, w.data(), 1e-5f, want.data() + 1);
            avx2::rms_norm_f32(n, x.data() + 1, w.data(), 1e-5f, got.data() + 1);
            EXPECT_EQ(got[0], 7.0f);
            EXPECT_EQ(got.back(), 7.0f);
            std::vector<float> in_place = x;
            avx2::rms_norm_f32(n, in_place.data() + 1, w.data(), 1e-5f, in_place.data() + 1);
            EXPECT_EQ(std::memcmp(in_place.data() + 1, got.data() + 1, n * sizeof(float)), 0);
            int64_t row_worst = 0;
            for (int64_t i = 1; i <= n; ++i) {
                row_worst = std::max(row_worst, ulp_distance(got[i], want[i]));
            }
            EXPECT_LE(row_worst, kRmsNormUlps) << "n " << n << " sigma " << sigma;
            worst = std::max(worst, row_worst);
            identical += row_worst == 0;
            ++rows;
        }
    }
    RecordProperty("worst_ulps", std::to_string(worst));
    RecordProperty("rows_bit_identical", std::to_string(identical) + "/" + std::to_string(rows));
}

TEST_F(Avx2VectorOpsTest, RmsNormSpecialRows) {
    const std::vector<float> zeros(21, 0.0f), w(21, 1.0f);
    std::vector<float> y(21, 5.0f);
    avx2::rms_norm_f32(21, zeros.data(), w.data(), 1e-6f, y.data());  // 0 · 1/sqrt(eps)
    for (const float v : y) EXPECT_EQ(v, 0.0f);
    avx2::rms_norm_f32(0, zeros.data(), w.data(), 1e-6f, y.data());  // n = 0 touches nothing
    EXPECT_EQ(y[0], 0.0f);
    std::vector<float> x = random_normal(21, 15);
    // An infinity in the tail: Σ x² = inf, scale = 0, so finite elements become 0 and the
    // infinity NaN, exactly as ref does (no lane may hide the infinity).
    x[17] = std::numeric_limits<float>::infinity();
    avx2::rms_norm_f32(21, x.data(), w.data(), 1e-6f, y.data());
    for (int i = 0; i < 21; ++i) {
        if (i == 17) {
            EXPECT_TRUE(std::isnan(y[i]));
        } else {
            EXPECT_EQ(y[i], 0.0f) << i;
        }
    }
}

// swiglu differs from ref only through exp (1 ulp): 1 + e^-g then moves by at most 1 ulp of
// itself beyond that, and the division and the product may each round the other way: 5 ulp
// of the result, over gates across the whole range where silu is neither 0 nor saturated.
constexpr int64_t kSwigluUlps = 5;

TEST_F(Avx2VectorOpsTest, SwigluAgreesWithRefWithinFiveUlp) {
    int64_t worst = 0;
    for (const int64_t n : kLengths) {
        for (const float sigma : {0.5f, 4.0f, 40.0f}) {
            const std::vector<float> gate = random_normal(n + 1, 16, sigma);
            const std::vector<float> up = random_normal(n + 1, 17, 3.0f);
            std::vector<float> want(gate.size() + 1, 9.0f), got = want;
            ref::swiglu_f32(n, gate.data() + 1, up.data() + 1, want.data() + 1);
            avx2::swiglu_f32(n, gate.data() + 1, up.data() + 1, got.data() + 1);
            EXPECT_EQ(got[0], 9.0f);
            EXPECT_EQ(got.back(), 9.0f);
            for (int64_t i = 1; i <= n; ++i) {
                const int64_t d = ulp_distance(got[i], want[i]);
                worst = std::max(worst, d);
                EXPECT_LE(d, kSwigluUlps) << "gate " << gate[i] << " up " << up[i];
            }
            std::vector<float> in_place = gate;  // out aliasing gate
            avx2::swiglu_f32(n, in_place.data() + 1, up.data() + 1, in_place.data() + 1);
            EXPECT_EQ(std::memcmp(in_place.data() + 1, got.data() + 1, n * sizeof(float)), 0);
        }
    }
    RecordProperty("worst_ulps", std::to_string(worst));
}

TEST_F(Avx2VectorOpsTest, SwigluSpecialValues) {
    const float inf = std::numeric_limits<float>::infinity();
    // 10 gates: one vector and a 2-element tail, with the specials spread over both.
    const std::vector<float> gate = {0.0f,          100.0f, -100.0f, inf,  -inf,
                                     std::nanf(""), -89.0f, 1.0f,    -inf, 200.0f};
    const std::vector<float> up(gate.size(), 2.0f);
    std::vector<float> want(gate.size()), got(gate.size());
    ref::swiglu_f32(10, gate.data(), up.data(), want.data());
    avx2::swiglu_f32(10, gate.data(), up.data(), got.data());
    for (size_t i = 0; i < gate.size(); ++i) {
        if (std::isnan(want[i])) {
            EXPECT_TRUE(std::isnan(got[i])) << "gate " << gate[i];  // -inf/inf and NaN gates
        } else {
            EXPECT_LE(ulp_distance(got[i], want[i]), kSwigluUlps) << "gate " << gate[i];
        }
    }
    EXPECT_EQ(got[0], 0.0f);
    EXPECT_EQ(got[1], 200.0f);  // silu(100) = 100 in float
    EXPECT_EQ(got[2], -0.0f);   // e^100 overflows: -100 / inf
    EXPECT_EQ(got[3], inf);
}

TEST_F(Avx2VectorOpsTest, AddVectorKernelsSetsEveryEntry) {
    KernelTable t = ref_kernels();
    avx2::add_vector_kernels(t);
    EXPECT_EQ(t.vec.dot_f32_f16, &avx2::dot_f32_f16);
    EXPECT_EQ(t.vec.axpy_f16, &avx2::axpy_f16);
    EXPECT_EQ(t.vec.scale_f32, &avx2::scale_f32);
    EXPECT_EQ(t.vec.dot_f32_f16_tile, &avx2::dot_f32_f16_tile);
    EXPECT_EQ(t.vec.axpy_f16_tile, &avx2::axpy_f16_tile);
    EXPECT_EQ(t.vec.exp_f32, &avx2::exp_f32);
    EXPECT_EQ(t.vec.add_f32, &avx2::add_f32);
    EXPECT_EQ(t.vec.rms_norm_f32, &avx2::rms_norm_f32);
    EXPECT_EQ(t.vec.swiglu_f32, &avx2::swiglu_f32);
    EXPECT_EQ(t[TensorType::F16].vec_dot, ref_kernels()[TensorType::F16].vec_dot);
}

}  // namespace
}  // namespace glmserve::kernels
