// AVX2 K-quant kernels (see q_k.h for the contracts against kernels/ref/q_k.cpp).
//
// Shapes: a row of n elements (n a multiple of 256) is n/256 super-blocks; activations are
// BlockQ8_K rows of the same length.
//
// Dot products, per super-block and activation row:
//   1. Integer part, exact: maddubs multiplies unsigned weight quants by signed activation
//      quants in adjacent pairs (int16, never saturating: 2·63·127 < 2^15), madd applies the
//      sub-block scale (int16) and widens to int32. The int32 lanes are kept, not summed.
//      Each lane gathers 32 products of one super-block, so it stays below 2^24 (Q4_K:
//      32·63·15·127, Q5_K: 32·63·31·127) and converts to float exactly; only Q6_K's
//      uncentred lanes (q in 0..63 before the bsums correction) can pass 2^24, and only with
//      scales near ±128 and activations near ±127 of one sign over a whole lane.
//   2. Float part: acc += (d_w·d_a) · lanes with FMA (Q4_K/Q5_K also acc -= (dmin_w·d_a) ·
//      (m_k·(bsums[2k] + bsums[2k+1])) lanes), 8 float lanes across all super-blocks, and one
//      horizontal sum at the end. This order is the only difference from ref, which rounds
//      every super-block's total to float and adds it to one scalar.
// vec_dot is vec_dot_rows with one row: the same instructions in the same order for every
// row, so each row's bits never depend on n_act. Every float step is an explicit FMA or add
// (no multiply feeds an add), so GCC's C++ default -ffp-contract=fast has nothing to fuse
// differently in the 1..4-row instantiations. vec_dot_rows decodes each weight super-block
// once (scales, mins, nibble split, high bits) and uses it for all its rows.
// Thread: pure functions.
#include "kernels/avx2/q_k.h"

#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "kernels/quant_blocks.h"

namespace glmserve::kernels::avx2 {

namespace {

// The helpers below are forced inline so that each R-row instantiation keeps its accumulators
// in registers and its fixed-count loops unrolled with constant shuffle masks and shifts.
[[gnu::always_inline]] inline float half_to_float(uint16_t h) {
    return _cvtsh_ss(h);  // exact, as fp16_to_fp32
}

// Σ of the 8 lanes, always in this order (halves, then pairs, then the last two).
[[gnu::always_inline]] inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

[[gnu::always_inline]] inline __m256i load32(const void* p) {
    return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

// Word word_lo (0..7) of v's low 128-bit half broadcast across that half, word_hi of the high
// half across the high half (int16 words). The shuffle mask for word w picks bytes 2w and
// 2w+1 in every word: the little-endian int16 0x0100 + 0x0202·w.
[[gnu::always_inline]] inline __m256i broadcast_word(__m256i v, int word_lo, int word_hi) {
    const auto mask = [](int w) { return static_cast<int16_t>(0x0100 + 0x0202 * w); };
    return _mm256_shuffle_epi8(
        v, _mm256_set_m128i(_mm_set1_epi16(mask(word_hi)), _mm_set1_epi16(mask(word_lo))));
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

const BlockQ8_K* act_row(const void* a, size_t act_stride, int r) {
    return reinterpret_cast<const BlockQ8_K*>(static_cast<const uint8_t*>(a) +
                                              act_stride * static_cast<size_t>(r));
}

// Q4_K/Q5_K scales and mins as int16 lanes, decoded from the 12 packed bytes (layout in
// ref/q_k.cpp): bytes 0-3 hold sc_0..3 (and bits 4-5 of sc_4..7 on top), 4-7 the same for the
// mins, 8-11 the low nibbles of sc_4..7 and m_4..7.
struct KScales {
    __m256i scales;      // sc_0..sc_7 in each 128-bit half
    __m256i mins_pairs;  // m_0 m_0 m_1 m_1 .. m_7 m_7: word g pairs with bsums[g]
};

[[gnu::always_inline]] inline KScales decode_k_scales(const uint8_t* packed) {
    uint32_t u[3];
    std::memcpy(u, packed, sizeof(u));
    const uint32_t sc_lo = u[0] & 0x3F3F3F3Fu;
    const uint32_t m_lo = u[1] & 0x3F3F3F3Fu;
    const uint32_t sc_hi = (u[2] & 0x0F0F0F0Fu) | (((u[0] >> 6) & 0x03030303u) << 4);
    const uint32_t m_hi = ((u[2] >> 4) & 0x0F0F0F0Fu) | (((u[1] >> 6) & 0x03030303u) << 4);
    const __m128i sc16 =
        _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, static_cast<int>(sc_hi), static_cast<int>(sc_lo)));
    const __m128i m16 =
        _mm_cvtepu8_epi16(_mm_set_epi32(0, 0, static_cast<int>(m_hi), static_cast<int>(m_lo)));
    return KScales{_mm256_broadcastsi128_si256(sc16),
                   _mm256_set_m128i(_mm_unpackhi_epi16(m16, m16), _mm_unpacklo_epi16(m16, m16))};
}

// Shared by Q4_K and Q5_K: chunk c (64 elements, sub-blocks 2c and 2c+1) has its quants in
// q_lo (elements 64c..64c+31) and q_hi (the next 32); `quants(c, q_lo, q_hi)` supplies them.
template <int R, typename Quants>
[[gnu::always_inline]] inline void k_superblock(const uint8_t* packed_scales, uint16_t d16,
                                                uint16_t dmin16, Quants quants,
                                                const BlockQ8_K* const* ab, __m256* acc) {
    const KScales s = decode_k_scales(packed_scales);
    __m256i sumi[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) sumi[r] = _mm256_setzero_si256();
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
        __m256i q_lo, q_hi;
        quants(c, q_lo, q_hi);
        const __m256i sc_lo = broadcast_word(s.scales, 2 * c, 2 * c);
        const __m256i sc_hi = broadcast_word(s.scales, 2 * c + 1, 2 * c + 1);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
            const int8_t* qa = ab[r]->qs + 64 * c;
            const __m256i p =
                _mm256_add_epi32(scaled_dot32(q_lo, qa, sc_lo), scaled_dot32(q_hi, qa + 32, sc_hi));
            sumi[r] = _mm256_add_epi32(sumi[r], p);
        }
    }
    const float d = half_to_float(d16);
    const float dmin = half_to_float(dmin16);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
        // Lane k: m_k·(bsums[2k] + bsums[2k+1]), the min term of sub-block k.
        const __m256i msum = _mm256_madd_epi16(load32(ab[r]->bsums), s.mins_pairs);
        acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(d * ab[r]->d), _mm256_cvtepi32_ps(sumi[r]), acc[r]);
        acc[r] =
            _mm256_fnmadd_ps(_mm256_set1_ps(dmin * ab[r]->d), _mm256_cvtepi32_ps(msum), acc[r]);
    }
}

