// Tests of the AVX2 32-element block kernels (src/kernels/avx2/q_legacy.cpp) against the scalar
// reference (kernels/ref/q_legacy.cpp), which is their specification:
//   - the Q8_0 / Q8_1 activation quantizers must produce ref's bytes exactly (memcmp), on random
//     rows, rows full of rounding ties, zero rows and rows with extreme scales;
//   - each vec_dot must agree with ref up to float summation order (tolerances below);
//   - each vec_dot_rows and vec_dot_tile must equal the same file's vec_dot bit for bit for
//     every row count (weight rows and activation rows), on random and extreme-scale data;
//   - add_legacy_kernels must override exactly its entries of a table.
// Every test skips on a CPU without the avx2 level (AVX2 + FMA + F16C with OS support).
#include "kernels/avx2/q_legacy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/float16.h"
#include "kernels/kernel_test_util.h"
#include "kernels/quant_blocks.h"

namespace glmserve::kernels {
namespace {

using T = TensorType;
using testing::bytes_of_row;
using testing::dequantize;
using testing::quantize;
using testing::random_normal;

constexpr uint16_t kHalfOne = 0x3C00;  // fp16 1.0

class Avx2QLegacyTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!detect_cpu_features().has_avx2_level()) {
            GTEST_SKIP() << "this CPU (or OS) lacks AVX2 + FMA + F16C; the avx2 kernels cannot run";
        }
    }
};

uint16_t get_half(const std::vector<uint8_t>& bytes, size_t offset) {
    uint16_t h = 0;
    std::memcpy(&h, bytes.data() + offset, sizeof(h));
    return h;
}

void set_half(std::vector<uint8_t>& bytes, size_t offset, uint16_t h) {
    std::memcpy(bytes.data() + offset, &h, sizeof(h));
}

size_t block_bytes(T type) {
    return bytes_of_row(type, kQK);
}

bool has_min(T type) {
    return type == T::Q4_1 || type == T::Q5_1;
}

// ---- quantizers: byte-identical to ref ----

using QuantizeFn = void (*)(const float*, void*, int64_t);

struct QuantizeCase {
    T type;
    QuantizeFn avx2;
};
const QuantizeCase kQuantizeCases[] = {
    {T::Q8_0, avx2::quantize_row_q8_0},
    {T::Q8_1, avx2::quantize_row_q8_1},
};

// Quantizes x with ref and avx2 and expects the same bytes; reports the first differing block.
void expect_same_bytes_as_ref(const QuantizeCase& c, const std::vector<float>& x,
                              const std::string& what) {
    const auto n = static_cast<int64_t>(x.size());
    const std::vector<uint8_t> want = quantize(ref_kernels(), c.type, x);
    std::vector<uint8_t> got(want.size(), 0xAB);
    c.avx2(x.data(), got.data(), n);
    if (std::memcmp(want.data(), got.data(), want.size()) == 0) return;
    size_t first = 0;
    while (want[first] == got[first]) ++first;
    ADD_FAILURE() << gguf::tensor_type_name(c.type) << " " << what << ": first difference in block "
                  << first / block_bytes(c.type) << " byte " << first % block_bytes(c.type)
                  << " (ref " << int{want[first]} << ", avx2 " << int{got[first]} << ")";
}

TEST_F(Avx2QLegacyTest, QuantizeRandomRowsMatchRefBytes) {
    for (const QuantizeCase& c : kQuantizeCases) {
        for (const int64_t n_blocks : {1, 2, 3, 37, 128}) {
            for (const float sigma : {1.0f, 1e-3f, 1e4f}) {
                for (uint32_t seed = 1; seed <= 3; ++seed) {
                    expect_same_bytes_as_ref(
                        c, random_normal(n_blocks * kQK, seed, sigma),
                        "blocks " + std::to_string(n_blocks) + " sigma " + std::to_string(sigma));
                }
            }
        }
    }
}

