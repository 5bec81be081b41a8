// Tests of the AVX2 F32 / F16 / BF16 kernels (src/kernels/avx2/float_types.cpp), and of the
// AVX-512 dot products (src/kernels/avx512/float_types.cpp: natively where the CPU has the
// avx512 level, and everywhere built on SIMDe), against the scalar reference
// (kernels/ref/float_types.cpp), which is their specification:
//   - the F16 and BF16 row converters must match ref bit for bit: every one of the 65536
//     16-bit patterns one way, and the other way every tie between neighbouring halves, a
//     stride through all 2^32 float patterns and the special values (NaN payloads, inf,
//     overflow, subnormals, signed zeros), at lengths that leave every tail size;
//   - each vec_dot must agree with ref up to float summation order (bound below);
//   - each vec_dot_rows must equal the same file's vec_dot bit for bit for every row count, and
//     each vec_dot_tile likewise for every weight-row × activation-row shape, writing only its
//     tile of the output;
//   - add_float_kernels must override exactly its entries of a table.
// Every test skips on a CPU without the avx2 level (AVX2 + FMA + F16C with OS support), the
// native AVX-512 ones on a CPU without the avx512 level.
#include "kernels/avx2/float_types.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/emulated_tables.h"
#include "kernels/float16.h"
#include "kernels/kernel_test_util.h"
#include "kernels/ref/ref_kernels.h"
#include "kernels/simd_tables.h"

namespace glmserve::kernels {
namespace {

using T = TensorType;
using testing::random_normal;

// vec_dot sums in float where ref sums float products in double. First-order bound on the
// difference, in units of 2^-24·Σ|w_i·a_i|: each of AVX2's 8 lanes adds n/8 exact products (one
// rounding each), the lanes are combined in 3 roundings, the scalar tail of at most 7 terms
// rounds each product and each sum (14), and ref rounds each product once and its sum once
// (2). (n/8 + 24) covers all of it, and AVX-512's n/16 + 1 per lane, 4 to combine, no scalar
// tail; a wrong or missing element, by contrast, moves the
// result by about Σ|w_i·a_i|/n, far above it for the lengths tested.
double dot_bound(int64_t n, double magnitude) {
    return (static_cast<double>(n) / 8.0 + 24.0) * std::ldexp(magnitude, -24);
}

// Lengths that leave every tail: below one vector, one vector, one 32-element step (four
// vectors) with 0..3 more vectors and a 0..7 element tail, and long rows.
constexpr int64_t kLengths[] = {1,  5,  7,  8,  9,  15, 16,  17,  23,  24,   31,
                                32, 33, 40, 47, 64, 65, 100, 128, 255, 3001, 4099};

class Avx2FloatTypesTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!detect_cpu_features().has_avx2_level()) {
            GTEST_SKIP() << "this CPU (or OS) lacks AVX2 + FMA + F16C; the avx2 kernels cannot run";
        }
    }
};

KernelTable avx2_table() {
    KernelTable t = ref_kernels();
    avx2::add_float_kernels(t);
    return t;
}

// Floats whose conversion is easy to get wrong: zeros, inf, NaNs (quiet and signalling, with
// payloads, both signs), the half range limits, rounding ties, subnormals of both formats and
// bf16's round-up-to-inf.
std::vector<float> special_floats() {
    const std::vector<uint32_t> bits = {
        0x00000000, 0x80000000, 0x7F800000, 0xFF800000,  // ±0, ±inf
        0x7FC00000, 0xFFC00000, 0x7F800001, 0xFF800001,  // quiet / signalling NaN
        0x7FA5A5A5, 0x7FFFFFFF, 0xFFFFFFFF, 0x7F802000,  // payloads (top 10 bits, low bits)
        0x477FE000, 0x477FEFFF, 0x477FF000, 0x477FFFFF,  // 65504, just below/at 65520, above
        0x47800000, 0xC77FF000, 0x4F000000, 0x7F7FFFFF,  // 65536, -65520, 2^31, FLT_MAX
        0x38800000, 0x387FFFFF, 0x33800000, 0x33000000,  // 2^-14, below it, 2^-24, 2^-25
        0x33000001, 0x32FFFFFF, 0xB3000000, 0x33C00000,  // around the smallest half's half
        0x00000001, 0x007FFFFF, 0x80400000, 0x00800000,  // f32 subnormals, FLT_MIN
        0x3F801000, 0x3F803000, 0x3F800FFF, 0x3F801001,  // f16 ties to even 1 + 2^-11, ...
        0x3F808000, 0x3F818000, 0x3F807FFF, 0x7F7F8000,  // bf16 ties, FLT_MAX-ish up to inf
    };
    std::vector<float> v;
    for (uint32_t b : bits) v.push_back(std::bit_cast<float>(b));
    return v;
}

