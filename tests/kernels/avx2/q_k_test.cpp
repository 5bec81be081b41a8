// AVX2 K-quant kernels (kernels/avx2/q_k.h) against the scalar reference (kernels/ref/q_k.cpp):
// the Q8_K quantizer byte for byte, the Q4_K/Q5_K/Q6_K dot products within a named tolerance
// relative to the magnitude of the terms they sum, vec_dot_rows bit for bit against the same
// file's vec_dot, and add_k_kernels touching only its entries. Skipped on CPUs without the
// avx2 level.
#include "kernels/avx2/q_k.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/cpu_features.h"
#include "kernels/float16.h"
#include "kernels/kernel_test_util.h"
#include "kernels/quant_blocks.h"
#include "kernels/ref/ref_kernels.h"

namespace glmserve::kernels {
namespace {

using T = TensorType;
using testing::random_normal;

// Both kernels compute the same exact int32 sums per super-block and scale them by the same
// float d_w·d_a (and dmin_w·d_a); they differ only in how those float terms are rounded and
// added: ref rounds each super-block's total and adds it to one scalar, avx2 adds 8 lanes
// with FMA across super-blocks and sums them once. Each path rounds O(n_blocks) times, so
// the gap is a few float roundings (2^-24 ≈ 6e-8) of the magnitude M of the summed terms
// (magnitude() below). Rows here have up to 33 super-blocks; the worst gap measured is
// reported as a test property.
// Q4_K/Q5_K: measured worst 8.2e-8 (random codes with one-signed activations, where the
// roundings add up coherently); 5e-7 leaves 6x room and is still 8 roundings of M.
constexpr double kQ4KRelTol = 5e-7;
constexpr double kQ5KRelTol = 5e-7;
// Q6_K lanes hold the unsigned quants (0..63) before the bsums correction, so its M counts
// |q+32|·|a| terms as well and is several times Σ|w·a|; measured worst 5e-9 of that M.
constexpr double kQ6KRelTol = 1e-7;

struct KType {
    T weight;
    VecDotFn ref_dot;
    VecDotFn avx2_dot;
    VecDotRowsFn avx2_rows;
    double rel_tol;
    size_t block_bytes;
};

const KType kKTypes[] = {
    {T::Q4_K, ref::vec_dot_q4_k_q8_k, avx2::vec_dot_q4_k_q8_k, avx2::vec_dot_rows_q4_k_q8_k,
     kQ4KRelTol, sizeof(BlockQ4_K)},
    {T::Q5_K, ref::vec_dot_q5_k_q8_k, avx2::vec_dot_q5_k_q8_k, avx2::vec_dot_rows_q5_k_q8_k,
     kQ5KRelTol, sizeof(BlockQ5_K)},
    {T::Q6_K, ref::vec_dot_q6_k_q8_k, avx2::vec_dot_q6_k_q8_k, avx2::vec_dot_rows_q6_k_q8_k,
     kQ6KRelTol, sizeof(BlockQ6_K)},
};

std::string type_name(T t) {
    return std::string(gguf::tensor_type_name(t));
}

class Avx2KQuant : public ::testing::Test {
protected:
    void SetUp() override {
        if (!detect_cpu_features().has_avx2_level()) {
            GTEST_SKIP() << "this CPU/OS lacks AVX2+FMA+F16C; the avx2 kernels cannot run here";
        }
    }
};

class Avx2KDot : public ::testing::TestWithParam<KType> {
protected:
    void SetUp() override {
        if (!detect_cpu_features().has_avx2_level()) {
            GTEST_SKIP() << "this CPU/OS lacks AVX2+FMA+F16C; the avx2 kernels cannot run here";
        }
    }
};

// ---- data ----

std::vector<uint8_t> quantize_with(void (*quantize)(const float*, void*, int64_t), T type,
                                   const std::vector<float>& x) {
    const auto n = static_cast<int64_t>(x.size());
    std::vector<uint8_t> q(testing::bytes_of_row(type, n));
    quantize(x.data(), q.data(), n);
    return q;
}

std::vector<uint8_t> ref_q8_k(const std::vector<float>& x) {
    return quantize_with(ref::quantize_row_q8_k, T::Q8_K, x);
}

std::vector<uint8_t> avx2_q8_k(const std::vector<float>& x) {
    return quantize_with(avx2::quantize_row_q8_k, T::Q8_K, x);
}

// Weights as a GGUF file would hold them: ref's quantizer on N(0, 1) data.
std::vector<uint8_t> quantized_weights(T type, int64_t n, uint32_t seed) {
    return quantize_with(ref_kernels()[type].quantize_row, type, random_normal(n, seed));
}

void set_half(std::vector<uint8_t>& bytes, size_t offset, float v) {
    const uint16_t h = fp32_to_fp16(v);
    std::memcpy(bytes.data() + offset, &h, sizeof(h));
}

// Offsets of the fp16 factors inside a block: d (and dmin, where the type has one).
size_t d_offset(T type) {
    return type == T::Q6_K ? offsetof(BlockQ6_K, d) : offsetof(BlockQ4_K, d);
}

// Every bit random (all quant and scale codes, extremes included), with fp16 factors drawn
// from [lo, hi] so the sums stay finite.
std::vector<uint8_t> random_weights(const KType& k, int64_t n, uint32_t seed, float lo = 1e-3f,
                                    float hi = 0.1f) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> w(testing::bytes_of_row(k.weight, n));
    for (uint8_t& b : w) b = static_cast<uint8_t>(rng());
    std::uniform_real_distribution<float> factor(lo, hi);
    for (size_t off = 0; off < w.size(); off += k.block_bytes) {
        set_half(w, off + d_offset(k.weight), factor(rng));
        if (k.weight != T::Q6_K) set_half(w, off + offsetof(BlockQ4_K, dmin), factor(rng));
    }
    return w;
}

// Σ over elements of |each term the kernels sum|: for Q4_K/Q5_K |d·sc·q·a| + |dmin·m·a|,
// bounded via w = d·sc·q - dmin·m by |w·a| + 2|dmin·m·a|; for Q6_K |d·sc·(q+32)·a| +
// |32·d·sc·a| (the unshifted lanes and the bsums correction), bounded by |w·a| + 64|d·sc·a|.
double magnitude(const KType& k, const std::vector<uint8_t>& w, const std::vector<uint8_t>& a,
                 int64_t n) {
    const std::vector<float> wf = testing::dequantize(ref_kernels(), k.weight, w, n);
    const std::vector<float> af = testing::dequantize(ref_kernels(), T::Q8_K, a, n);
    double m = 0.0;
    for (int64_t ib = 0; ib < n / kQKK; ++ib) {
        const uint8_t* block = w.data() + ib * k.block_bytes;
        double extra[kQKK / 16];  // per 16 elements: 2·dmin·m (Q4_K/Q5_K) or 64·|d·sc| (Q6_K)
        if (k.weight == T::Q6_K) {
            const auto* b = reinterpret_cast<const BlockQ6_K*>(block);
            for (int g = 0; g < kQKK / 16; ++g) {
                extra[g] = 64.0 * std::fabs(fp16_to_fp32(b->d) * b->scales[g]);
            }
        } else {
            const auto* b = reinterpret_cast<const BlockQ4_K*>(block);  // same head as Q5_K
            uint8_t sc[8], mn[8];
            ref::unpack_k_scales(b->scales, sc, mn);
            for (int g = 0; g < kQKK / 16; ++g) {
                extra[g] = 2.0 * std::fabs(fp16_to_fp32(b->dmin) * mn[g / 2]);
            }
        }
        for (int e = 0; e < kQKK; ++e) {
            const size_t i = static_cast<size_t>(ib * kQKK + e);
            m += std::fabs(static_cast<double>(wf[i]) * af[i]) + extra[e / 16] * std::fabs(af[i]);
        }
    }
    return m;
}

// ---- Q8_K quantizer ----

void expect_q8_k_identical(const std::vector<float>& x, const std::string& what) {
    const std::vector<uint8_t> want = ref_q8_k(x);
    const std::vector<uint8_t> got = avx2_q8_k(x);
    ASSERT_EQ(got.size(), want.size());
    for (size_t ib = 0; ib < want.size() / sizeof(BlockQ8_K); ++ib) {
        EXPECT_EQ(std::memcmp(got.data() + ib * sizeof(BlockQ8_K),
                              want.data() + ib * sizeof(BlockQ8_K), sizeof(BlockQ8_K)),
                  0)
            << what << ": block " << ib << " differs";
    }
}

TEST_F(Avx2KQuant, Q8KMatchesRefBytesOnRandomRows) {
    for (const int64_t n_blocks : {1, 2, 3, 17}) {
        for (const float sigma : {1.0f, 3e-3f, 2e4f}) {
            for (uint32_t seed = 1; seed <= 4; ++seed) {
                const std::vector<float> x = random_normal(n_blocks * kQKK, seed, sigma);
                expect_q8_k_identical(x, "blocks " + std::to_string(n_blocks) + " sigma " +
                                             std::to_string(sigma) + " seed " +
                                             std::to_string(seed));
            }
        }
    }
}

// One block per case: zeros, ties, exact halves, extremes, NaN and inf.
std::vector<std::vector<float>> special_q8_k_blocks() {
    const float inf = std::numeric_limits<float>::infinity();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    std::vector<std::vector<float>> blocks;
    const auto add = [&](auto fill) {
        std::vector<float> b = random_normal(kQKK, static_cast<uint32_t>(blocks.size()) + 50);
        fill(b);
        blocks.push_back(b);
    };
    add([](auto& b) { b.assign(kQKK, 0.0f); });
    add([](auto& b) { b.assign(kQKK, -0.0f); });
    add([](auto& b) {  // one non-zero element
        b.assign(kQKK, 0.0f);
        b[200] = -0.25f;
    });
    add([](auto& b) {  // |max| tie: the first (positive) one decides the sign of iscale
        b[10] = 7.0f;
        b[99] = -7.0f;
    });
    add([](auto& b) {  // the same tie, negative first, inside one 8-lane vector
        b[33] = -7.0f;
        b[34] = 7.0f;
    });
    add([](auto& b) {  // max = -127 makes iscale exactly 1: every k + 0.5 is a rounding tie
        for (int j = 0; j < kQKK; ++j) b[j] = static_cast<float>(j % 100 - 50) + 0.5f;
        b[0] = -127.0f;
    });
    add([](auto& b) {  // ties rounding to the cap
        for (float& v : b) v = -126.5f;
        b[255] = -127.0f;
    });
    add([](auto& b) { b[17] = 3e38f; });
    add([](auto& b) {
        for (float& v : b) v *= 1e-30f;
    });
    add([](auto& b) {  // subnormals: iscale overflows, ref stores a zero block
        for (float& v : b) v *= 1e-40f;
    });
    add([](auto& b) {  // iscale ~ 4e38 overflows as well
        for (float& v : b) v *= 1e-37f;
    });
    add([](auto& b) {  // iscale ~ 4e37 is finite; the smallest elements are subnormal
        for (float& v : b) v *= 1e-36f;
    });
    add([&](auto& b) { b[128] = inf; });  // iscale = -127/inf = -0: zero block
    add([&](auto& b) { b[5] = -inf; });
    add([&](auto& b) { b[77] = nan; });  // NaN is skipped for the max and stored as 127
    add([&](auto& b) {  // NaNs after the max in its SIMD lane (whichever accumulator it is)
        b[40] = 50.0f;
        for (const int j : {48, 72, 104, 168}) b[j] = nan;
    });
    add([&](auto& b) {  // NaN as the very last element
        b[100] = -50.0f;
        b[255] = nan;
    });
    add([&](auto& b) { b.assign(kQKK, nan); });
    return blocks;
}

TEST_F(Avx2KQuant, Q8KMatchesRefBytesOnSpecialBlocks) {
    const std::vector<std::vector<float>> blocks = special_q8_k_blocks();
    std::vector<float> row;
    for (size_t i = 0; i < blocks.size(); ++i) {
        expect_q8_k_identical(blocks[i], "special block " + std::to_string(i));
        row.insert(row.end(), blocks[i].begin(), blocks[i].end());
    }
    expect_q8_k_identical(row, "all special blocks in one row");
}

TEST_F(Avx2KQuant, Q8KFillsBsumsAndScaleAsTheFormatSays) {
    const std::vector<float> x = random_normal(2 * kQKK, 9, 5.0f);
    const std::vector<uint8_t> q = avx2_q8_k(x);
    const auto* blocks = reinterpret_cast<const BlockQ8_K*>(q.data());
    for (int ib = 0; ib < 2; ++ib) {
        for (int g = 0; g < kQKK / 16; ++g) {
            int sum = 0;
            for (int l = 0; l < 16; ++l) sum += blocks[ib].qs[16 * g + l];
            EXPECT_EQ(blocks[ib].bsums[g], sum) << "block " << ib << " group " << g;
        }
        // The element of largest |x| is stored as -127 and d brings it back.
        const auto first = x.begin() + ib * kQKK;
        const auto largest = std::max_element(
            first, first + kQKK, [](float u, float v) { return std::fabs(u) < std::fabs(v); });
        EXPECT_EQ(blocks[ib].qs[largest - first], -127);
        EXPECT_NEAR(blocks[ib].d * -127.0f, *largest, 1e-6f * std::fabs(*largest));
    }
}

// ---- dot products ----

struct DotStats {
    double worst = 0.0;  // largest |avx2 - ref| / magnitude seen

