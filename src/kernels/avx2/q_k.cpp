// AVX2 K-quant kernels (see q_k.h for the contracts against kernels/ref/q_k.cpp).
//
// Shapes: a row of n elements (n a multiple of 256) is n/256 super-blocks; activations are
// BlockQ8_K rows of the same length. A tile is n_w weight rows × n_act activation rows.
//
// Dot products, per super-block and (weight row, activation row) pair:
//   1. Integer part, exact: maddubs multiplies unsigned weight quants by signed activation
//      quants in adjacent pairs (int16, never saturating: 2·63·127 < 2^15), madd applies the
//      sub-block scale (int16) and widens to int32, 8 int32 lanes per pair. Q6_K keeps its
//      quants unsigned (0..63) and takes the "- 32" back through the bsums:
//      Σ sc·(q-32)·a = Σ sc·q·a - 32·Σ sc·bsum, the same integer for every Q8_K block whose
//      bsums are its group sums (all our quantizer makes). Q4_K/Q5_K's min term
//      Σ m_k·(bsums[2k] + bsums[2k+1]) is another madd. Integer sums are exact, so their order
//      is free.
//   2. hadds fold the 8 lanes of four pairs into one int32 lane each (isum, msum), and the float
//      step runs lane-wise exactly as ref's scalar code: acc += (d·d_a)·isum - (dmin·d_a)·msum
//      (Q6_K: acc += (d·d_a)·isum), one super-block after the other from acc = 0. Every result
//      is therefore ref's bit for bit, whatever the tile shape: vec_dot, vec_dot_rows and
//      vec_dot_tile agree with each other and with ref (q_k_test checks both). Every float step
//      is an explicit multiply, add or subtract (the file is built with -ffp-contract=off, and
//      ref has no FMA to fuse with).
// Register blocking: a tile's pairs go in groups of four lanes of one xmm accumulator. With one
// token (decode's GEMV) a group is four weight rows; with two, two rows × two tokens; with three
// or four, one row × the tokens. Each weight super-block's scales, mins and quants are decoded
// once for all tokens of its group, and each activation super-block's d and bsum pairs once for
// every row of the tile; the activation quants are re-read from L1 by each row (as maddubs
// memory operands), which keeps the live integer accumulators at four (≤ 16 ymm in all).
// Thread: pure functions.
#include "kernels/avx2/q_k.h"

#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "kernels/quant_blocks.h"