// Every midpoint between neighbouring finite halves (each is an exact float: ties to even).
std::vector<float> half_ties() {
    std::vector<float> v;
    for (uint32_t h = 0; h < 0x7C00; ++h) {
        const double lo = fp16_to_fp32(static_cast<uint16_t>(h));
        const double hi = h + 1 == 0x7C00 ? 65536.0 : fp16_to_fp32(static_cast<uint16_t>(h + 1));
        v.push_back(static_cast<float>((lo + hi) / 2));
        v.push_back(-v.back());
    }
    return v;
}

// A stride through all 2^32 float bit patterns (every exponent, many mantissas).
std::vector<float> strided_floats() {
    std::vector<float> v;
    for (uint64_t b = 0; b < (uint64_t{1} << 32); b += 4093) {
        v.push_back(std::bit_cast<float>(static_cast<uint32_t>(b)));
    }
    return v;
}

// Converts x with `type`'s quantize_row from both tables and returns the first mismatch.
::testing::AssertionResult same_conversion(const KernelTable& simd, T type,
                                           const std::vector<float>& x) {
    const auto n = static_cast<int64_t>(x.size());
    std::vector<uint16_t> want(x.size()), got(x.size());
    ref_kernels()[type].quantize_row(x.data(), want.data(), n);
    simd[type].quantize_row(x.data(), got.data(), n);
    for (size_t i = 0; i < x.size(); ++i) {
        if (want[i] != got[i]) {
            return ::testing::AssertionFailure()
                   << "element " << i << " of " << n << ": float bits 0x" << std::hex
                   << std::bit_cast<uint32_t>(x[i]) << " -> 0x" << got[i] << ", ref 0x" << want[i];
        }
    }
    return ::testing::AssertionSuccess();
}

TEST_F(Avx2FloatTypesTest, QuantizeMatchesRefBitForBit) {
    const KernelTable simd = avx2_table();
    for (const T type : {T::F16, T::BF16}) {
        SCOPED_TRACE(gguf::tensor_type_info(type).name);
        EXPECT_TRUE(same_conversion(simd, type, special_floats()));
        EXPECT_TRUE(same_conversion(simd, type, half_ties()));
        EXPECT_TRUE(same_conversion(simd, type, strided_floats()));
        for (const int64_t n : kLengths) {
            EXPECT_TRUE(same_conversion(simd, type, random_normal(n, 7, 1000.0f))) << "n " << n;
        }
        // Every tail length for the special values: shift them through a vector.
        std::vector<float> shifted = special_floats();
        for (int s = 0; s < 16; ++s) {
            shifted.insert(shifted.begin(), 0.5f);
            EXPECT_TRUE(same_conversion(simd, type, shifted)) << "shift " << s;
        }
    }
}