// Blocks where x * (1/d) lands exactly on k + 0.5 for most elements: ref's std::round goes away
// from zero there, where a ties-to-even rounding would differ on every even k.
std::vector<float> tie_row(uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> k_dist(-127, 126);
    std::vector<float> x;
    // Scales that are powers of two keep d = amax / 127 and x * (1/d) exact. With d = 25, 1/d
    // is stored below 0.04, so x * (1/d) lands on k + 0.5 only through the product's rounding:
    // rounding the unrounded product (a fused multiply-subtract) would go the other way.
    for (const float scale : {1.0f, 0.5f, 4.0f, 0.125f, 25.0f}) {
        x.push_back(127.0f * scale);  // amax: d = scale
        for (const float k : {0.0f, -1.0f, 1.0f, -2.0f, 2.0f, -3.0f, 125.0f, -127.0f}) {
            x.push_back((k + 0.5f) * scale);  // ±0.5, ±1.5, ±2.5, 125.5, -126.5
        }
        while (x.size() % kQK != 0) x.push_back((static_cast<float>(k_dist(rng)) + 0.5f) * scale);
    }
    return x;
}

TEST_F(Avx2QLegacyTest, QuantizeTiesRoundAwayFromZeroLikeRef) {
    for (const QuantizeCase& c : kQuantizeCases) {
        for (uint32_t seed = 1; seed <= 4; ++seed) {
            expect_same_bytes_as_ref(c, tie_row(seed), "tie row seed " + std::to_string(seed));
        }
        // Spelled out for the first block (d = 1): 0.5 -> 1, -0.5 -> -1, 2.5 -> 3, -2.5 -> -3.
        const std::vector<float> x = tie_row(1);
        std::vector<uint8_t> got(bytes_of_row(c.type, static_cast<int64_t>(x.size())));
        c.avx2(x.data(), got.data(), static_cast<int64_t>(x.size()));
        const size_t qs = block_bytes(c.type) - kQK;  // qs are the last 32 bytes of a Q8 block
        EXPECT_EQ(get_half(got, 0), kHalfOne);
        const int8_t expected[] = {127, 1, -1, 2, -2, 3, -3, 126, -127};
        for (size_t j = 0; j < std::size(expected); ++j) {
            EXPECT_EQ(static_cast<int8_t>(got[qs + j]), expected[j]) << "element " << j;
        }
    }
}

TEST_F(Avx2QLegacyTest, QuantizeZeroAndExtremeRowsMatchRefBytes) {
    constexpr int64_t kN = 2 * kQK;
    const auto filled = [](float v) { return std::vector<float>(kN, v); };
    std::vector<float> zero_then_random = random_normal(kN, 9);
    std::fill(zero_then_random.begin(), zero_then_random.begin() + kQK, 0.0f);
    std::vector<float> one_spike = random_normal(kN, 10, 1e-30f);
    one_spike[5] = -3.0e4f;
    struct Row {
        const char* what;
        std::vector<float> x;
    };
    const Row rows[] = {
        {"zeros", filled(0.0f)},
        {"negative zeros", filled(-0.0f)},
        {"zero block then random", zero_then_random},
        {"one spike among tiny values", one_spike},
        // amax / 127 is a subnormal float whose inverse overflows: ref quantizes to zeros.
        {"subnormal floats", random_normal(kN, 11, 1e-40f)},
        {"d below the smallest fp16", random_normal(kN, 12, 1e-7f)},
        {"d an fp16 subnormal", random_normal(kN, 13, 1e-5f)},
        {"d overflows fp16", random_normal(kN, 14, 1e30f)},
        {"d just below fp16 overflow", filled(65519.0f * 127.0f)},
        {"d rounds to fp16 inf", filled(65520.0f * 127.0f)},
        {"float max", filled(-FLT_MAX)},
    };
    for (const QuantizeCase& c : kQuantizeCases) {
        for (const Row& row : rows) expect_same_bytes_as_ref(c, row.x, row.what);
    }
}

