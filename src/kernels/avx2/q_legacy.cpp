// AVX2 kernels for the 32-element block formats (see q_legacy.h for what they guarantee).
//
// Blocks are read and written through byte pointers, offsetof and unaligned loads, never as
// struct lvalues: GGUF rows and activation rows at odd strides need not be 2-aligned.
// Dot products: per block, the weight quants are unpacked to 32 bytes once; per activation row,
// _mm256_maddubs_epi16 multiplies unsigned by signed bytes into int16 pairs and
// _mm256_madd_epi16 widens them to exact int32 partial sums (no saturation: |q_w| <= 128 and
// |q_a| <= 127 give at most 2 * 128 * 127 = 32512 per pair). The signed weight formats use the
// sign trick: |q_w| * (q_a * sign(q_w)) = q_w * q_a. Horizontal adds reduce the partial sums to
// one exact block sum per (row, activation row) lane, which is converted to float (exact,
// < 2^24) and accumulated with one FMA per block (the canonical order below).
// Contraction: g++ fuses a product into a following add (-ffp-contract=fast is its C++
// default, and GCC's intrinsics are plain vector arithmetic) wherever every use of the product
// is an add, and whether it does can depend on inlining, which would break vec_dot_rows'
// bit-identity and the quantizers' match with ref. So no product here feeds only adds: scale
// products are broadcast, quant products go through explicit FMAs, and x * (1/d) in the
// quantizer is also truncated and masked (the tests cover both).
// Thread: pure functions.
#include "kernels/avx2/q_legacy.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
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

// 16 packed bytes -> 32 bytes: low nibbles (elements 0..15), then high nibbles (16..31). The
// broadcast is a load; shifting only the high 128 bits by 4 brings their high nibbles down.
inline __m256i unpack_nibbles(const uint8_t* qs) {
    const __m256i both =
        _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(qs)));
    return _mm256_and_si256(_mm256_srlv_epi64(both, _mm256_setr_epi64x(0, 0, 4, 4)),
                            _mm256_set1_epi8(0x0F));
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