    void check(const KType& k, const std::vector<uint8_t>& w, const std::vector<uint8_t>& a,
               int64_t n, const std::string& what) {
        const float want = k.ref_dot(n, w.data(), a.data());
        const float got = k.avx2_dot(n, w.data(), a.data());
        const double m = magnitude(k, w, a, n);
        ASSERT_TRUE(std::isfinite(got)) << what;
        EXPECT_NEAR(got, want, k.rel_tol * m) << what << " magnitude " << m;
        if (m > 0.0) worst = std::max(worst, std::fabs(static_cast<double>(got) - want) / m);
    }
};

void record_worst(const char* key, double worst) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.3g", worst);
    ::testing::Test::RecordProperty(key, text);
}

TEST_P(Avx2KDot, MatchesRefOnQuantizedRows) {
    const KType& k = GetParam();
    DotStats stats;
    for (const int64_t n_blocks : {1, 2, 7, 33}) {
        const int64_t n = n_blocks * kQKK;
        for (uint32_t seed = 1; seed <= 3; ++seed) {
            const std::vector<uint8_t> w = quantized_weights(k.weight, n, seed);
            const std::vector<uint8_t> a = avx2_q8_k(random_normal(n, seed + 100, 3.0f));
            stats.check(k, w, a, n, "blocks " + std::to_string(n_blocks));
        }
    }
    record_worst("worst_rel_to_magnitude", stats.worst);
}