TEST_F(Avx2QLegacyTest, QuantizeWorksOnUnalignedBuffers) {
    constexpr int64_t kN = 5 * kQK;
    for (const QuantizeCase& c : kQuantizeCases) {
        const std::vector<float> x = random_normal(kN, 21);
        const std::vector<uint8_t> want = quantize(ref_kernels(), c.type, x);
        std::vector<float> x_buf(kN + 1);
        std::vector<uint8_t> y_buf(want.size() + 3);
        for (const size_t offset : {size_t{1}, size_t{3}}) {
            std::memcpy(x_buf.data() + 1, x.data(), kN * sizeof(float));
            c.avx2(x_buf.data() + 1, y_buf.data() + offset, kN);
            EXPECT_EQ(std::memcmp(y_buf.data() + offset, want.data(), want.size()), 0)
                << gguf::tensor_type_name(c.type) << " output offset " << offset;
        }
    }
}

// ---- dot products ----

// Tolerance of |avx2 - ref|, relative to the magnitude M = Σ_blocks |d_w d_a| Σ_j |q_w q_a|
// (+ |m_w s_a|). Both sides form the same exact int32 block sums and the same exact d_w * d_a
// (two fp16 significands fit in a float's), so they differ only in how the float block terms
// are rounded and summed; each rounding is at most u = 2^-24 times a partial sum bounded by M.
// ref rounds d S, then (formats with a min) d S + m s, then the running sum: (nb + 1) u M or
// (nb + 2) u M. avx2 keeps one FMA chain (one rounding per block, plus one for the min term):
// at most nb u M, or 2 nb u M with a min. So |avx2 - ref| <= k (nb + 1) u M with k = 2
// roundings per block without a min and 3 with one. Measured errors are far below this worst case
// (reported as worst_rel_to_magnitude).
struct DotCase {
    T weight;
    T activation;
    VecDotFn avx2;
    VecDotRowsFn avx2_rows;
    VecDotTileFn avx2_tile;
    int roundings_per_block;  // k above
};
const DotCase kDotCases[] = {
    {T::Q8_0, T::Q8_0, avx2::vec_dot_q8_0_q8_0, avx2::vec_dot_rows_q8_0_q8_0,
     avx2::vec_dot_tile_q8_0_q8_0, 2},
    {T::Q4_0, T::Q8_0, avx2::vec_dot_q4_0_q8_0, avx2::vec_dot_rows_q4_0_q8_0,
     avx2::vec_dot_tile_q4_0_q8_0, 2},
    {T::Q5_0, T::Q8_0, avx2::vec_dot_q5_0_q8_0, avx2::vec_dot_rows_q5_0_q8_0,
     avx2::vec_dot_tile_q5_0_q8_0, 2},
    {T::Q4_1, T::Q8_1, avx2::vec_dot_q4_1_q8_1, avx2::vec_dot_rows_q4_1_q8_1,
     avx2::vec_dot_tile_q4_1_q8_1, 3},
    {T::Q5_1, T::Q8_1, avx2::vec_dot_q5_1_q8_1, avx2::vec_dot_rows_q5_1_q8_1,
     avx2::vec_dot_tile_q5_1_q8_1, 3},
};

double tolerance(const DotCase& c, int64_t n, double magnitude) {
    return c.roundings_per_block * static_cast<double>(n / kQK + 1) * (FLT_EPSILON / 2) * magnitude;
}

// Weight rows of every quant bit pattern: random bytes, then each block's d (and m) set to a
// finite fp16 drawn from N(0, scale_sigma).
std::vector<uint8_t> random_weight_bytes(T type, int64_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> scale(0.0f, 0.01f);
    std::vector<uint8_t> w(bytes_of_row(type, n));
    for (uint8_t& b : w) b = static_cast<uint8_t>(rng());
    for (size_t off = 0; off < w.size(); off += block_bytes(type)) {
        set_half(w, off, fp32_to_fp16(scale(rng)));
        if (has_min(type)) set_half(w, off + 2, fp32_to_fp16(scale(rng)));
    }
    return w;
}