// A Q5 block's raw quants (0..31): the nibbles, plus 16 where the qh bit is set.
inline __m256i five_bit_quants(const uint8_t* qs, const uint8_t* qh) {
    return _mm256_or_si256(unpack_nibbles(qs),
                           _mm256_and_si256(bits_to_bytes(qh), _mm256_set1_epi8(0x10)));
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
//
// The result every dot product here computes, bit for bit (vec_dot, vec_dot_rows and
// vec_dot_tile alike, and the row-interleaved kernels of packed.cpp), for weight row r and
// activation row c: per block, in order,
//   S = the exact int sum of q_w q_a over the block's 32 elements
//   d = d_w * d_a (exact: two fp16 significands fit in a float's)
//   A = fma(d, S, A)    (A starts at +0)
//   formats with a min, then: A = fma(m_w, s_a, A)
// and out = A. (One FMA per block rather than one per half block: the packed kernels then keep
// 4 tokens' sums and accumulators in registers.)
// Each (r, c) owns one float lane of a 128-bit accumulator. With two or more activation rows,
// the activation rows fill the lanes and each weight row has its own accumulator; with one
// activation row (a GEMV), up to four weight rows fill the lanes of one accumulator. The int
// sums are exact in any order and every lane sees the same float operations, so the layouts
// agree bit for bit.

// Per weight format: the block layout, its activation block, and how one block's quants enter
// _mm256_maddubs_epi16 (unsigned bytes times signed activation bytes, adjacent pairs summed to
// int16):
//   kSigned (Q8_0, q in -128..127): maddubs takes |q_w| and the activations with q_w's signs;
//     its pair sums reach 2 * 128 * 127 = 32512, so they are widened to int32 before any other
//     addition.
//   otherwise the raw quants (0..15 or 0..31) are the unsigned operand as they are; q - kOffset
//     (Q4_0, Q5_0) comes from subtracting kOffset * Σ q_a. Pair sums are at most 2 * 31 * 127 =
//     7874, so four of them (8 products: 31496, offset sums 8 * 16 * 127 = 16256) fit an int16.
struct Q8_0Weights {
    using Block = BlockQ8_0;
    using Act = BlockQ8_0;
    static constexpr bool kHasMin = false;
    static constexpr bool kSigned = true;
    static constexpr int kOffset = 0;
    static __m256i quants(const uint8_t* b) { return load_32_bytes(b + offsetof(Block, qs)); }
};

struct Q4_0Weights {
    using Block = BlockQ4_0;
    using Act = BlockQ8_0;
    static constexpr bool kHasMin = false;
    static constexpr bool kSigned = false;
    static constexpr int kOffset = 8;
    static __m256i quants(const uint8_t* b) { return unpack_nibbles(b + offsetof(Block, qs)); }
};

struct Q5_0Weights {
    using Block = BlockQ5_0;
    using Act = BlockQ8_0;
    static constexpr bool kHasMin = false;
    static constexpr bool kSigned = false;
    static constexpr int kOffset = 16;
    static __m256i quants(const uint8_t* b) {
        return five_bit_quants(b + offsetof(Block, qs), b + offsetof(Block, qh));
    }
};

struct Q4_1Weights {
    using Block = BlockQ4_1;
    using Act = BlockQ8_1;
    static constexpr bool kHasMin = true;
    static constexpr bool kSigned = false;
    static constexpr int kOffset = 0;
    static __m256i quants(const uint8_t* b) { return unpack_nibbles(b + offsetof(Block, qs)); }
};

struct Q5_1Weights {
    using Block = BlockQ5_1;
    using Act = BlockQ8_1;
    static constexpr bool kHasMin = true;
    static constexpr bool kSigned = false;
    static constexpr int kOffset = 0;
    static __m256i quants(const uint8_t* b) {
        return five_bit_quants(b + offsetof(Block, qs), b + offsetof(Block, qh));
    }
};

// One weight block as maddubs operands: the unsigned bytes, and (kSigned) the quants whose
// signs go onto the activations.
struct WeightQuants {
    __m256i u;
    __m256i sign;
};

template <class W>
inline WeightQuants weight_quants(const uint8_t* block) {
    const __m256i q = W::quants(block);
    if constexpr (W::kSigned) return {_mm256_sign_epi8(q, q), q};
    return {q, q};
}

// The 16 int16 pair sums q_w[2k] q_a[2k] + q_w[2k+1] q_a[2k+1] (before the kOffset correction).
template <class W>
inline __m256i pair_sums(const WeightQuants& w, __m256i q_a) {
    if constexpr (W::kSigned) return _mm256_maddubs_epi16(w.u, _mm256_sign_epi8(q_a, w.sign));
    return _mm256_maddubs_epi16(w.u, q_a);
}

// Four vectors -> per 128-bit half [v0 v1 v2 v3], each the sum of its own vector's elements in
// that half: hadd keeps the halves apart, so that lane i sums elements 0..15 of item i in the
// low half and elements 16..31 in the high half.
inline __m256i hadd4_epi16(const __m256i (&v)[4]) {
    return _mm256_hadd_epi16(_mm256_hadd_epi16(v[0], v[1]), _mm256_hadd_epi16(v[2], v[3]));
}

inline __m256i hadd4_epi32(const __m256i (&v)[4]) {
    return _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
}

// For kOffset formats: hadd4_epi16 of kOffset * (pair sums of q_a), per item's activations.
template <class W>
inline __m256i offset_sums(const __m256i (&q_a)[4]) {
    if constexpr (W::kOffset == 0) {
        return _mm256_setzero_si256();
    } else {
        const __m256i offset = _mm256_set1_epi8(W::kOffset);
        const __m256i m[4] = {
            _mm256_maddubs_epi16(offset, q_a[0]), _mm256_maddubs_epi16(offset, q_a[1]),
            _mm256_maddubs_epi16(offset, q_a[2]), _mm256_maddubs_epi16(offset, q_a[3])};
        return hadd4_epi16(m);
    }
}

// Pair sums of four (weight, activation) items -> int32 [S(0) S(1) S(2) S(3)], each item's
// exact block sum (see the traits): hadd leaves the sums of elements 0..15 in the low 128-bit
// half and those of 16..31 in the high one, added last.
template <class W>
inline __m128i item_sums(const __m256i (&p)[4], __m256i offsets) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i halves;
    if constexpr (W::kSigned) {
        const __m256i wide[4] = {_mm256_madd_epi16(p[0], ones), _mm256_madd_epi16(p[1], ones),
                                 _mm256_madd_epi16(p[2], ones), _mm256_madd_epi16(p[3], ones)};
        halves = hadd4_epi32(wide);
    } else {
        __m256i h = hadd4_epi16(p);
        if constexpr (W::kOffset != 0) h = _mm256_sub_epi16(h, offsets);
        halves = _mm256_madd_epi16(h, ones);
    }
    return _mm_add_epi32(_mm256_castsi256_si128(halves), _mm256_extracti128_si256(halves, 1));
}