namespace glmserve::kernels::avx2 {

namespace {

// The helpers below are forced inline so that each tile shape keeps its accumulators in
// registers and its fixed-count loops unrolled with constant shuffle masks and shifts.
[[gnu::always_inline]] inline __m256i load32(const void* p) {
    return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

// The pshufb control word that copies int16 word w (0..7) of a 128-bit half: bytes 2w, 2w+1.
constexpr int16_t word_pick(int w) {
    return static_cast<int16_t>(0x0100 + 0x0202 * w);
}

// Word word_lo (0..7) of v's low 128-bit half broadcast across that half, word_hi of the high
// half across the high half (int16 words).
[[gnu::always_inline]] inline __m256i broadcast_word(__m256i v, int word_lo, int word_hi) {
    return _mm256_shuffle_epi8(v, _mm256_set_m128i(_mm_set1_epi16(word_pick(word_hi)),
                                                   _mm_set1_epi16(word_pick(word_lo))));
}

// Σ over 32 bytes of q_w·q_a·scale into 8 int32 lanes (lane i: bytes 4i..4i+3).
// q_w: 0..63 unsigned; a: signed activation quants; scale: int16 per word.
[[gnu::always_inline]] inline __m256i scaled_dot32(__m256i q_w, const int8_t* a, __m256i scale) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(q_w, load32(a)), scale);
}

// ---- Q8_K activations ----

// Largest |x| over a 256-element block. NaNs are skipped, as ref's `fabs(x) > amax` skips
// them: max_ps returns its second operand (the running max) when either one is NaN.
float block_amax(const float* x) {
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    __m256 m[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                   _mm256_setzero_ps()};
    for (int i = 0; i < kQKK; i += 32) {
#pragma GCC unroll 8
        for (int k = 0; k < 4; ++k) {
            const __m256 v = _mm256_and_ps(_mm256_loadu_ps(x + i + 8 * k), abs_mask);
            m[k] = _mm256_max_ps(v, m[k]);
        }
    }
    // No NaN is left, so the order of the remaining maxima does not matter.
    const __m256 m8 = _mm256_max_ps(_mm256_max_ps(m[0], m[1]), _mm256_max_ps(m[2], m[3]));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m8), _mm256_extractf128_ps(m8, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

// Index of the first element with |x| == amax (ref keeps the first on ties); amax is the
// magnitude of some element of the block.
int first_index_of_magnitude(const float* x, float amax) {
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    const __m256 target = _mm256_set1_ps(amax);
    for (int i = 0; i < kQKK; i += 8) {
        const __m256 v = _mm256_and_ps(_mm256_loadu_ps(x + i), abs_mask);
        const auto hits =
            static_cast<unsigned>(_mm256_movemask_ps(_mm256_cmp_ps(v, target, _CMP_EQ_OQ)));
        if (hits != 0) return i + std::countr_zero(hits);
    }
    return 0;
}

// bsums[g] = Σ qs[16g .. 16g+15] for the 16 groups of a filled block.
void store_bsums(BlockQ8_K& b) {
    const __m256i ones8 = _mm256_set1_epi8(1);
    const __m256i ones16 = _mm256_set1_epi16(1);
    // quads[v] lane i: Σ of bytes 32v + 4i .. 32v + 4i + 3 (groups 2v in the low half, 2v+1 high).
    __m256i quads[8];
#pragma GCC unroll 8
    for (int v = 0; v < 8; ++v) {
        quads[v] = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, load32(b.qs + 32 * v)), ones16);
    }
    // Two rounds of hadd leave [g0 g2 g4 g6 | g1 g3 g5 g7] (+8 for the second four vectors);
    // the permutes put the groups in order and the int16 halves back together.
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    const __m256i g_lo =
        _mm256_permutevar8x32_epi32(_mm256_hadd_epi32(_mm256_hadd_epi32(quads[0], quads[1]),
                                                      _mm256_hadd_epi32(quads[2], quads[3])),
                                    order);
    const __m256i g_hi =
        _mm256_permutevar8x32_epi32(_mm256_hadd_epi32(_mm256_hadd_epi32(quads[4], quads[5]),
                                                      _mm256_hadd_epi32(quads[6], quads[7])),
                                    order);
    // |group sum| <= 16·127: packs does not saturate.
    const __m256i sums16 =
        _mm256_permute4x64_epi64(_mm256_packs_epi32(g_lo, g_hi), _MM_SHUFFLE(3, 1, 2, 0));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(b.bsums), sums16);
}

// One super-block, as ref: max = the first element of largest |x|, iscale = -127/max,
// q = round-half-even(iscale·x) capped at 127 (NaN -> 127, as std::min(127.0f, NaN)),
// d = 1/iscale; a zero block (or one whose iscale overflows) is all zeros.
void quantize_block_q8_k(const float* x, BlockQ8_K& b) {
    const float amax = block_amax(x);
    if (amax == 0.0f) {
        b = BlockQ8_K{};
        return;
    }
    const float max = x[first_index_of_magnitude(x, amax)];
    const float iscale = -127.0f / max;
    if (!std::isfinite(iscale) || iscale == 0.0f) {
        b = BlockQ8_K{};
        return;
    }
    const __m256 vscale = _mm256_set1_ps(iscale);
    const __m256 cap = _mm256_set1_ps(127.0f);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (int i = 0; i < kQKK; i += 32) {
        __m256i q[4];
#pragma GCC unroll 8
        for (int k = 0; k < 4; ++k) {
            const __m256 scaled = _mm256_mul_ps(vscale, _mm256_loadu_ps(x + i + 8 * k));
            const __m256 rounded =
                _mm256_round_ps(scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            q[k] = _mm256_cvtps_epi32(_mm256_min_ps(rounded, cap));
        }
        // Values are in -127..127, so the saturating packs are exact; packing interleaves
        // 4-byte groups across the 128-bit halves, which `order` undoes.
        const __m256i bytes =
            _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(b.qs + i),
                            _mm256_permutevar8x32_epi32(bytes, order));
    }
    b.d = 1.0f / iscale;
    store_bsums(b);
}

// ---- dot products ----

// One vec_dot_tile call with at most kMaxWeightRows × kMaxActRows pairs.
struct Tile {
    int64_t n = 0;
    const uint8_t* w = nullptr;  // n_w rows, w_stride bytes apart
    size_t w_stride = 0;
    int n_w = 0;
    const uint8_t* a = nullptr;  // the activation rows, act_stride bytes apart
    size_t act_stride = 0;
    float* out = nullptr;  // out[r * out_stride + j]
    size_t out_stride = 0;
};