TEST_P(Avx2KDot, MatchesRefOnRandomBits) {
    const KType& k = GetParam();
    DotStats stats;
    for (const int64_t n_blocks : {1, 3, 16, 33}) {
        const int64_t n = n_blocks * kQKK;
        for (uint32_t seed = 1; seed <= 4; ++seed) {
            const std::vector<uint8_t> w = random_weights(k, n, seed);
            // Activations of one sign (seed 4) push the int32 lanes towards their bounds.
            std::vector<float> x = random_normal(n, seed + 200);
            if (seed == 4) {
                for (float& v : x) v = -std::fabs(v);
            }
            stats.check(k, w, avx2_q8_k(x), n, "blocks " + std::to_string(n_blocks));
        }
    }
    record_worst("worst_rel_to_magnitude", stats.worst);
}

TEST_P(Avx2KDot, ZerosGiveExactlyZero) {
    const KType& k = GetParam();
    const int64_t n = 3 * kQKK;
    const std::vector<uint8_t> zero_w(testing::bytes_of_row(k.weight, n), 0);
    const std::vector<uint8_t> zero_a = avx2_q8_k(std::vector<float>(n, 0.0f));
    const std::vector<uint8_t> w = quantized_weights(k.weight, n, 4);
    const std::vector<uint8_t> a = avx2_q8_k(random_normal(n, 5));
    EXPECT_EQ(k.avx2_dot(n, zero_w.data(), a.data()), 0.0f);
    EXPECT_EQ(k.avx2_dot(n, w.data(), zero_a.data()), 0.0f);
    EXPECT_EQ(k.avx2_dot(0, w.data(), a.data()), 0.0f);
}