template <int R>
[[gnu::always_inline]] inline void q4_k_superblock(const BlockQ4_K& b, const BlockQ8_K* const* ab,
                                                   __m256* acc) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    const auto quants = [&](int c, __m256i& q_lo, __m256i& q_hi) {
        const __m256i bits = load32(b.qs + 32 * c);
        q_lo = _mm256_and_si256(bits, low4);
        q_hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), low4);
    };
    k_superblock<R>(b.scales, b.d, b.dmin, quants, ab, acc);
}

template <int R>
[[gnu::always_inline]] inline void q5_k_superblock(const BlockQ5_K& b, const BlockQ8_K* const* ab,
                                                   __m256* acc) {
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
    const auto quants = [&](int c, __m256i& q_lo, __m256i& q_hi) {
        const __m256i bits = load32(b.qs + 32 * c);
        q_lo = _mm256_or_si256(_mm256_and_si256(bits, low4), bit_to_4(2 * c));
        q_hi = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 4), low4),
                               bit_to_4(2 * c + 1));
    };
    k_superblock<R>(b.scales, b.d, b.dmin, quants, ab, acc);
}

// Q6_K: half h (128 elements) has ql[64h .. 64h+63] and qh[32h .. 32h+31]; its four 32-element
// chunks k take the low/high nibbles of the first/second 32 ql bytes (k = 0: low of first,
// 1: low of second, 2: high of first, 3: high of second) and bit pair k of qh as bits 4-5.
// Chunk k covers the 16-element groups 8h+2k (low 128-bit half) and 8h+2k+1 (high half).
// The quants stay unsigned (0..63, so maddubs can take them); the -32 comes back as
// 32·Σ_g scales[g]·bsums[g], subtracted from the int32 lanes.
template <int R>
[[gnu::always_inline]] inline void q6_k_superblock(const BlockQ6_K& b, const BlockQ8_K* const* ab,
                                                   __m256* acc) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    const __m256i bits45 = _mm256_set1_epi8(0x30);
    __m256i sumi[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) sumi[r] = _mm256_setzero_si256();
#pragma GCC unroll 4
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
        const __m256i sc = _mm256_broadcastsi128_si256(
            _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b.scales + 8 * h))));
#pragma GCC unroll 4
        for (int k = 0; k < 4; ++k) {
            const __m256i sc_k = broadcast_word(sc, 2 * k, 2 * k + 1);
#pragma GCC unroll 4
            for (int r = 0; r < R; ++r) {
                const int8_t* qa = ab[r]->qs + 128 * h + 32 * k;
                sumi[r] = _mm256_add_epi32(sumi[r], scaled_dot32(q[k], qa, sc_k));
            }
        }
    }
    const __m256i scales16 =
        _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));
    const float d = half_to_float(b.d);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
        const __m256i offset =
            _mm256_slli_epi32(_mm256_madd_epi16(load32(ab[r]->bsums), scales16), 5);
        const __m256i isum = _mm256_sub_epi32(sumi[r], offset);
        acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(d * ab[r]->d), _mm256_cvtepi32_ps(isum), acc[r]);
    }
}