const BlockQ8_K* act_row(const uint8_t* a, size_t act_stride, int j) {
    return reinterpret_cast<const BlockQ8_K*>(a + act_stride * static_cast<size_t>(j));
}

// ---- pair lanes ----
// A group of a tile with NA tokens holds up to kGroupRows<NA> weight rows; lane p (0..3) of its
// accumulator is the pair (row_of_lane(p), token_of_lane(p)). Lanes without a real pair (rows
// past the tile's last, or lane 3 when NA = 3) are idle: they compute a copy of a real lane's
// float step (clamped below) on zero integer sums and are never stored.

template <int NA>
inline constexpr int kGroupRows = NA == 1 ? 4 : (NA == 2 ? 2 : 1);

template <int NA>
constexpr int row_of_lane(int p) {
    return NA == 1 ? p : (NA == 2 ? p / 2 : 0);
}

template <int NA>
constexpr int token_of_lane(int p) {
    return NA == 1 ? 0 : (NA == 2 ? p % 2 : p);
}

template <int NA>
constexpr int lane_of_pair(int row, int token) {
    return NA == 1 ? row : (NA == 2 ? 2 * row + token : token);
}

// The real row (of RG) and token whose data an idle lane copies.
template <int NA, int RG>
constexpr int data_row_of_lane(int p) {
    return std::min(row_of_lane<NA>(p), RG - 1);
}

template <int NA>
constexpr int data_token_of_lane(int p) {
    return std::min(token_of_lane<NA>(p), NA - 1);
}

// ---- activation side, shared by every row of the tile ----

template <int NA>
struct ActBlocks {
    const BlockQ8_K* blocks[NA];  // super-block ib of each activation row
    __m256 d2;                    // lanes p and p + 4: d of token_of_lane(p)
    // Q4_K/Q5_K min term, for lanes (0, 1) and (2, 3): int16 words
    // [Σ_k0..3 of lane p's token, Σ_k0..3 of lane p+1's | Σ_k4..7 of p, Σ_k4..7 of p+1], where
    // Σ_k = bsums[2k] + bsums[2k+1] is the sum of sub-block k (|Σ_k| <= 32·127: packs is exact).
    __m256i sub_sums[2];
};

template <int NA, bool kSubSums>
[[gnu::always_inline]] inline ActBlocks<NA> act_blocks(const BlockQ8_K* const* rows, int64_t ib) {
    ActBlocks<NA> ab;
#pragma GCC unroll 4
    for (int j = 0; j < NA; ++j) ab.blocks[j] = rows[j] + ib;
    const auto d = [&](int p) { return ab.blocks[data_token_of_lane<NA>(p)]->d; };
    const __m128 d4 = _mm_setr_ps(d(0), d(1), d(2), d(3));
    ab.d2 = _mm256_set_m128(d4, d4);
    if constexpr (kSubSums) {
        __m256i sums[NA];  // int32 lanes: Σ_k0..3 | Σ_k4..7
#pragma GCC unroll 4
        for (int j = 0; j < NA; ++j) {
            sums[j] = _mm256_madd_epi16(load32(ab.blocks[j]->bsums), _mm256_set1_epi16(1));
        }
#pragma GCC unroll 2
        for (int h = 0; h < 2; ++h) {
            ab.sub_sums[h] = _mm256_packs_epi32(sums[data_token_of_lane<NA>(2 * h)],
                                                sums[data_token_of_lane<NA>(2 * h + 1)]);
        }
    }
    return ab;
}

// ---- float step ----

// [lanes 0-3 of each of v[0..3] summed | lanes 4-7 summed]: lane p of each half belongs to v[p].
[[gnu::always_inline]] inline __m256i fold4(const __m256i* v) {
    return _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
}

// Q4_K/Q5_K, lane-wise as ref's dot_k_superblock and its running sum:
// acc += (d·d_a)·isum - (dmin·d_a)·msum. dd: [d lanes | dmin lanes].
[[gnu::always_inline]] inline void finish_k(const __m256i* sumi, __m256i min_halves, __m256 dd,
                                            __m256 d2, __m128& acc) {
    const __m256i isum_halves = fold4(sumi);
    const __m256i sums =  // [isum lanes | msum lanes]
        _mm256_add_epi32(_mm256_permute2x128_si256(isum_halves, min_halves, 0x20),
                         _mm256_permute2x128_si256(isum_halves, min_halves, 0x31));
    const __m256 terms = _mm256_mul_ps(_mm256_mul_ps(dd, d2), _mm256_cvtepi32_ps(sums));
    acc =
        _mm_add_ps(acc, _mm_sub_ps(_mm256_castps256_ps128(terms), _mm256_extractf128_ps(terms, 1)));
}