// A weight super-block with d = dmin = 0 and an activation block stored as zeros contribute
// nothing, in the middle of a row whose other blocks are ordinary.
TEST_P(Avx2KDot, ZeroScaleBlocksContributeNothing) {
    const KType& k = GetParam();
    const int64_t n = 5 * kQKK;
    std::vector<uint8_t> w = random_weights(k, n, 11);
    set_half(w, 1 * k.block_bytes + d_offset(k.weight), 0.0f);
    if (k.weight != T::Q6_K) set_half(w, 1 * k.block_bytes + offsetof(BlockQ4_K, dmin), 0.0f);
    std::vector<float> x = random_normal(n, 12);
    std::fill(x.begin() + 3 * kQKK, x.begin() + 4 * kQKK, 0.0f);
    const std::vector<uint8_t> a = avx2_q8_k(x);
    DotStats stats;
    stats.check(k, w, a, n, "zero-scale blocks 1 (weights) and 3 (activations)");
    // The same row without blocks 1 and 3 gives the same sum up to rounding.
    std::vector<uint8_t> w3, a3;
    for (const int ib : {0, 2, 4}) {
        w3.insert(w3.end(), w.begin() + ib * k.block_bytes, w.begin() + (ib + 1) * k.block_bytes);
        a3.insert(a3.end(), a.begin() + ib * sizeof(BlockQ8_K),
                  a.begin() + (ib + 1) * sizeof(BlockQ8_K));
    }
    const double m = magnitude(k, w, a, n);
    EXPECT_NEAR(k.avx2_dot(n, w.data(), a.data()), k.avx2_dot(3 * kQKK, w3.data(), a3.data()),
                k.rel_tol * m);
}