// The magnitude the tolerance is relative to. The weight quants are read back through ref's
// dequantizer with every d set to 1 and m to 0, which yields the integer q_w (offset applied).
double dot_magnitude(const DotCase& c, const std::vector<uint8_t>& w, const std::vector<uint8_t>& a,
                     int64_t n) {
    const size_t wbb = block_bytes(c.weight);
    const size_t abb = block_bytes(c.activation);
    std::vector<uint8_t> unit = w;
    for (size_t off = 0; off < unit.size(); off += wbb) {
        set_half(unit, off, kHalfOne);
        if (has_min(c.weight)) set_half(unit, off + 2, 0);
    }
    const std::vector<float> q_w = dequantize(ref_kernels(), c.weight, unit, n);
    double magnitude = 0.0;
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const size_t wo = static_cast<size_t>(ib) * wbb;
        const size_t ao = static_cast<size_t>(ib) * abb;
        const auto* q_a = reinterpret_cast<const int8_t*>(a.data() + ao + abb - kQK);
        double sum_abs = 0.0;
        for (int64_t j = 0; j < kQK; ++j) sum_abs += std::fabs(q_w[ib * kQK + j] * q_a[j]);
        magnitude += std::fabs(static_cast<double>(fp16_to_fp32(get_half(w, wo))) *
                               fp16_to_fp32(get_half(a, ao))) *
                     sum_abs;
        if (has_min(c.weight)) {
            magnitude += std::fabs(static_cast<double>(fp16_to_fp32(get_half(w, wo + 2))) *
                                   fp16_to_fp32(get_half(a, ao + 2)));
        }
    }
    return magnitude;
}

class Avx2QLegacyDotTest : public ::testing::WithParamInterface<DotCase>, public Avx2QLegacyTest {};

// Checks avx2 against ref on one (w, a) pair; returns |avx2 - ref| / magnitude.
double expect_near_ref(const DotCase& c, const std::vector<uint8_t>& w,
                       const std::vector<uint8_t>& a, int64_t n, const std::string& what) {
    const float want = ref_kernels()[c.weight].vec_dot(n, w.data(), a.data());
    const float got = c.avx2(n, w.data(), a.data());
    const double magnitude = dot_magnitude(c, w, a, n);
    EXPECT_NEAR(got, want, tolerance(c, n, magnitude)) << what << " magnitude " << magnitude;
    return magnitude > 0.0 ? std::fabs(static_cast<double>(got) - want) / magnitude : 0.0;
}

TEST_P(Avx2QLegacyDotTest, VecDotMatchesRefUpToSummationOrder) {
    const DotCase c = GetParam();
    ASSERT_EQ(ref_kernels()[c.weight].vec_dot_type, c.activation);
    double worst = 0.0;
    for (const int64_t n_blocks : {1, 2, 3, 7, 8, 37, 128}) {
        const int64_t n = n_blocks * kQK;
        for (uint32_t seed = 1; seed <= 3; ++seed) {
            const std::vector<uint8_t> a =
                quantize(ref_kernels(), c.activation, random_normal(n, seed + 100, 3.0f));
            const std::string what =
                "blocks " + std::to_string(n_blocks) + " seed " + std::to_string(seed);
            const std::vector<uint8_t> w_quantized =
                quantize(ref_kernels(), c.weight, random_normal(n, seed));
            worst = std::max(worst, expect_near_ref(c, w_quantized, a, n, what + " quantized"));
            const std::vector<uint8_t> w_bytes = random_weight_bytes(c.weight, n, seed);
            worst = std::max(worst, expect_near_ref(c, w_bytes, a, n, what + " random bytes"));
        }
    }
    char worst_text[32];
    std::snprintf(worst_text, sizeof(worst_text), "%.3g", worst);
    RecordProperty("worst_rel_to_magnitude", worst_text);
}