// ---- Q4_K / Q5_K ----

// Scales and mins of one super-block as int16 words, decoded from the 12 packed bytes (layout
// in ref/q_k.cpp): bytes 0-3 hold sc_0..3 (and bits 4-5 of sc_4..7 on top), 4-7 the same for
// the mins, 8-11 the low nibbles of sc_4..7 and m_4..7.
struct KScales {
    __m256i scales;  // sc_0..sc_7 in each 128-bit half
    __m256i mins;    // m_0..m_3 twice | m_4..m_7 twice: pairs with ActBlocks::sub_sums
};

[[gnu::always_inline]] inline KScales decode_k_scales(const uint8_t* packed) {
    // 16 bytes: the 4 after the scales belong to the same block (its qh or qs) and are unused.
    const __m128i u = _mm_loadu_si128(reinterpret_cast<const __m128i*>(packed));
    const __m128i x = _mm_shuffle_epi32(u, _MM_SHUFFLE(2, 1, 2, 0));  // u0 u2 u1 u2 (dwords)
    const __m128i y = _mm_shuffle_epi32(u, _MM_SHUFFLE(1, 1, 0, 0));  // u0 u0 u1 u1
    // Per byte: sc_0..3 = u0 & 63, sc_4..7 = (u2 & 15) | (u0 >> 6) << 4, m_0..3 = u1 & 63,
    // m_4..7 = (u2 >> 4) | (u1 >> 6) << 4 (the masks drop bits the dword shifts bring over).
    const __m128i low =
        _mm_and_si128(_mm_srlv_epi32(x, _mm_setr_epi32(0, 0, 0, 4)),
                      _mm_setr_epi32(0x3F3F3F3F, 0x0F0F0F0F, 0x3F3F3F3F, 0x0F0F0F0F));
    const __m128i high =
        _mm_and_si128(_mm_srli_epi32(y, 2), _mm_setr_epi32(0, 0x30303030, 0, 0x30303030));
    const __m256i words = _mm256_cvtepu8_epi16(_mm_or_si128(low, high));  // sc_0..7 | m_0..7
    return KScales{_mm256_permute4x64_epi64(words, _MM_SHUFFLE(1, 0, 1, 0)),
                   _mm256_permute4x64_epi64(words, _MM_SHUFFLE(3, 3, 2, 2))};
}

// Chunk c (64 elements, sub-blocks 2c and 2c+1): quants of elements 64c..64c+31 in q_lo and of
// the next 32 in q_hi.
[[gnu::always_inline]] inline void q4_k_quants(const BlockQ4_K& b, int c, __m256i& q_lo,
                                               __m256i& q_hi) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    const __m256i bits = load32(b.qs + 32 * c);
    q_lo = _mm256_and_si256(bits, low4);
    q_hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), low4);
}

[[gnu::always_inline]] inline void q5_k_quants(const BlockQ5_K& b, int c, __m256i& q_lo,
                                               __m256i& q_hi) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    const __m256i bit4 = _mm256_set1_epi8(0x10);
    const __m256i high_bits = load32(b.qh);
    // Bit 2c of qh[l] is bit 4 of element 64c + l, bit 2c+1 that of element 64c + 32 + l;
    // shifting qh left by 4 - 2c (or right by 2c - 4) brings that bit to bit 4 of its own byte,
    // and the mask drops what the 16-bit shift carried over from the neighbouring byte.
    const auto bit_to_4 = [&](int bit) {
        const __m256i moved = bit <= 4 ? _mm256_slli_epi16(high_bits, 4 - bit)
                                       : _mm256_srli_epi16(high_bits, bit - 4);
        return _mm256_and_si256(moved, bit4);
    };
    const __m256i bits = load32(b.qs + 32 * c);
    q_lo = _mm256_or_si256(_mm256_and_si256(bits, low4), bit_to_4(2 * c));
    q_hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 4), low4), bit_to_4(2 * c + 1));
}

// Mins for the lane pair (p, p + 1): words 0-3 and 8-11 from lane p's row, 4-7 and 12-15 from
// lane p+1's (dwords 2, 3, 6, 7: blend mask 0xCC).
template <int NA, int RG>
[[gnu::always_inline]] inline __m256i lane_pair_mins(const __m256i* mins, int p) {
    const int ra = data_row_of_lane<NA, RG>(p);
    const int rb = data_row_of_lane<NA, RG>(p + 1);
    return ra == rb ? mins[ra] : _mm256_blend_epi32(mins[ra], mins[rb], 0xCC);
}