// The fp16 fields at p, p + stride, ... (N <= 4 of them) as floats in lanes 0..N-1 (lanes N..3
// are 0): one conversion for all of them.
template <int N>
inline __m128 load_halves(const uint8_t* p, size_t stride) {
    uint64_t bits = 0;
#pragma GCC unroll 4
    for (int i = 0; i < N; ++i) {
        uint16_t h = 0;
        std::memcpy(&h, p + static_cast<size_t>(i) * stride, sizeof(h));
        bits |= uint64_t{h} << (16 * i);
    }
    return _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(bits)));
}

// One block's step of the canonical sums for every lane: acc += d * S, then m_w * s_a.
template <class W>
inline __m128 accumulate(__m128 acc, __m128 d, __m128i sums, __m128 m_w, __m128 s_a) {
    acc = _mm_fmadd_ps(d, _mm_cvtepi32_ps(sums), acc);
    if constexpr (W::kHasMin) acc = _mm_fmadd_ps(m_w, s_a, acc);
    return acc;
}

// Blocks ahead of the current one that the GEMV body asks the caches for: far enough to cover
// memory latency at its rate, near enough to stay in the rows it reads.
constexpr int64_t kPrefetchBlocks = 16;

// R weight rows against one activation row (GEMV): the rows fill the lanes of one accumulator.
template <class W, int R>
void dot_rows_in_lanes(int64_t n, const uint8_t* w, size_t w_stride, const uint8_t* a, float* out,
                       size_t out_stride) {
    using Block = typename W::Block;
    using Act = typename W::Act;
    __m128 acc = _mm_setzero_ps();
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const uint8_t* ab = a + ib * sizeof(Act);
        const uint8_t* wb = w + ib * sizeof(Block);
        const __m256i q_a = load_32_bytes(ab + offsetof(Act, qs));
        const __m256i q_a4[4] = {q_a, q_a, q_a, q_a};
        __m256i p[4];
#pragma GCC unroll 4
        for (int r = 0; r < 4; ++r) {
            const uint8_t* row = wb + static_cast<size_t>(r) * w_stride;
            if (r < R) {
                _mm_prefetch(reinterpret_cast<const char*>(row + kPrefetchBlocks * sizeof(Block)),
                             _MM_HINT_T0);
                p[r] = pair_sums<W>(weight_quants<W>(row), q_a);
            } else {
                p[r] = p[R - 1];  // ignored lanes
            }
        }
        const __m128 d = _mm_mul_ps(load_halves<R>(wb + offsetof(Block, d), w_stride),
                                    _mm_set1_ps(load_half(ab + offsetof(Act, d))));
        __m128 m_w = _mm_setzero_ps();
        __m128 s_a = _mm_setzero_ps();
        if constexpr (W::kHasMin) {
            m_w = load_halves<R>(wb + offsetof(Block, m), w_stride);
            s_a = _mm_set1_ps(load_half(ab + offsetof(Act, s)));
        }
        acc = accumulate<W>(acc, d, item_sums<W>(p, offset_sums<W>(q_a4)), m_w, s_a);
    }
    alignas(16) float res[4];
    _mm_store_ps(res, acc);
    for (int r = 0; r < R; ++r) out[static_cast<size_t>(r) * out_stride] = res[r];
}