TEST_F(Avx2FloatTypesTest, DequantizeMatchesRefForEveryPattern) {
    const KernelTable simd = avx2_table();
    // All 65536 patterns, starting at an odd offset so the vectors are unaligned and the last
    // 7 go through the scalar tail.
    std::vector<uint16_t> all(65536 + 1);
    for (uint32_t h = 0; h < 65536; ++h) all[h + 1] = static_cast<uint16_t>(h);
    const int64_t n = 65536;
    for (const T type : {T::F16, T::BF16}) {
        SCOPED_TRACE(gguf::tensor_type_info(type).name);
        std::vector<float> want(65536), got(65536);
        ref_kernels()[type].dequantize_row(all.data() + 1, want.data(), n);
        simd[type].dequantize_row(all.data() + 1, got.data(), n);
        EXPECT_EQ(std::memcmp(want.data(), got.data(), want.size() * sizeof(float)), 0);
        for (const int64_t len : kLengths) {
            const int64_t m = std::min<int64_t>(len, n);
            simd[type].dequantize_row(all.data() + 1 + 30000, got.data(), m);
            EXPECT_EQ(std::memcmp(want.data() + 30000, got.data(), static_cast<size_t>(m) * 4), 0)
                << "n " << m;
        }
    }
}

struct DotCase {
    T type;
    std::vector<uint8_t> w, a;  // rows of the type
    double magnitude = 0.0;     // Σ|w_i·a_i| of the dequantized rows
};

DotCase make_dot_case(T type, const std::vector<float>& wf, const std::vector<float>& af) {
    const KernelTable& ref = ref_kernels();
    DotCase c{
        .type = type, .w = testing::quantize(ref, type, wf), .a = testing::quantize(ref, type, af)};
    const auto n = static_cast<int64_t>(wf.size());
    const std::vector<float> wd = testing::dequantize(ref, type, c.w, n);
    const std::vector<float> ad = testing::dequantize(ref, type, c.a, n);
    for (int64_t i = 0; i < n; ++i) c.magnitude += std::fabs(static_cast<double>(wd[i]) * ad[i]);
    return c;
}

// The tables whose dot products the tests below check.
// Avx512Emulated takes BF16 through vdpbf16ps (SIMDe's), Avx512EmulatedFmaBf16 through FMAs (the
// avx512 table on CPUs without AVX512_BF16); Avx512 is this CPU's avx512 table.
enum class DotTable { Avx2, Avx512, Avx512Emulated, Avx512EmulatedFmaBf16 };

struct DotParam {
    DotTable table;
    T type;
};

class FloatDotTest : public Avx2FloatTypesTest, public ::testing::WithParamInterface<DotParam> {
protected:
    void SetUp() override {
        Avx2FloatTypesTest::SetUp();
        if (GetParam().table == DotTable::Avx512 && !detect_cpu_features().has_avx512_level()) {
            GTEST_SKIP() << "this CPU (or OS) lacks the avx512 level; the avx512_emulated "
                            "instance of this test checks the same arithmetic";
        }
    }

    static const KernelTable& simd() {
        static const KernelTable avx2 = avx2_table();
        static const KernelTable fma_bf16 = [] {
            KernelTable t = avx2_table();
            avx512_emulated::add_float_kernels(t, /*bf16_pairs=*/false);
            return t;
        }();
        switch (GetParam().table) {
            case DotTable::Avx2: return avx2;
            case DotTable::Avx512: return avx512_kernels();
            case DotTable::Avx512Emulated: return testing::avx512_emulated_kernels();
            case DotTable::Avx512EmulatedFmaBf16: return fma_bf16;
        }
        return avx2;
    }
};

TEST_P(FloatDotTest, VecDotAgreesWithRefWithinSummationRounding) {
    const T type = GetParam().type;
    const KernelTable& simd = FloatDotTest::simd();
    double worst = 0.0;  // in units of 2^-24·Σ|w·a|
    for (const int64_t n : kLengths) {
        for (uint32_t seed = 1; seed <= 3; ++seed) {
            const DotCase c =
                make_dot_case(type, random_normal(n, seed), random_normal(n, seed + 50, 3.0f));
            const double want = ref_kernels()[type].vec_dot(n, c.w.data(), c.a.data());
            const double got = simd[type].vec_dot(n, c.w.data(), c.a.data());
            EXPECT_LE(std::fabs(got - want), dot_bound(n, c.magnitude))
                << "n " << n << " seed " << seed << ": " << got << " vs ref " << want;
            if (c.magnitude > 0) {
                worst = std::max(worst, std::fabs(got - want) / std::ldexp(c.magnitude, -24));
            }
        }
    }
    RecordProperty("worst_error_units", std::to_string(worst));
}