// [d of each lane's row | dmin of each lane's row] from the fp16 pair at the start of each
// Q4_K/Q5_K block.
template <int NA, int RG, typename Block>
[[gnu::always_inline]] inline __m256 d_dmin_lanes(const Block* const* wb) {
    static_assert(offsetof(Block, d) == 0 && offsetof(Block, dmin) == 2);
    int32_t pair[4] = {0, 0, 0, 0};  // row r: d in word 2r, dmin in word 2r + 1
#pragma GCC unroll 4
    for (int r = 0; r < RG; ++r) std::memcpy(&pair[r], wb[r], sizeof(int32_t));
    const auto d_word = [](int p) { return word_pick(2 * data_row_of_lane<NA, RG>(p)); };
    const auto m_word = [](int p) { return word_pick(2 * data_row_of_lane<NA, RG>(p) + 1); };
    const __m128i order = _mm_setr_epi16(d_word(0), d_word(1), d_word(2), d_word(3), m_word(0),
                                         m_word(1), m_word(2), m_word(3));
    return _mm256_cvtph_ps(
        _mm_shuffle_epi8(_mm_setr_epi32(pair[0], pair[1], pair[2], pair[3]), order));
}

// Adds one super-block of a group of RG Q4_K/Q5_K rows (wb: each row's block ib) × NA tokens
// to acc. Each row's scales and quants are decoded once for all NA tokens.
template <int NA, int RG, typename Block, typename Quants>
[[gnu::always_inline]] inline void k_group(const Block* const* wb, const ActBlocks<NA>& ab,
                                           Quants quants, __m128& acc) {
    __m256i sumi[4];
#pragma GCC unroll 4
    for (int p = 0; p < 4; ++p) sumi[p] = _mm256_setzero_si256();
    __m256i mins[RG];
#pragma GCC unroll 4
    for (int r = 0; r < RG; ++r) {
        const KScales s = decode_k_scales(wb[r]->scales);
        mins[r] = s.mins;
#pragma GCC unroll 4
        for (int c = 0; c < 4; ++c) {
            __m256i q_lo, q_hi;
            quants(*wb[r], c, q_lo, q_hi);
            const __m256i sc_lo = broadcast_word(s.scales, 2 * c, 2 * c);
            const __m256i sc_hi = broadcast_word(s.scales, 2 * c + 1, 2 * c + 1);
#pragma GCC unroll 4
            for (int j = 0; j < NA; ++j) {
                const int8_t* qa = ab.blocks[j]->qs + 64 * c;
                __m256i& s_pair = sumi[lane_of_pair<NA>(r, j)];
                s_pair =
                    _mm256_add_epi32(s_pair, _mm256_add_epi32(scaled_dot32(q_lo, qa, sc_lo),
                                                              scaled_dot32(q_hi, qa + 32, sc_hi)));
            }
        }
    }
    const __m256i min_halves =
        _mm256_hadd_epi32(_mm256_madd_epi16(ab.sub_sums[0], lane_pair_mins<NA, RG>(mins, 0)),
                          _mm256_madd_epi16(ab.sub_sums[1], lane_pair_mins<NA, RG>(mins, 2)));
    finish_k(sumi, min_halves, d_dmin_lanes<NA, RG>(wb), ab.d2, acc);
}

// ---- Q6_K ----

// Adds one super-block of a group of RG Q6_K rows × NA tokens to acc:
// acc += (d·d_a)·isum lane-wise, as ref. Half h (128 elements) has ql[64h .. 64h+63] and
// qh[32h .. 32h+31]; its four 32-element chunks k take the low/high nibbles of the first/second
// 32 ql bytes (k = 0: low of first, 1: low of second, 2: high of first, 3: high of second) and
// bit pair k of qh as bits 4-5. Chunk k covers the 16-element groups 8h+2k (low 128-bit half)
// and 8h+2k+1 (high half).
template <int NA, int RG>
[[gnu::always_inline]] inline void q6_k_group(const BlockQ6_K* const* wb, const ActBlocks<NA>& ab,
                                              __m128& acc) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    const __m256i bits45 = _mm256_set1_epi8(0x30);
    __m256i sumi[4];
#pragma GCC unroll 4
    for (int p = 0; p < 4; ++p) sumi[p] = _mm256_setzero_si256();