// R weight rows against C >= 2 activation rows: the activation rows fill the lanes, one
// accumulator per weight row; each weight block is unpacked once for all C.
template <class W, int R, int C>
void dot_acts_in_lanes(int64_t n, const uint8_t* w, size_t w_stride, const uint8_t* a,
                       size_t a_stride, float* out, size_t out_stride) {
    using Block = typename W::Block;
    using Act = typename W::Act;
    __m128 acc[R];
    for (__m128& v : acc) v = _mm_setzero_ps();
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const uint8_t* ab = a + ib * sizeof(Act);
        __m256i q_a[4];
#pragma GCC unroll 4
        for (int c = 0; c < 4; ++c) {
            q_a[c] = c < C
                         ? load_32_bytes(ab + static_cast<size_t>(c) * a_stride + offsetof(Act, qs))
                         : q_a[C - 1];  // ignored lanes
        }
        const __m256i offsets = offset_sums<W>(q_a);
        const __m128 d_a = load_halves<C>(ab + offsetof(Act, d), a_stride);
        __m128 s_a = _mm_setzero_ps();
        if constexpr (W::kHasMin) s_a = load_halves<C>(ab + offsetof(Act, s), a_stride);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
            const uint8_t* wb = w + static_cast<size_t>(r) * w_stride + ib * sizeof(Block);
            const WeightQuants q_w = weight_quants<W>(wb);
            __m256i p[4];
#pragma GCC unroll 4
            for (int c = 0; c < 4; ++c) p[c] = c < C ? pair_sums<W>(q_w, q_a[c]) : p[C - 1];
            const __m128 d = _mm_mul_ps(_mm_set1_ps(load_half(wb + offsetof(Block, d))), d_a);
            __m128 m_w = _mm_setzero_ps();
            if constexpr (W::kHasMin) m_w = _mm_set1_ps(load_half(wb + offsetof(Block, m)));
            acc[r] = accumulate<W>(acc[r], d, item_sums<W>(p, offsets), m_w, s_a);
        }
    }
    for (int r = 0; r < R; ++r) {
        float* dst = out + static_cast<size_t>(r) * out_stride;
        if constexpr (C == 4) {
            _mm_storeu_ps(dst, acc[r]);
        } else {
            alignas(16) float res[4];
            _mm_store_ps(res, acc[r]);
            for (int c = 0; c < C; ++c) dst[c] = res[c];
        }
    }
}

// An R x C tile body; the lane layout is chosen by C (see the top of this section).
using TileBody = void (*)(int64_t n, const uint8_t* w, size_t w_stride, const uint8_t* a,
                          size_t a_stride, float* out, size_t out_stride);

template <class W, int R, int C>
void dot_tile(int64_t n, const uint8_t* w, size_t w_stride, const uint8_t* a, size_t a_stride,
              float* out, size_t out_stride) {
    if constexpr (C == 1) {
        dot_rows_in_lanes<W, R>(n, w, w_stride, a, out, out_stride);
    } else {
        dot_acts_in_lanes<W, R, C>(n, w, w_stride, a, a_stride, out, out_stride);
    }
}

static_assert(kMaxWeightRows == 4 && kMaxActRows == 4, "the bodies below are 1..4 x 1..4");

template <class W, int R>
constexpr std::array<TileBody, 4> kTileRow = {dot_tile<W, R, 1>, dot_tile<W, R, 2>,
                                              dot_tile<W, R, 3>, dot_tile<W, R, 4>};

// kTileBodies<W>[R - 1][C - 1]
template <class W>
constexpr std::array<std::array<TileBody, 4>, 4> kTileBodies = {kTileRow<W, 1>, kTileRow<W, 2>,
                                                                kTileRow<W, 3>, kTileRow<W, 4>};