// Walks the super-blocks of one weight row against R activation rows.
template <typename Block, int R, void (*Superblock)(const Block&, const BlockQ8_K* const*, __m256*)>
void dot_rows(int64_t n, const void* w, const void* a, size_t act_stride, float* out) {
    const auto* wb = static_cast<const Block*>(w);
    const BlockQ8_K* rows[R];
    __m256 acc[R];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
        rows[r] = act_row(a, act_stride, r);
        acc[r] = _mm256_setzero_ps();
    }
    for (int64_t ib = 0; ib < n / kQKK; ++ib) {
        const BlockQ8_K* ab[R];
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) ab[r] = rows[r] + ib;
        Superblock(wb[ib], ab, acc);
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) out[r] = hsum(acc[r]);
}

// Rows in groups of up to 4 (kMaxActRows), each group with its own unrolled instantiation.
template <typename Block, template <int> class Kernel>
void dot_rows_any(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                  float* out) {
    static_assert(kMaxActRows == 4);
    for (int r0 = 0; r0 < n_act; r0 += 4) {
        const void* a0 = static_cast<const uint8_t*>(a) + act_stride * static_cast<size_t>(r0);
        switch (std::min(n_act - r0, 4)) {
            case 1: dot_rows<Block, 1, Kernel<1>::run>(n, w, a0, act_stride, out + r0); break;
            case 2: dot_rows<Block, 2, Kernel<2>::run>(n, w, a0, act_stride, out + r0); break;
            case 3: dot_rows<Block, 3, Kernel<3>::run>(n, w, a0, act_stride, out + r0); break;
            default: dot_rows<Block, 4, Kernel<4>::run>(n, w, a0, act_stride, out + r0); break;
        }
    }
}

template <int R>
struct Q4K {
    [[gnu::always_inline]] static void run(const BlockQ4_K& b, const BlockQ8_K* const* ab,
                                           __m256* acc) {
        q4_k_superblock<R>(b, ab, acc);
    }
};
template <int R>
struct Q5K {
    [[gnu::always_inline]] static void run(const BlockQ5_K& b, const BlockQ8_K* const* ab,
                                           __m256* acc) {
        q5_k_superblock<R>(b, ab, acc);
    }
};
template <int R>
struct Q6K {
    [[gnu::always_inline]] static void run(const BlockQ6_K& b, const BlockQ8_K* const* ab,
                                           __m256* acc) {
        q6_k_superblock<R>(b, ab, acc);
    }
};

}  // namespace

void quantize_row_q8_k(const float* x, void* y, int64_t n) {
    auto* blocks = static_cast<BlockQ8_K*>(y);
    for (int64_t ib = 0; ib < n / kQKK; ++ib) quantize_block_q8_k(x + ib * kQKK, blocks[ib]);
}

float vec_dot_q4_k_q8_k(int64_t n, const void* w, const void* a) {
    float out = 0.0f;
    dot_rows<BlockQ4_K, 1, Q4K<1>::run>(n, w, a, 0, &out);
    return out;
}

float vec_dot_q5_k_q8_k(int64_t n, const void* w, const void* a) {
    float out = 0.0f;
    dot_rows<BlockQ5_K, 1, Q5K<1>::run>(n, w, a, 0, &out);
    return out;
}

float vec_dot_q6_k_q8_k(int64_t n, const void* w, const void* a) {
    float out = 0.0f;
    dot_rows<BlockQ6_K, 1, Q6K<1>::run>(n, w, a, 0, &out);
    return out;
}

void vec_dot_rows_q4_k_q8_k(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out) {
    dot_rows_any<BlockQ4_K, Q4K>(n, w, a, act_stride, n_act, out);
}

void vec_dot_rows_q5_k_q8_k(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out) {
    dot_rows_any<BlockQ5_K, Q5K>(n, w, a, act_stride, n_act, out);
}

void vec_dot_rows_q6_k_q8_k(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out) {
    dot_rows_any<BlockQ6_K, Q6K>(n, w, a, act_stride, n_act, out);
}

void add_k_kernels(KernelTable& t) {
    t[TensorType::Q8_K].quantize_row = quantize_row_q8_k;
    t[TensorType::Q4_K].vec_dot = vec_dot_q4_k_q8_k;
    t[TensorType::Q4_K].vec_dot_rows = vec_dot_rows_q4_k_q8_k;
    t[TensorType::Q5_K].vec_dot = vec_dot_q5_k_q8_k;
    t[TensorType::Q5_K].vec_dot_rows = vec_dot_rows_q5_k_q8_k;
    t[TensorType::Q6_K].vec_dot = vec_dot_q6_k_q8_k;
    t[TensorType::Q6_K].vec_dot_rows = vec_dot_rows_q6_k_q8_k;
}

}  // namespace glmserve::kernels::avx2