#pragma GCC unroll 4
    for (int r = 0; r < RG; ++r) {
        const BlockQ6_K& b = *wb[r];
        // -32·scales[g] per word (|.| <= 4096): the quants stay unsigned (q + 32, so maddubs can
        // take them) and -32·Σ_g scales[g]·bsums[g] takes the offset back.
        const __m256i offset_scales = _mm256_sub_epi16(
            _mm256_setzero_si256(),
            _mm256_slli_epi16(
                _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales))),
                5));
#pragma GCC unroll 4
        for (int j = 0; j < NA; ++j) {
            __m256i& s_pair = sumi[lane_of_pair<NA>(r, j)];
            s_pair = _mm256_madd_epi16(load32(ab.blocks[j]->bsums), offset_scales);
        }
#pragma GCC unroll 2
        for (int h = 0; h < 2; ++h) {
            const __m256i ql0 = load32(b.ql + 64 * h);
            const __m256i ql1 = load32(b.ql + 64 * h + 32);
            const __m256i qh = load32(b.qh + 32 * h);
            // Bit pair k of each qh byte moved to bits 4-5 of the same byte (the mask drops what
            // the 16-bit shifts carry across bytes).
            const __m256i q[4] = {
                _mm256_or_si256(_mm256_and_si256(ql0, low4),
                                _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45)),
                _mm256_or_si256(_mm256_and_si256(ql1, low4),
                                _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4),
                                _mm256_and_si256(qh, bits45)),
                _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                                _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45)),
            };
            // scales[8h .. 8h+7] as int16 in both halves.
            const __m256i sc = _mm256_broadcastsi128_si256(_mm_cvtepi8_epi16(
                _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b.scales + 8 * h))));
#pragma GCC unroll 4
            for (int k = 0; k < 4; ++k) {
                const __m256i sc_k = broadcast_word(sc, 2 * k, 2 * k + 1);
#pragma GCC unroll 4
                for (int j = 0; j < NA; ++j) {
                    const int8_t* qa = ab.blocks[j]->qs + 128 * h + 32 * k;
                    __m256i& s_pair = sumi[lane_of_pair<NA>(r, j)];
                    s_pair = _mm256_add_epi32(s_pair, scaled_dot32(q[k], qa, sc_k));
                }
            }
        }
    }
    const __m256i halves = fold4(sumi);
    const __m128i isum =
        _mm_add_epi32(_mm256_castsi256_si128(halves), _mm256_extracti128_si256(halves, 1));
    const auto d = [&](int p) { return static_cast<short>(wb[data_row_of_lane<NA, RG>(p)]->d); };
    const __m128 d_lanes = _mm_cvtph_ps(_mm_setr_epi16(d(0), d(1), d(2), d(3), 0, 0, 0, 0));
    acc = _mm_add_ps(
        acc, _mm_mul_ps(_mm_mul_ps(d_lanes, _mm256_castps256_ps128(ab.d2)), _mm_cvtepi32_ps(isum)));
}

// ---- weight formats ----

struct Q4K {
    using Block = BlockQ4_K;
    static constexpr bool kMinTerm = true;
    template <int NA, int RG>
    [[gnu::always_inline]] static void group(const Block* const* wb, const ActBlocks<NA>& ab,
                                             __m128& acc) {
        k_group<NA, RG>(wb, ab, q4_k_quants, acc);
    }
};

struct Q5K {
    using Block = BlockQ5_K;
    static constexpr bool kMinTerm = true;
    template <int NA, int RG>
    [[gnu::always_inline]] static void group(const Block* const* wb, const ActBlocks<NA>& ab,
                                             __m128& acc) {
        k_group<NA, RG>(wb, ab, q5_k_quants, acc);
    }
};

struct Q6K {
    using Block = BlockQ6_K;
    static constexpr bool kMinTerm = false;
    template <int NA, int RG>
    [[gnu::always_inline]] static void group(const Block* const* wb, const ActBlocks<NA>& ab,
                                             __m128& acc) {
        q6_k_group<NA, RG>(wb, ab, acc);
    }
};

// ---- tile driver ----

// With one token the weights stream from memory, one super-block of each row per step; the
// hardware prefetcher follows up to four rows, and this keeps a few blocks ahead of it.
constexpr int64_t kPrefetchBlocks = 4;

template <typename Block>
[[gnu::always_inline]] inline void prefetch_block(const Block* b) {
    const auto* p = reinterpret_cast<const char*>(b);
#pragma GCC unroll 4
    for (size_t offset = 0; offset < sizeof(Block); offset += 64) {
        _mm_prefetch(p + offset, _MM_HINT_T0);
    }
    _mm_prefetch(p + sizeof(Block) - 1, _MM_HINT_T0);
}