TEST_P(FloatDotTest, SpecialRows) {
    const T type = GetParam().type;
    const KernelTable& simd = FloatDotTest::simd();
    const auto dot = [&](const KernelTable& t, const DotCase& c) {
        return t[type].vec_dot(static_cast<int64_t>(c.w.size()) / (type == T::F32 ? 4 : 2),
                               c.w.data(), c.a.data());
    };
    // All zeros: exactly +0.
    const DotCase zeros = make_dot_case(type, std::vector<float>(37), std::vector<float>(37));
    EXPECT_EQ(std::bit_cast<uint32_t>(dot(simd, zeros)), 0u);
    // Large magnitudes (near the type's range; products far beyond the halves' range for F16)
    // with cancellation between halves of the row.
    const float big = type == T::F16 ? 60000.0f : 1e17f;
    std::vector<float> wf = random_normal(67, 3), af = random_normal(67, 4);
    for (size_t i = 0; i < wf.size(); ++i) {
        wf[i] = std::fmax(std::fmin(wf[i], 1.0f), -1.0f) * big;  // both signs: cancellation
        af[i] = std::fmin(std::fabs(af[i]), 1.0f) * big;         // >= 0, for the inf case below
    }
    const DotCase large = make_dot_case(type, wf, af);
    EXPECT_LE(std::fabs(static_cast<double>(dot(simd, large)) - dot(ref_kernels(), large)),
              dot_bound(67, large.magnitude));
    // A NaN or an inf anywhere, the tail included, reaches the result as in ref.
    for (const size_t at : {size_t{0}, size_t{20}, size_t{66}}) {
        std::vector<float> wn = random_normal(67, 5);
        wn[at] = std::numeric_limits<float>::quiet_NaN();
        EXPECT_TRUE(std::isnan(dot(simd, make_dot_case(type, wn, af)))) << at;
        wn[at] = std::numeric_limits<float>::infinity();
        const DotCase inf = make_dot_case(type, wn, af);
        EXPECT_EQ(dot(simd, inf), dot(ref_kernels(), inf)) << at;  // +inf (af >= 0)
    }
}

TEST_P(FloatDotTest, VecDotRowsEqualsVecDotBitForBit) {
    const T type = GetParam().type;
    const KernelTable& simd = FloatDotTest::simd();
    const size_t elem = type == T::F32 ? 4 : 2;
    for (const int64_t n : kLengths) {
        const std::vector<uint8_t> w = testing::quantize(ref_kernels(), type, random_normal(n, 11));
        // Rows kMaxActRows apart by a stride that is not a multiple of 32 bytes.
        const size_t stride = static_cast<size_t>(n) * elem + 3 * elem;
        std::vector<uint8_t> acts(stride * kMaxActRows);
        for (int j = 0; j < kMaxActRows; ++j) {
            const std::vector<uint8_t> a =
                testing::quantize(ref_kernels(), type, random_normal(n, 20 + j, 2.0f));
            std::memcpy(acts.data() + j * stride, a.data(), a.size());
        }
        float single[kMaxActRows];
        for (int j = 0; j < kMaxActRows; ++j) {
            single[j] = simd[type].vec_dot(n, w.data(), acts.data() + j * stride);
        }
        for (int n_act = 1; n_act <= kMaxActRows; ++n_act) {
            float rows[kMaxActRows] = {};
            simd[type].vec_dot_rows(n, w.data(), acts.data(), stride, n_act, rows);
            EXPECT_EQ(std::memcmp(rows, single, static_cast<size_t>(n_act) * sizeof(float)), 0)
                << "n " << n << " n_act " << n_act;
        }
    }
}