TEST_P(Avx2KDot, LargeMagnitudes) {
    const KType& k = GetParam();
    const int64_t n = 4 * kQKK;
    // fp16 factors near the top of their range and activations around 1e6.
    const std::vector<uint8_t> w = random_weights(k, n, 21, 1e4f, 6e4f);
    const std::vector<uint8_t> a = avx2_q8_k(random_normal(n, 22, 1e6f));
    DotStats stats;
    stats.check(k, w, a, n, "large");
}

// Every quant and scale code at its extreme and activations at ±127: the int32 lanes reach
// their largest values (and must not wrap or saturate).
TEST_P(Avx2KDot, ExtremeCodes) {
    const KType& k = GetParam();
    const int64_t n = 2 * kQKK;
    for (const uint8_t fill : {uint8_t{0x00}, uint8_t{0xFF}, uint8_t{0x80}}) {
        std::vector<uint8_t> w(testing::bytes_of_row(k.weight, n), fill);
        for (size_t off = 0; off < w.size(); off += k.block_bytes) {
            set_half(w, off + d_offset(k.weight), 0.5f);
            if (k.weight != T::Q6_K) set_half(w, off + offsetof(BlockQ4_K, dmin), 0.25f);
        }
        for (const float sign : {1.0f, -1.0f}) {
            const std::vector<uint8_t> a = avx2_q8_k(std::vector<float>(n, sign));
            DotStats stats;
            stats.check(k, w, a, n,
                        "fill " + std::to_string(fill) + " sign " + std::to_string(sign));
        }
    }
}