// Runs the group kernel for the group's real row count (1..kGroupRows<NA>).
template <typename Kind, int NA>
[[gnu::always_inline]] inline void run_group(int n_rows, const typename Kind::Block* const* wb,
                                             const ActBlocks<NA>& ab, __m128& acc) {
    if constexpr (kGroupRows<NA> == 1) {
        Kind::template group<NA, 1>(wb, ab, acc);
    } else if constexpr (kGroupRows<NA> == 2) {
        if (n_rows == 2) {
            Kind::template group<NA, 2>(wb, ab, acc);
        } else {
            Kind::template group<NA, 1>(wb, ab, acc);
        }
    } else {
        switch (n_rows) {
            case 4: Kind::template group<NA, 4>(wb, ab, acc); break;
            case 3: Kind::template group<NA, 3>(wb, ab, acc); break;
            case 2: Kind::template group<NA, 2>(wb, ab, acc); break;
            default: Kind::template group<NA, 1>(wb, ab, acc); break;
        }
    }
}

// Writes the real lanes of each group's accumulator to t.out.
template <int NA>
void store_tile(const __m128* acc, int n_groups, const Tile& t) {
    for (int g = 0; g < n_groups; ++g) {
        float lanes[4];
        _mm_storeu_ps(lanes, acc[g]);
        for (int p = 0; p < 4; ++p) {
            const int row = g * kGroupRows<NA> + row_of_lane<NA>(p);
            const int token = token_of_lane<NA>(p);
            if (row_of_lane<NA>(p) >= kGroupRows<NA> || row >= t.n_w || token >= NA) continue;
            t.out[static_cast<size_t>(row) * t.out_stride + static_cast<size_t>(token)] = lanes[p];
        }
    }
}

// t.n_w (1..kMaxWeightRows) rows × NA tokens, super-block by super-block: each activation
// super-block is prepared once for all groups, each group's accumulator lives across them.
template <typename Kind, int NA>
void tile_fixed_tokens(const Tile& t) {
    using Block = typename Kind::Block;
    constexpr int kRows = kGroupRows<NA>;
    const int n_groups = (t.n_w + kRows - 1) / kRows;
    const BlockQ8_K* act[NA];
    for (int j = 0; j < NA; ++j) act[j] = act_row(t.a, t.act_stride, j);
    const Block* rows[kMaxWeightRows];
    for (int r = 0; r < t.n_w; ++r) {
        rows[r] = reinterpret_cast<const Block*>(t.w + t.w_stride * static_cast<size_t>(r));
    }
    __m128 acc[kMaxWeightRows];
    for (__m128& a : acc) a = _mm_setzero_ps();
    const int64_t n_blocks = t.n / kQKK;
    for (int64_t ib = 0; ib < n_blocks; ++ib) {
        if constexpr (NA == 1) {
            if (ib + kPrefetchBlocks < n_blocks) {
                for (int r = 0; r < t.n_w; ++r) prefetch_block(rows[r] + ib + kPrefetchBlocks);
            }
        }
        const ActBlocks<NA> ab = act_blocks<NA, Kind::kMinTerm>(act, ib);
        for (int g = 0; g < n_groups; ++g) {
            const int r0 = g * kRows;
            const Block* wb[kRows];
#pragma GCC unroll 4
            for (int r = 0; r < kRows; ++r) wb[r] = rows[std::min(r0 + r, t.n_w - 1)] + ib;
            run_group<Kind, NA>(std::min(kRows, t.n_w - r0), wb, ab, acc[g]);
        }
    }
    store_tile<NA>(acc, n_groups, t);
}

// Any n_w × n_act, in tiles of at most kMaxWeightRows × kMaxActRows.
template <typename Kind>
void tile_any(const Tile& whole, int n_act) {
    static_assert(kMaxActRows == 4 && kMaxWeightRows == 4);
    for (int r0 = 0; r0 < whole.n_w; r0 += kMaxWeightRows) {
        for (int j0 = 0; j0 < n_act; j0 += kMaxActRows) {
            Tile t = whole;
            t.w = whole.w + whole.w_stride * static_cast<size_t>(r0);
            t.n_w = std::min(whole.n_w - r0, kMaxWeightRows);
            t.a = whole.a + whole.act_stride * static_cast<size_t>(j0);
            t.out = whole.out + whole.out_stride * static_cast<size_t>(r0) + j0;
            switch (std::min(n_act - j0, kMaxActRows)) {
                case 1: tile_fixed_tokens<Kind, 1>(t); break;
                case 2: tile_fixed_tokens<Kind, 2>(t); break;
                case 3: tile_fixed_tokens<Kind, 3>(t); break;
                default: tile_fixed_tokens<Kind, 4>(t); break;
            }
        }
    }
}

