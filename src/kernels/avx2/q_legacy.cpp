// AVX2 kernels for the 32-element block formats (see q_legacy.h for what they guarantee).
//
// Blocks are read and written through byte pointers, offsetof and unaligned loads, never as
// struct lvalues: GGUF rows and activation rows at odd strides need not be 2-aligned.
// Dot products: per block, the weight quants are unpacked to 32 bytes once; per activation row,
// _mm256_maddubs_epi16 multiplies unsigned by signed bytes into int16 pairs and
// _mm256_madd_epi16 widens them to 8 exact int32 partial sums (no saturation: |q_w| <= 128 and
// |q_a| <= 127 give at most 2 * 128 * 127 = 32512 per pair). The signed weight formats use the
// sign trick: |q_w| * (q_a * sign(q_w)) = q_w * q_a. The 8 partial sums are converted to float
// (exact, < 2^24) and accumulated with one FMA per block into a __m256 per row.
// Contraction: g++ fuses a product into a following add (-ffp-contract=fast is its C++
// default, and GCC's intrinsics are plain vector arithmetic) wherever every use of the product
// is an add, and whether it does can depend on inlining, which would break vec_dot_rows'
// bit-identity and the quantizers' match with ref. So no product here feeds only adds: scale
// products are broadcast, quant products go through explicit FMAs, and x * (1/d) in the
// quantizer is also truncated and masked (the tests cover both).
// Thread: pure functions.
#include "kernels/avx2/q_legacy.h"

#include <immintrin.h>

#include <cmath>
#include <cstddef>
#include <cstring>

#include "kernels/quant_blocks.h"

namespace glmserve::kernels::avx2 {

namespace {

// ---- small helpers ----

// An fp16 field at any address, widened exactly (vcvtph2ps).
inline float load_half(const uint8_t* p) {
    uint16_t h = 0;
    std::memcpy(&h, p, sizeof(h));
    return _cvtsh_ss(h);
}

// Round to nearest even, as kernels::fp32_to_fp16 does (it matches vcvtps2ph bit for bit).
inline void store_half(float f, uint8_t* p) {
    const auto h = static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
    std::memcpy(p, &h, sizeof(h));
}

inline __m256i load_32_bytes(const uint8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// Sum of the 8 lanes, in a fixed order (every caller must get the same bits for the same v).
inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline int hsum(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_unpackhi_epi64(s, s));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

inline float hmax(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

// 16 packed bytes -> 32 bytes: low nibbles (elements 0..15), then high nibbles (16..31).
inline __m256i unpack_nibbles(const uint8_t* qs) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
    const __m256i both =
        _mm256_inserti128_si256(_mm256_castsi128_si256(packed), _mm_srli_epi16(packed, 4), 1);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

// The little-endian uint32 qh of a Q5 block -> 32 bytes, byte j = 0xFF when bit j is set.
inline __m256i bits_to_bytes(const uint8_t* qh_bytes) {
    uint32_t qh = 0;
    std::memcpy(&qh, qh_bytes, sizeof(qh));
    // Byte j takes qh byte j / 8 (each 128-bit lane of the broadcast holds all four) ...
    const __m256i spread =
        _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(qh)),
                            _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2,
                                             2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
    // ... and keeps bit j % 8 of it.
    const __m256i bit = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ULL));
    return _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
}

// ---- quantize ----

// std::round (ties away from zero) exactly: trunc(v), plus ±1 where the dropped fraction is at
// least one half. v - trunc(v) is exact for every finite float.
inline __m256 round_half_away(__m256 v) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 frac = _mm256_andnot_ps(sign_mask, _mm256_sub_ps(v, t));
    const __m256 up =
        _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ), _mm256_set1_ps(1.0f));
    return _mm256_add_ps(t, _mm256_or_ps(up, _mm256_and_ps(v, sign_mask)));
}

// ref's inverse_or_zero: 0 for a zero scale or one whose inverse overflows.
inline float inverse_or_zero(float d) {
    if (d == 0.0f) return 0.0f;
    const float id = 1.0f / d;
    return std::isfinite(id) ? id : 0.0f;
}

struct Q8Block {
    float d;     // f32 scale (what s uses); stored as fp16
    __m256i qs;  // 32 int8 quants in element order
    int sum;     // Σ qs
};