// Every tile shape against vec_dot, up to the type's tile_rows (AVX-512 BF16: 16 rows, k-block by
// k-block, which 3001 and 4099 elements cross): weight rows and activation rows at strides that
// are not multiples of 32 bytes, an output stride wider than the tile, and guards around it.
TEST_P(FloatDotTest, VecDotTileEqualsVecDotBitForBit) {
    const T type = GetParam().type;
    const KernelTable& simd = FloatDotTest::simd();
    const size_t elem = type == T::F32 ? 4 : 2;
    for (const int64_t n : kLengths) {
        const size_t w_stride = static_cast<size_t>(n) * elem + 5 * elem;
        const size_t a_stride = static_cast<size_t>(n) * elem + 3 * elem;
        std::vector<uint8_t> ws(w_stride * kMaxTileRows), acts(a_stride * kMaxActRows);
        for (int r = 0; r < kMaxTileRows; ++r) {
            const std::vector<uint8_t> w =
                testing::quantize(ref_kernels(), type, random_normal(n, 40 + r));
            std::memcpy(ws.data() + r * w_stride, w.data(), w.size());
        }
        for (int c = 0; c < kMaxActRows; ++c) {
            const std::vector<uint8_t> a =
                testing::quantize(ref_kernels(), type, random_normal(n, 60 + c, 2.0f));
            std::memcpy(acts.data() + c * a_stride, a.data(), a.size());
        }
        float single[kMaxTileRows][kMaxActRows];
        for (int r = 0; r < kMaxTileRows; ++r) {
            for (int c = 0; c < kMaxActRows; ++c) {
                single[r][c] =
                    simd[type].vec_dot(n, ws.data() + r * w_stride, acts.data() + c * a_stride);
            }
        }
        constexpr size_t kOutStride = kMaxActRows + 3;
        constexpr float kGuard = -12345.0f;
        const int max_rows = simd[type].tile_rows;
        ASSERT_TRUE(max_rows >= kMaxWeightRows && max_rows <= kMaxTileRows);
        for (int n_w = 1; n_w <= max_rows; ++n_w) {
            for (int n_act = 1; n_act <= kMaxActRows; ++n_act) {
                std::vector<float> out(kOutStride * kMaxTileRows, kGuard);
                simd[type].vec_dot_tile(n, ws.data(), w_stride, n_w, acts.data(), a_stride, n_act,
                                        out.data(), kOutStride);
                for (size_t k = 0; k < out.size(); ++k) {
                    const auto r = static_cast<int>(k / kOutStride);
                    const auto c = static_cast<int>(k % kOutStride);
                    const float want = r < n_w && c < n_act ? single[r][c] : kGuard;
                    EXPECT_EQ(std::memcmp(&out[k], &want, sizeof(float)), 0)
                        << "n " << n << " tile " << n_w << "x" << n_act << " at " << r << "," << c
                        << ": " << out[k] << " vs " << want;
                }
            }
        }
    }
}

std::vector<DotParam> dot_params() {
    std::vector<DotParam> params;
    for (const DotTable table : {DotTable::Avx2, DotTable::Avx512, DotTable::Avx512Emulated}) {
        for (const T type : {T::F32, T::F16, T::BF16}) params.push_back({table, type});
    }
    params.push_back({DotTable::Avx512EmulatedFmaBf16, T::BF16});
    return params;
}

std::string dot_param_name(const ::testing::TestParamInfo<DotParam>& p) {
    static constexpr const char* kTables[] = {"avx2", "avx512", "avx512_emulated",
                                              "avx512_emulated_fma"};
    return std::string(kTables[static_cast<int>(p.param.table)]) + "_" +
           std::string(gguf::tensor_type_info(p.param.type).name);
}

INSTANTIATE_TEST_SUITE_P(FloatTypes, FloatDotTest, ::testing::ValuesIn(dot_params()),
                         dot_param_name);