// Largest scales: both fp16 scales 65504, so each block term is ~4e9 * the int sum.
TEST_P(Avx2QLegacyDotTest, LargeScalesMatchRef) {
    const DotCase c = GetParam();
    constexpr int64_t kN = 16 * kQK;
    std::vector<uint8_t> w = random_weight_bytes(c.weight, kN, 31);
    std::vector<uint8_t> a = quantize(ref_kernels(), c.activation, random_normal(kN, 32, 3.0f));
    for (int64_t ib = 0; ib < kN / kQK; ++ib) {
        const uint16_t largest = (ib % 2 == 0) ? 0x7BFF : 0xFBFF;  // ±65504
        set_half(w, static_cast<size_t>(ib) * block_bytes(c.weight), largest);
        set_half(a, static_cast<size_t>(ib) * block_bytes(c.activation), 0x7BFF);
    }
    expect_near_ref(c, w, a, kN, "large scales");
    EXPECT_TRUE(std::isfinite(c.avx2(kN, w.data(), a.data())));
}

// Extreme quants with unit scales: every product and sum is a small integer, so ref and avx2
// are both exact and must be equal. Covers the maddubs range (|q_w| up to 128 for Q8_0).
TEST_P(Avx2QLegacyDotTest, ExtremeQuantsAreExact) {
    const DotCase c = GetParam();
    constexpr int64_t kN = 4 * kQK;
    std::vector<uint8_t> a(bytes_of_row(c.activation, kN));
    std::vector<uint8_t> w(bytes_of_row(c.weight, kN));
    const size_t wbb = block_bytes(c.weight);
    const size_t abb = block_bytes(c.activation);
    for (int64_t ib = 0; ib < kN / kQK; ++ib) {
        uint8_t* wb = w.data() + ib * wbb;
        uint8_t* ab = a.data() + ib * abb;
        // Weight quant bytes (everything after d, and m when present): all 0x00 or all 0xFF in
        // alternate blocks, plus 0x80 (-128) in the first Q8_0 block.
        const uint8_t fill = (ib % 2 == 0) ? 0x00 : 0xFF;
        const size_t header = has_min(c.weight) ? 4 : 2;
        std::memset(wb + header, c.weight == T::Q8_0 && ib == 0 ? 0x80 : fill, wbb - header);
        set_half(w, static_cast<size_t>(ib) * wbb, kHalfOne);
        if (has_min(c.weight)) set_half(w, static_cast<size_t>(ib) * wbb + 2, kHalfOne);
        set_half(a, static_cast<size_t>(ib) * abb, kHalfOne);
        if (c.activation == T::Q8_1) set_half(a, static_cast<size_t>(ib) * abb + 2, kHalfOne);
        for (int64_t j = 0; j < kQK; ++j) {
            ab[abb - kQK + j] = static_cast<uint8_t>((j + ib) % 3 == 0 ? -127 : 127);
        }
    }
    const float want = ref_kernels()[c.weight].vec_dot(kN, w.data(), a.data());
    EXPECT_EQ(c.avx2(kN, w.data(), a.data()), want);
    EXPECT_NE(want, 0.0f);
}

TEST_P(Avx2QLegacyDotTest, ZeroRowsGiveZero) {
    const DotCase c = GetParam();
    constexpr int64_t kN = 3 * kQK;
    const std::vector<uint8_t> w(bytes_of_row(c.weight, kN), 0);
    const std::vector<uint8_t> a(bytes_of_row(c.activation, kN), 0);
    EXPECT_EQ(c.avx2(kN, w.data(), a.data()), 0.0f);
    float out[kMaxActRows] = {1.0f, 1.0f, 1.0f, 1.0f};
    c.avx2_rows(kN, w.data(), a.data(), 0, kMaxActRows, out);
    for (const float v : out) EXPECT_EQ(v, 0.0f);
}