// One block of 32 finite floats -> Q8 quants, as ref: d = amax / 127, q = round(x * (1/d)).
inline Q8Block quantize_block_q8(const float* x) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    for (int k = 0; k < 4; ++k) {
        v[k] = _mm256_loadu_ps(x + 8 * k);
        amax = _mm256_max_ps(_mm256_andnot_ps(sign_mask, v[k]), amax);
    }
    Q8Block out{};
    out.d = hmax(amax) / 127.0f;
    const __m256 id = _mm256_set1_ps(inverse_or_zero(out.d));
    __m256i q[4];
    for (int k = 0; k < 4; ++k) {
        q[k] = _mm256_cvtps_epi32(round_half_away(_mm256_mul_ps(v[k], id)));
    }
    out.sum = hsum(_mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3])));
    // Packing works per 128-bit lane, leaving 4-element groups in the order
    // q0[0:4] q1[0:4] q2[0:4] q3[0:4] q0[4:8] q1[4:8] q2[4:8] q3[4:8]; the permute restores it.
    const __m256i packed =
        _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    out.qs = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    return out;
}

// ---- dot products ----

// Per weight format: the block layout, its activation block, and the quants of one block as
// 32 bytes — signed q - offset for the formats without a min, unsigned q for those with one.
struct Q8_0Weights {
    using Block = BlockQ8_0;
    using Act = BlockQ8_0;
    static constexpr bool kHasMin = false;
    static __m256i quants(const uint8_t* b) { return load_32_bytes(b + offsetof(Block, qs)); }
};

struct Q4_0Weights {
    using Block = BlockQ4_0;
    using Act = BlockQ8_0;
    static constexpr bool kHasMin = false;
    static __m256i quants(const uint8_t* b) {
        return _mm256_sub_epi8(unpack_nibbles(b + offsetof(Block, qs)), _mm256_set1_epi8(8));
    }
};

struct Q5_0Weights {
    using Block = BlockQ5_0;
    using Act = BlockQ8_0;
    static constexpr bool kHasMin = false;
    // q - 16 = nibble when bit 4 is set, else nibble - 16, whose int8 bits are nibble | 0xF0.
    static __m256i quants(const uint8_t* b) {
        const __m256i high = bits_to_bytes(b + offsetof(Block, qh));
        return _mm256_or_si256(
            unpack_nibbles(b + offsetof(Block, qs)),
            _mm256_andnot_si256(high, _mm256_set1_epi8(static_cast<char>(0xF0))));
    }
};

struct Q4_1Weights {
    using Block = BlockQ4_1;
    using Act = BlockQ8_1;
    static constexpr bool kHasMin = true;
    static __m256i quants(const uint8_t* b) { return unpack_nibbles(b + offsetof(Block, qs)); }
};

struct Q5_1Weights {
    using Block = BlockQ5_1;
    using Act = BlockQ8_1;
    static constexpr bool kHasMin = true;
    static __m256i quants(const uint8_t* b) {
        const __m256i high = bits_to_bytes(b + offsetof(Block, qh));
        return _mm256_or_si256(unpack_nibbles(b + offsetof(Block, qs)),
                               _mm256_and_si256(high, _mm256_set1_epi8(0x10)));
    }
};

// 8 exact int32 partial sums of unsigned u[j] * signed s[j].
inline __m256i dot_bytes(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// out[j] = Σ_blocks d_w d_a Σ q_w q_a (+ m_w s_a) for NAct activation rows. vec_dot is NAct = 1
// of this same body, so every row's instruction sequence, and result, is the same as vec_dot's.
template <class W, int NAct>
void dot_rows(int64_t n, const uint8_t* w, const uint8_t* a, size_t act_stride, float* out) {
    using Act = typename W::Act;
    __m256 acc[NAct];
    float acc_min[NAct];  // Σ m_w s_a (formats with a min only)
    for (int j = 0; j < NAct; ++j) {
        acc[j] = _mm256_setzero_ps();
        acc_min[j] = 0.0f;
    }
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const uint8_t* wb = w + ib * sizeof(typename W::Block);
        const __m256i q_w = W::quants(wb);
        const float d_w = load_half(wb + offsetof(typename W::Block, d));
        float m_w = 0.0f;
        if constexpr (W::kHasMin) m_w = load_half(wb + offsetof(typename W::Block, m));
#pragma GCC unroll 4
        for (int j = 0; j < NAct; ++j) {
            const uint8_t* ab = a + j * act_stride + ib * sizeof(Act);
            const __m256i q_a = load_32_bytes(ab + offsetof(Act, qs));
            __m256i sums;
            if constexpr (W::kHasMin) {
                sums = dot_bytes(q_w, q_a);  // q_w in 0..31 is already unsigned
                acc_min[j] = std::fma(m_w, load_half(ab + offsetof(Act, s)), acc_min[j]);
            } else {
                sums = dot_bytes(_mm256_sign_epi8(q_w, q_w), _mm256_sign_epi8(q_a, q_w));
            }
            const __m256 d = _mm256_set1_ps(d_w * load_half(ab + offsetof(Act, d)));
            acc[j] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sums), acc[j]);
        }
    }
    for (int j = 0; j < NAct; ++j) out[j] = hsum(acc[j]) + acc_min[j];
}