TEST_F(Avx2FloatTypesTest, AddFloatKernelsOverridesOnlyItsEntries) {
    const KernelTable& ref = ref_kernels();
    const KernelTable t = avx2_table();
    EXPECT_EQ(t[T::F32].vec_dot, &avx2::vec_dot_f32);
    EXPECT_EQ(t[T::F32].vec_dot_rows, &avx2::vec_dot_rows_f32);
    EXPECT_EQ(t[T::F32].vec_dot_tile, &avx2::vec_dot_tile_f32);
    EXPECT_EQ(t[T::F32].quantize_row, ref[T::F32].quantize_row);
    EXPECT_EQ(t[T::F16].quantize_row, &avx2::quantize_row_f16);
    EXPECT_EQ(t[T::F16].dequantize_row, &avx2::dequantize_row_f16);
    EXPECT_EQ(t[T::F16].vec_dot, &avx2::vec_dot_f16);
    EXPECT_EQ(t[T::F16].vec_dot_rows, &avx2::vec_dot_rows_f16);
    EXPECT_EQ(t[T::F16].vec_dot_tile, &avx2::vec_dot_tile_f16);
    EXPECT_EQ(t[T::BF16].quantize_row, &avx2::quantize_row_bf16);
    EXPECT_EQ(t[T::BF16].dequantize_row, &avx2::dequantize_row_bf16);
    EXPECT_EQ(t[T::BF16].vec_dot, &avx2::vec_dot_bf16);
    EXPECT_EQ(t[T::BF16].vec_dot_rows, &avx2::vec_dot_rows_bf16);
    EXPECT_EQ(t[T::BF16].vec_dot_tile, &avx2::vec_dot_tile_bf16);
    for (const T type : {T::F32, T::F16, T::BF16}) {
        EXPECT_EQ(t[type].vec_dot_type, ref[type].vec_dot_type);
        EXPECT_TRUE(t[type].supported);
    }
    for (uint32_t id = 0; id < gguf::kTensorTypeIdLimit; ++id) {
        const auto type = static_cast<T>(id);
        if (type == T::F32 || type == T::F16 || type == T::BF16) continue;
        EXPECT_EQ(t[type].vec_dot, ref[type].vec_dot) << id;
        EXPECT_EQ(t[type].vec_dot_tile, ref[type].vec_dot_tile) << id;
        EXPECT_EQ(t[type].quantize_row, ref[type].quantize_row) << id;
    }
    EXPECT_EQ(t.vec.dot_f32_f16, ref.vec.dot_f32_f16);
}

// The AVX-512 file replaces the three float types' dot products and tile sizes (16 rows for BF16
// through vdpbf16ps), nothing else.
TEST_F(Avx2FloatTypesTest, Avx512AddFloatKernelsOverridesOnlyTheDotProducts) {
    const KernelTable avx2 = avx2_table();
    KernelTable t = avx2;
    avx512_emulated::add_float_kernels(t, /*bf16_pairs=*/true);
    KernelTable fma_bf16 = avx2;
    avx512_emulated::add_float_kernels(fma_bf16, /*bf16_pairs=*/false);
    EXPECT_NE(t[T::BF16].vec_dot, fma_bf16[T::BF16].vec_dot);
    EXPECT_EQ(t[T::F16].vec_dot, fma_bf16[T::F16].vec_dot);
    for (uint32_t id = 0; id < gguf::kTensorTypeIdLimit; ++id) {
        const auto type = static_cast<T>(id);
        const bool is_float = type == T::F32 || type == T::F16 || type == T::BF16;
        EXPECT_EQ(t[type].vec_dot == avx2[type].vec_dot, !is_float) << id;
        EXPECT_EQ(t[type].vec_dot_rows == avx2[type].vec_dot_rows, !is_float) << id;
        EXPECT_EQ(t[type].vec_dot_tile == avx2[type].vec_dot_tile, !is_float) << id;
        EXPECT_EQ(t[type].tile_tokens, is_float ? kMaxActRows : avx2[type].tile_tokens) << id;
        EXPECT_EQ(t[type].tile_rows, type == T::BF16 ? kMaxTileRows : avx2[type].tile_rows) << id;
        EXPECT_EQ(fma_bf16[type].tile_rows, avx2[type].tile_rows) << id;
        EXPECT_EQ(t[type].quantize_row, avx2[type].quantize_row) << id;
        EXPECT_EQ(t[type].dequantize_row, avx2[type].dequantize_row) << id;
    }
}

}  // namespace
}  // namespace glmserve::kernels