// A block whose scale is 0 (weight or activation; the min too for Q4_1/Q5_1) adds nothing,
// whatever its quants: the result equals that of the same row with those quants zeroed.
TEST_P(Avx2QLegacyDotTest, ZeroScaleBlockContributesNothing) {
    const DotCase c = GetParam();
    constexpr int64_t kN = 6 * kQK;
    std::vector<uint8_t> w = random_weight_bytes(c.weight, kN, 41);
    std::vector<uint8_t> a = quantize(ref_kernels(), c.activation, random_normal(kN, 42, 3.0f));
    const size_t wbb = block_bytes(c.weight);
    const size_t abb = block_bytes(c.activation);
    set_half(w, 1 * wbb, 0);  // weight block 1: d = 0 (and m = 0)
    if (has_min(c.weight)) set_half(w, 1 * wbb + 2, 0);
    set_half(a, 4 * abb, 0);  // activation block 4: d = 0 (and s = 0)
    if (c.activation == T::Q8_1) set_half(a, 4 * abb + 2, 0);
    const float got = c.avx2(kN, w.data(), a.data());
    expect_near_ref(c, w, a, kN, "zero-scale blocks");

    std::vector<uint8_t> w_zeroed = w;
    std::vector<uint8_t> a_zeroed = a;
    const size_t w_header = has_min(c.weight) ? 4 : 2;
    std::memset(w_zeroed.data() + 1 * wbb + w_header, 0, wbb - w_header);
    std::memset(a_zeroed.data() + 4 * abb + abb - kQK, 0, kQK);
    EXPECT_EQ(got, c.avx2(kN, w_zeroed.data(), a_zeroed.data()));
}

// vec_dot_rows must give vec_dot's bits for each row, for every row count, on unaligned
// weights and activation rows at an odd stride; it writes exactly n_act outputs.
TEST_P(Avx2QLegacyDotTest, RowsEqualVecDotBitForBit) {
    const DotCase c = GetParam();
    constexpr int kRows = kMaxActRows + 2;  // past the contract too: done in chunks
    for (const int64_t n_blocks : {1, 5, 128}) {
        const int64_t n = n_blocks * kQK;
        const std::vector<uint8_t> w = random_weight_bytes(c.weight, n, 51);
        std::vector<uint8_t> w_buf(w.size() + 1);
        std::memcpy(w_buf.data() + 1, w.data(), w.size());
        const uint8_t* w_ptr = w_buf.data() + 1;

        const size_t row_bytes = bytes_of_row(c.activation, n);
        const size_t stride = row_bytes + 7;
        std::vector<uint8_t> a_buf(1 + kRows * stride, 0xCD);
        for (int j = 0; j < kRows; ++j) {
            const std::vector<uint8_t> row = quantize(
                ref_kernels(), c.activation, random_normal(n, 60 + static_cast<uint32_t>(j), 3.0f));
            std::memcpy(a_buf.data() + 1 + j * stride, row.data(), row_bytes);
        }
        const uint8_t* a_ptr = a_buf.data() + 1;

        float want[kRows];
        for (int j = 0; j < kRows; ++j) want[j] = c.avx2(n, w_ptr, a_ptr + j * stride);
        for (int n_act = 1; n_act <= kRows; ++n_act) {
            float out[kRows + 1];
            std::fill(std::begin(out), std::end(out), std::numeric_limits<float>::quiet_NaN());
            c.avx2_rows(n, w_ptr, a_ptr, stride, n_act, out);
            for (int j = 0; j < n_act; ++j) {
                EXPECT_EQ(std::memcmp(&out[j], &want[j], sizeof(float)), 0)
                    << "blocks " << n_blocks << " n_act " << n_act << " row " << j << ": " << out[j]
                    << " vs vec_dot " << want[j];
            }
            for (int j = n_act; j <= kRows; ++j) {
                EXPECT_TRUE(std::isnan(out[j])) << "n_act " << n_act << " wrote out[" << j << "]";
            }
        }
    }
}