template <class W>
float vec_dot(int64_t n, const void* w, const void* a) {
    float out = 0.0f;
    dot_rows<W, 1>(n, static_cast<const uint8_t*>(w), static_cast<const uint8_t*>(a), 0, &out);
    return out;
}

// Fixed-count bodies keep the unpacked weight block and the accumulators in registers. More
// than kMaxActRows rows (outside the contract) are done kMaxActRows at a time.
template <class W>
void vec_dot_rows(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                  float* out) {
    const auto* wp = static_cast<const uint8_t*>(w);
    const auto* ap = static_cast<const uint8_t*>(a);
    for (int j0 = 0; j0 < n_act; j0 += kMaxActRows) {
        const uint8_t* a_rows = ap + static_cast<size_t>(j0) * act_stride;
        switch (n_act - j0) {
            case 1: dot_rows<W, 1>(n, wp, a_rows, act_stride, out + j0); break;
            case 2: dot_rows<W, 2>(n, wp, a_rows, act_stride, out + j0); break;
            case 3: dot_rows<W, 3>(n, wp, a_rows, act_stride, out + j0); break;
            default: dot_rows<W, 4>(n, wp, a_rows, act_stride, out + j0); break;
        }
    }
}

}  // namespace

void quantize_row_q8_0(const float* x, void* y, int64_t n) {
    auto* out = static_cast<uint8_t*>(y);
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const Q8Block q = quantize_block_q8(x + ib * kQK);
        uint8_t* b = out + ib * sizeof(BlockQ8_0);
        store_half(q.d, b + offsetof(BlockQ8_0, d));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(b + offsetof(BlockQ8_0, qs)), q.qs);
    }
}

void quantize_row_q8_1(const float* x, void* y, int64_t n) {
    auto* out = static_cast<uint8_t*>(y);
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const Q8Block q = quantize_block_q8(x + ib * kQK);
        uint8_t* b = out + ib * sizeof(BlockQ8_1);
        store_half(q.d, b + offsetof(BlockQ8_1, d));
        // s = d Σq with the f32 d, as ref (the sum is exact, so is its conversion).
        store_half(static_cast<float>(q.sum) * q.d, b + offsetof(BlockQ8_1, s));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(b + offsetof(BlockQ8_1, qs)), q.qs);
    }
}

float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a) {
    return vec_dot<Q8_0Weights>(n, w, a);
}
float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a) {
    return vec_dot<Q4_0Weights>(n, w, a);
}
float vec_dot_q5_0_q8_0(int64_t n, const void* w, const void* a) {
    return vec_dot<Q5_0Weights>(n, w, a);
}
float vec_dot_q4_1_q8_1(int64_t n, const void* w, const void* a) {
    return vec_dot<Q4_1Weights>(n, w, a);
}
float vec_dot_q5_1_q8_1(int64_t n, const void* w, const void* a) {
    return vec_dot<Q5_1Weights>(n, w, a);
}

void vec_dot_rows_q8_0_q8_0(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out) {
    vec_dot_rows<Q8_0Weights>(n, w, a, act_stride, n_act, out);
}
void vec_dot_rows_q4_0_q8_0(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out) {
    vec_dot_rows<Q4_0Weights>(n, w, a, act_stride, n_act, out);
}
void vec_dot_rows_q5_0_q8_0(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out) {
    vec_dot_rows<Q5_0Weights>(n, w, a, act_stride, n_act, out);
}
void vec_dot_rows_q4_1_q8_1(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out) {
    vec_dot_rows<Q4_1Weights>(n, w, a, act_stride, n_act, out);
}
void vec_dot_rows_q5_1_q8_1(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out) {
    vec_dot_rows<Q5_1Weights>(n, w, a, act_stride, n_act, out);
}

void add_legacy_kernels(KernelTable& t) {
    using T = TensorType;
    t[T::Q8_0].quantize_row = quantize_row_q8_0;
    t[T::Q8_1].quantize_row = quantize_row_q8_1;
    const auto set_dot = [&t](T type, VecDotFn dot, VecDotRowsFn rows) {
        t[type].vec_dot = dot;
        t[type].vec_dot_rows = rows;
    };
    set_dot(T::Q8_0, vec_dot_q8_0_q8_0, vec_dot_rows_q8_0_q8_0);
    set_dot(T::Q4_0, vec_dot_q4_0_q8_0, vec_dot_rows_q4_0_q8_0);
    set_dot(T::Q5_0, vec_dot_q5_0_q8_0, vec_dot_rows_q5_0_q8_0);
    set_dot(T::Q4_1, vec_dot_q4_1_q8_1, vec_dot_rows_q4_1_q8_1);
    set_dot(T::Q5_1, vec_dot_q5_1_q8_1, vec_dot_rows_q5_1_q8_1);
}

}  // namespace glmserve::kernels::avx2