// Fixed-size bodies keep the unpacked weight blocks and the accumulators in registers. Larger
// counts (outside the contract) are done kMaxWeightRows x kMaxActRows at a time.
template <class W>
void vec_dot_tile(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                  size_t a_stride, int n_act, float* out, size_t out_stride) {
    const auto* wp = static_cast<const uint8_t*>(w);
    const auto* ap = static_cast<const uint8_t*>(a);
    for (int r0 = 0; r0 < n_w; r0 += kMaxWeightRows) {
        const int rows = std::min(kMaxWeightRows, n_w - r0);
        for (int c0 = 0; c0 < n_act; c0 += kMaxActRows) {
            const int cols = std::min(kMaxActRows, n_act - c0);
            kTileBodies<W>[rows - 1][cols - 1](n, wp + static_cast<size_t>(r0) * w_stride, w_stride,
                                               ap + static_cast<size_t>(c0) * a_stride, a_stride,
                                               out + static_cast<size_t>(r0) * out_stride + c0,
                                               out_stride);
        }
    }
}

template <class W>
float vec_dot(int64_t n, const void* w, const void* a) {
    float out = 0.0f;
    dot_tile<W, 1, 1>(n, static_cast<const uint8_t*>(w), 0, static_cast<const uint8_t*>(a), 0, &out,
                      1);
    return out;
}

template <class W>
void vec_dot_rows(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                  float* out) {
    vec_dot_tile<W>(n, w, 0, 1, a, act_stride, n_act, out, 0);
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

void vec_dot_tile_q8_0_q8_0(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                            size_t act_stride, int n_act, float* out, size_t out_stride) {
    vec_dot_tile<Q8_0Weights>(n, w, w_stride, n_w, a, act_stride, n_act, out, out_stride);
}
void vec_dot_tile_q4_0_q8_0(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                            size_t act_stride, int n_act, float* out, size_t out_stride) {
    vec_dot_tile<Q4_0Weights>(n, w, w_stride, n_w, a, act_stride, n_act, out, out_stride);
}
void vec_dot_tile_q5_0_q8_0(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                            size_t act_stride, int n_act, float* out, size_t out_stride) {
    vec_dot_tile<Q5_0Weights>(n, w, w_stride, n_w, a, act_stride, n_act, out, out_stride);
}
void vec_dot_tile_q4_1_q8_1(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                            size_t act_stride, int n_act, float* out, size_t out_stride) {
    vec_dot_tile<Q4_1Weights>(n, w, w_stride, n_w, a, act_stride, n_act, out, out_stride);
}
void vec_dot_tile_q5_1_q8_1(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                            size_t act_stride, int n_act, float* out, size_t out_stride) {
    vec_dot_tile<Q5_1Weights>(n, w, w_stride, n_w, a, act_stride, n_act, out, out_stride);
}

void add_legacy_kernels(KernelTable& t) {
    using T = TensorType;
    t[T::Q8_0].quantize_row = quantize_row_q8_0;
    t[T::Q8_1].quantize_row = quantize_row_q8_1;
    const auto set_dot = [&t](T type, VecDotFn dot, VecDotRowsFn rows, VecDotTileFn tile) {
        t[type].vec_dot = dot;
        t[type].vec_dot_rows = rows;
        t[type].vec_dot_tile = tile;
    };
    set_dot(T::Q8_0, vec_dot_q8_0_q8_0, vec_dot_rows_q8_0_q8_0, vec_dot_tile_q8_0_q8_0);
    set_dot(T::Q4_0, vec_dot_q4_0_q8_0, vec_dot_rows_q4_0_q8_0, vec_dot_tile_q4_0_q8_0);
    set_dot(T::Q5_0, vec_dot_q5_0_q8_0, vec_dot_rows_q5_0_q8_0, vec_dot_tile_q5_0_q8_0);
    set_dot(T::Q4_1, vec_dot_q4_1_q8_1, vec_dot_rows_q4_1_q8_1, vec_dot_tile_q4_1_q8_1);
    set_dot(T::Q5_1, vec_dot_q5_1_q8_1, vec_dot_rows_q5_1_q8_1, vec_dot_tile_q5_1_q8_1);
}

}  // namespace glmserve::kernels::avx2