// Activation rows of n elements, quantized from N(0, 3) by ref, `stride` bytes apart from an odd
// address inside `buf` (which keeps them alive); returns the first row.
const uint8_t* activation_rows(const DotCase& c, int64_t n, int rows, size_t stride, uint32_t seed,
                               std::vector<uint8_t>& buf) {
    const size_t row_bytes = bytes_of_row(c.activation, n);
    buf.assign(1 + static_cast<size_t>(rows) * stride, 0xCD);
    for (int j = 0; j < rows; ++j) {
        const std::vector<uint8_t> row = quantize(
            ref_kernels(), c.activation, random_normal(n, seed + static_cast<uint32_t>(j), 3.0f));
        std::memcpy(buf.data() + 1 + static_cast<size_t>(j) * stride, row.data(), row_bytes);
    }
    return buf.data() + 1;
}

// Weight rows of every quant bit pattern (random_weight_bytes), `stride` bytes apart from an
// odd address; with large_scales, every d (and m) is ±65504, the largest fp16.
const uint8_t* weight_rows(const DotCase& c, int64_t n, int rows, size_t stride, bool large_scales,
                           std::vector<uint8_t>& buf) {
    const size_t row_bytes = bytes_of_row(c.weight, n);
    buf.assign(1 + static_cast<size_t>(rows) * stride, 0xEF);
    for (int r = 0; r < rows; ++r) {
        std::vector<uint8_t> row = random_weight_bytes(c.weight, n, 70 + static_cast<uint32_t>(r));
        for (size_t off = 0; large_scales && off < row.size(); off += block_bytes(c.weight)) {
            set_half(row, off, (off / block_bytes(c.weight) + r) % 2 == 0 ? 0x7BFF : 0xFBFF);
            if (has_min(c.weight)) set_half(row, off + 2, 0xFBFF);
        }
        std::memcpy(buf.data() + 1 + static_cast<size_t>(r) * stride, row.data(), row_bytes);
    }
    return buf.data() + 1;
}

// vec_dot_tile must give vec_dot's bits for every (weight row, activation row) of every tile
// shape, with all three strides odd (so nothing is aligned and out is not dense), and write
// nothing else: the rows-in-lanes layout (one activation row) and the activation-rows-in-lanes
// layout (several) must both reproduce vec_dot's order of float operations.
TEST_P(Avx2QLegacyDotTest, TileEqualsVecDotBitForBit) {
    const DotCase c = GetParam();
    constexpr int kW = kMaxWeightRows + 2;  // past the contract too: done in pieces
    constexpr int kA = kMaxActRows + 1;
    constexpr size_t kOutStride = kA + 2;
    for (const int64_t n_blocks : {1, 5, 128}) {
        for (const bool large_scales : {false, true}) {
            const int64_t n = n_blocks * kQK;
            std::vector<uint8_t> w_buf, a_buf;
            const size_t w_stride = bytes_of_row(c.weight, n) + 3;
            const size_t a_stride = bytes_of_row(c.activation, n) + 5;
            const uint8_t* w = weight_rows(c, n, kW, w_stride, large_scales, w_buf);
            const uint8_t* a = activation_rows(c, n, kA, a_stride, 80, a_buf);
            float want[kW][kA];
            for (int r = 0; r < kW; ++r) {
                for (int j = 0; j < kA; ++j)
                    want[r][j] = c.avx2(n, w + r * w_stride, a + j * a_stride);
            }
            for (int n_w = 1; n_w <= kW; ++n_w) {
                for (int n_act = 1; n_act <= kA; ++n_act) {
                    std::vector<float> out(kW * kOutStride,
                                           std::numeric_limits<float>::quiet_NaN());
                    c.avx2_tile(n, w, w_stride, n_w, a, a_stride, n_act, out.data(), kOutStride);
                    for (int r = 0; r < kW; ++r) {
                        for (size_t j = 0; j < kOutStride; ++j) {
                            const float got = out[r * kOutStride + j];
                            if (r < n_w && j < static_cast<size_t>(n_act)) {
                                EXPECT_EQ(std::memcmp(&got, &want[r][j], sizeof(float)), 0)
                                    << "blocks " << n_blocks << " large " << large_scales
                                    << " tile " << n_w << "x" << n_act << " at (" << r << ", " << j
                                    << "): " << got << " vs vec_dot " << want[r][j];
                            } else {
                                EXPECT_TRUE(std::isnan(got)) << "tile " << n_w << "x" << n_act
                                                             << " wrote (" << r << ", " << j << ")";
                            }
                        }
                    }
                }
            }
        }
    }
}