// vec_dot_rows equals vec_dot bit for bit for every n_act, with rows packed back to back and
// with a padded stride.
TEST_P(Avx2KDot, RowsMatchVecDotBitForBit) {
    const KType& k = GetParam();
    for (const int64_t n_blocks : {1, 6}) {
        const int64_t n = n_blocks * kQKK;
        const std::vector<uint8_t> w = random_weights(k, n, 31);
        const size_t row_bytes = testing::bytes_of_row(T::Q8_K, n);
        for (const size_t stride : {row_bytes, row_bytes + 3 * sizeof(BlockQ8_K) + 8}) {
            std::vector<uint8_t> acts(stride * kMaxActRows, 0xA5);
            for (int j = 0; j < kMaxActRows; ++j) {
                const std::vector<uint8_t> a =
                    avx2_q8_k(random_normal(n, 40 + static_cast<uint32_t>(j), 2.0f));
                std::memcpy(acts.data() + j * stride, a.data(), row_bytes);
            }
            for (int n_act = 1; n_act <= kMaxActRows; ++n_act) {
                float out[kMaxActRows + 1];
                std::fill(std::begin(out), std::end(out), -1.0f);
                k.avx2_rows(n, w.data(), acts.data(), stride, n_act, out);
                for (int j = 0; j < n_act; ++j) {
                    const float single = k.avx2_dot(n, w.data(), acts.data() + j * stride);
                    EXPECT_EQ(std::memcmp(&out[j], &single, sizeof(float)), 0)
                        << "n " << n << " stride " << stride << " n_act " << n_act << " row " << j
                        << ": " << out[j] << " vs " << single;
                }
                EXPECT_EQ(out[n_act], -1.0f) << "wrote past n_act";
            }
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Avx2, Avx2KDot, ::testing::ValuesIn(kKTypes),
                         [](const auto& param_info) { return type_name(param_info.param.weight); });

// ---- table ----

TEST_F(Avx2KQuant, AddKKernelsOverridesOnlyItsEntries) {
    KernelTable t = ref_kernels();
    avx2::add_k_kernels(t);
    const KernelTable& ref = ref_kernels();
    EXPECT_EQ(t[T::Q8_K].quantize_row, &avx2::quantize_row_q8_k);
    EXPECT_EQ(t[T::Q8_K].dequantize_row, ref[T::Q8_K].dequantize_row);
    EXPECT_EQ(t[T::Q8_K].vec_dot, nullptr);
    for (const KType& k : kKTypes) {
        const TypeKernels& e = t[k.weight];
        EXPECT_EQ(e.vec_dot, k.avx2_dot) << type_name(k.weight);
        EXPECT_EQ(e.vec_dot_rows, k.avx2_rows) << type_name(k.weight);
        EXPECT_TRUE(e.supported);
        EXPECT_EQ(e.vec_dot_type, T::Q8_K);
        EXPECT_EQ(e.quantize_row, ref[k.weight].quantize_row);
        EXPECT_EQ(e.dequantize_row, ref[k.weight].dequantize_row);
        EXPECT_TRUE(can_matmul(t, k.weight));
    }
    for (const T other : {T::F32, T::F16, T::BF16, T::Q4_0, T::Q5_0, T::Q8_0, T::Q4_1, T::Q5_1,
                          T::Q8_1, T::Q2_K, T::Q3_K}) {
        const TypeKernels& e = t[other];
        const TypeKernels& r = ref[other];
        EXPECT_EQ(e.supported, r.supported) << type_name(other);
        EXPECT_EQ(e.vec_dot_type, r.vec_dot_type) << type_name(other);
        EXPECT_EQ(e.quantize_row, r.quantize_row) << type_name(other);
        EXPECT_EQ(e.dequantize_row, r.dequantize_row) << type_name(other);
        EXPECT_EQ(e.vec_dot, r.vec_dot) << type_name(other);
        EXPECT_EQ(e.vec_dot_rows, r.vec_dot_rows) << type_name(other);
    }
}

}  // namespace
}  // namespace glmserve::kernels