template <typename Kind>
float dot_one(int64_t n, const void* w, const void* a) {
    float out = 0.0f;
    tile_fixed_tokens<Kind, 1>(Tile{.n = n,
                                    .w = static_cast<const uint8_t*>(w),
                                    .n_w = 1,
                                    .a = static_cast<const uint8_t*>(a),
                                    .out = &out,
                                    .out_stride = 1});
    return out;
}

template <typename Kind>
void dot_rows(int64_t n, const void* w, const void* a, size_t act_stride, int n_act, float* out) {
    tile_any<Kind>(Tile{.n = n,
                        .w = static_cast<const uint8_t*>(w),
                        .n_w = 1,
                        .a = static_cast<const uint8_t*>(a),
                        .act_stride = act_stride,
                        .out = out,
                        .out_stride = 1},
                   n_act);
}

template <typename Kind>
void dot_tile(int64_t n, const void* w, size_t w_stride, int n_w, const void* a, size_t act_stride,
              int n_act, float* out, size_t out_stride) {
    tile_any<Kind>(Tile{.n = n,
                        .w = static_cast<const uint8_t*>(w),
                        .w_stride = w_stride,
                        .n_w = n_w,
                        .a = static_cast<const uint8_t*>(a),
                        .act_stride = act_stride,
                        .out = out,
                        .out_stride = out_stride},
                   n_act);
}

}  // namespace

void quantize_row_q8_k(const float* x, void* y, int64_t n) {
    auto* blocks = static_cast<BlockQ8_K*>(y);
    for (int64_t ib = 0; ib < n / kQKK; ++ib) quantize_block_q8_k(x + ib * kQKK, blocks[ib]);
}

float vec_dot_q4_k_q8_k(int64_t n, const void* w, const void* a) {
    return dot_one<Q4K>(n, w, a);
}

float vec_dot_q5_k_q8_k(int64_t n, const void* w, const void* a) {
    return dot_one<Q5K>(n, w, a);
}

float vec_dot_q6_k_q8_k(int64_t n, const void* w, const void* a) {
    return dot_one<Q6K>(n, w, a);
}

void vec_dot_rows_q4_k_q8_k(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out) {
    dot_rows<Q4K>(n, w, a, act_stride, n_act, out);
}

void vec_dot_rows_q5_k_q8_k(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out) {
    dot_rows<Q5K>(n, w, a, act_stride, n_act, out);
}

void vec_dot_rows_q6_k_q8_k(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out) {
    dot_rows<Q6K>(n, w, a, act_stride, n_act, out);
}

void vec_dot_tile_q4_k_q8_k(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                            size_t act_stride, int n_act, float* out, size_t out_stride) {
    dot_tile<Q4K>(n, w, w_stride, n_w, a, act_stride, n_act, out, out_stride);
}

void vec_dot_tile_q5_k_q8_k(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                            size_t act_stride, int n_act, float* out, size_t out_stride) {
    dot_tile<Q5K>(n, w, w_stride, n_w, a, act_stride, n_act, out, out_stride);
}

void vec_dot_tile_q6_k_q8_k(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                            size_t act_stride, int n_act, float* out, size_t out_stride) {
    dot_tile<Q6K>(n, w, w_stride, n_w, a, act_stride, n_act, out, out_stride);
}

void add_k_kernels(KernelTable& t) {
    t[TensorType::Q8_K].quantize_row = quantize_row_q8_k;
    t[TensorType::Q4_K].vec_dot = vec_dot_q4_k_q8_k;
    t[TensorType::Q4_K].vec_dot_rows = vec_dot_rows_q4_k_q8_k;
    t[TensorType::Q4_K].vec_dot_tile = vec_dot_tile_q4_k_q8_k;
    t[TensorType::Q5_K].vec_dot = vec_dot_q5_k_q8_k;
    t[TensorType::Q5_K].vec_dot_rows = vec_dot_rows_q5_k_q8_k;
    t[TensorType::Q5_K].vec_dot_tile = vec_dot_tile_q5_k_q8_k;
    t[TensorType::Q6_K].vec_dot = vec_dot_q6_k_q8_k;
    t[TensorType::Q6_K].vec_dot_rows = vec_dot_rows_q6_k_q8_k;
    t[TensorType::Q6_K].vec_dot_tile = vec_dot_tile_q6_k_q8_k;
}

}  // namespace glmserve::kernels::avx2