// Zero rows give exact zeros in every output of a full tile.
TEST_P(Avx2QLegacyDotTest, TileOfZeroRowsIsZero) {
    const DotCase c = GetParam();
    constexpr int64_t kN = 3 * kQK;
    const std::vector<uint8_t> w(bytes_of_row(c.weight, kN) * kMaxWeightRows, 0);
    const std::vector<uint8_t> a(bytes_of_row(c.activation, kN) * kMaxActRows, 0);
    float out[kMaxWeightRows * kMaxActRows];
    std::fill(std::begin(out), std::end(out), 1.0f);
    c.avx2_tile(kN, w.data(), bytes_of_row(c.weight, kN), kMaxWeightRows, a.data(),
                bytes_of_row(c.activation, kN), kMaxActRows, out, kMaxActRows);
    for (const float v : out) EXPECT_EQ(v, 0.0f);
}

INSTANTIATE_TEST_SUITE_P(Avx2, Avx2QLegacyDotTest, ::testing::ValuesIn(kDotCases),
                         [](const auto& param_info) {
                             return std::string(gguf::tensor_type_name(param_info.param.weight));
                         });

// ---- the table ----

TEST_F(Avx2QLegacyTest, AddLegacyKernelsOverridesOnlyItsEntries) {
    const KernelTable& ref = ref_kernels();
    KernelTable t = ref;
    avx2::add_legacy_kernels(t);
    EXPECT_EQ(t.name, ref.name);
    EXPECT_EQ(t[T::Q8_0].quantize_row, avx2::quantize_row_q8_0);
    EXPECT_EQ(t[T::Q8_1].quantize_row, avx2::quantize_row_q8_1);
    for (const DotCase& c : kDotCases) {
        EXPECT_EQ(t[c.weight].vec_dot, c.avx2) << gguf::tensor_type_name(c.weight);
        EXPECT_EQ(t[c.weight].vec_dot_rows, c.avx2_rows) << gguf::tensor_type_name(c.weight);
        EXPECT_EQ(t[c.weight].vec_dot_tile, c.avx2_tile) << gguf::tensor_type_name(c.weight);
    }
    const auto overridden_dot = [](T type) {
        for (const DotCase& c : kDotCases) {
            if (c.weight == type) return true;
        }
        return false;
    };
    for (uint32_t id = 0; id < gguf::kTensorTypeIdLimit; ++id) {
        const auto type = static_cast<T>(id);
        const TypeKernels& got = t[type];
        const TypeKernels& want = ref[type];
        SCOPED_TRACE("type id " + std::to_string(id));
        EXPECT_EQ(got.supported, want.supported);
        EXPECT_EQ(got.vec_dot_type, want.vec_dot_type);
        EXPECT_EQ(got.dequantize_row, want.dequantize_row);
        if (type != T::Q8_0 && type != T::Q8_1) {
            EXPECT_EQ(got.quantize_row, want.quantize_row);
        }
        if (!overridden_dot(type)) {
            EXPECT_EQ(got.vec_dot, want.vec_dot);
            EXPECT_EQ(got.vec_dot_rows, want.vec_dot_rows);
            EXPECT_EQ(got.vec_dot_tile, want.vec_dot_tile);
        }
    }
}

}  // namespace
}  // namespace glmserve::kernels
