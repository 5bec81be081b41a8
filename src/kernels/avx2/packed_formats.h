// The row-interleaved group formats of packed.cpp (Q8_0, Q4_0, Q5_0, Q4_1, Q5_1),
// packed_q4_k.cpp (Q4_K, Q5_K) and packed_q6_k.cpp (Q6_K), which describe them: their layouts as
// constants, and everything of their dot products except how the int products are formed. That
// is the block loops (prefetching included), the activation suffix, each block's float step,
// unpacking the quants, the K-quants' scales, mins and offsets; an ISA supplies the exact int
// sums of a block (a `Sums` class below). The AVX2 kernels and the AVX-512 VNNI ones
// (src/kernels/avx512/packed_vnni.cpp) share all the rest, so both read the same bytes and round
// the same way, and their results are equal bit for bit. Include only from files built with SIMD
// flags; internal linkage, as in packed_common.h and for the same reason.
// Thread: pure functions.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "kernels/avx2/packed_common.h"
#include "kernels/kernel_table.h"
#include "kernels/quant_blocks.h"

namespace glmserve::kernels::avx2::detail {
namespace {

// One group block of each 32-element format: exactly as large as its kPackRows rows' blocks.
inline constexpr int64_t kQ8_0GroupBlockBytes = kPackRows * sizeof(BlockQ8_0);  // 272
inline constexpr int64_t kQ4_0GroupBlockBytes = kPackRows * sizeof(BlockQ4_0);  // 144
inline constexpr int64_t kQ5_0GroupBlockBytes = kPackRows * sizeof(BlockQ5_0);  // 176

// Q4_0's GEMV asks for weights further ahead than the shared kPrefetchBytes: its blocks go
// faster. A/B of a 2-thread 4096x27392 GEMV, interleaved, best of 120: 2048 bytes took
// 0.92-0.94x the time of 1024 (3072 the same as 2048; Q8_0 gained nothing from 2048).
inline constexpr int64_t kQ4_0PrefetchBytes = 2048;

// The suffix of a Q8_0 activation row (write_q8_0_act_suffix), per block b at 8b: the int32
// -8·Σ q_a over the block's 32 quants, and the block's d as a float. The Q4_0 and Q5_0 kernels
// start their block sums from the word; all three kernels read d there, one broadcast instead
// of widening the fp16 field for every block of every group.
inline constexpr uint64_t kSuffixBlockBytes = sizeof(int32_t) + sizeof(float);
inline constexpr uint64_t kSuffixScaleOffset = sizeof(int32_t);

// Where token 0's suffix starts in activation rows of n values.
inline const uint8_t* suffix_of(const uint8_t* a, int64_t n) {
    return a + n / kQK * sizeof(BlockQ8_0);
}

// d_w·d_a: the rows' scales times one token's (its block's d, from the suffix block `sb`).
inline __m256 token_scales(__m256 d_w, const uint8_t* sb) {
    float d_a = 0;
    std::memcpy(&d_a, sb + kSuffixScaleOffset, sizeof(d_a));
    return _mm256_mul_ps(d_w, _mm256_set1_ps(d_a));
}

// A[c] = fma(d_w·d_a, S[c], A[c]) for C tokens: one block's step of the canonical order, from
// its exact int32 sums. `sb`: token 0's suffix block.
template <int C>
inline void accumulate_block(__m256 (&acc)[C], __m256 d_w, const uint8_t* sb, size_t a_stride,
                             const __m256i (&sums)[C]) {
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
        acc[c] = _mm256_fmadd_ps(token_scales(d_w, sb + c * a_stride), _mm256_cvtepi32_ps(sums[c]),
                                 acc[c]);
    }
}

// The 32-element formats, for BlockBody. Act: the activation block (Q8_0; Q8_1 for the formats
// with a min). kQuantsOffset: where a group block's chunks start (after the fp16 factors).
// kPrefetchAhead / kPrefetchLines: which weights a block asks for (64-byte lines that far ahead
// of its own).
struct Q8_0Group {
    using Act = BlockQ8_0;
    static constexpr int64_t kBlockBytes = kQ8_0GroupBlockBytes;
    static constexpr int64_t kQuantsOffset = kScalesBytes;
    static constexpr bool kHasMin = false;
    static constexpr int64_t kPrefetchAhead = kPrefetchBytes;
    static constexpr int kPrefetchLines = 4;
};
// The nibble formats: Q4_0 (q - 8, q a nibble), Q5_0 (q - 16, q a nibble plus a high bit from
// the group block's bit plane, after the 4 chunks), and Q4_1 / Q5_1 (d·q + m, q the same). The
// first two start their block sums from the suffix word, so that they come out as
// Σ (q_w - offset)·q_a with no correction after (Q5_0's -16·Σ q_a is the word doubled); the min
// formats from 0, their min entering the float step.
template <int64_t kBlock, bool kFifthBit, bool kMin>
struct NibbleGroup {
    using Act = std::conditional_t<kMin, BlockQ8_1, BlockQ8_0>;
    static constexpr int64_t kBlockBytes = kBlock;
    // d[8], then for the min formats m[8].
    static constexpr int64_t kQuantsOffset = (kMin ? 2 : 1) * kScalesBytes;
    static constexpr int64_t kPlaneOffset = kQuantsOffset + 4 * 32;
    static constexpr bool kHighBits = kFifthBit;
    static constexpr bool kHasMin = kMin;
    static constexpr int64_t kPrefetchAhead = kQ4_0PrefetchBytes;
    static constexpr int kPrefetchLines = 3;
};
using Q4_0Group = NibbleGroup<kQ4_0GroupBlockBytes, false, false>;
using Q5_0Group = NibbleGroup<kQ5_0GroupBlockBytes, true, false>;
using Q4_1Group = NibbleGroup<kPackRows * sizeof(BlockQ4_1), false, true>;
using Q5_1Group = NibbleGroup<kPackRows * sizeof(BlockQ5_1), true, true>;

// The min formats' float step for C tokens, the canonical order of q_legacy.cpp:
// A = fma(d_w·d_a, S, A), then A = fma(m_w, s_a, A), d_a and s_a token c's (BlockQ8_1 at ab).
template <int C>
inline void accumulate_min_block(__m256 (&acc)[C], const uint8_t* gb, const uint8_t* ab,
                                 size_t a_stride, const __m256i (&sums)[C]) {
    const __m256 d_w = load_row_scales(gb);
    const __m256 m_w = load_row_scales(gb + kScalesBytes);
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
        const uint8_t* act = ab + c * a_stride;
        const __m256 d =
            _mm256_mul_ps(d_w, _mm256_set1_ps(load_half(act + offsetof(BlockQ8_1, d))));
        acc[c] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sums[c]), acc[c]);
        acc[c] =
            _mm256_fmadd_ps(m_w, _mm256_set1_ps(load_half(act + offsetof(BlockQ8_1, s))), acc[c]);
    }
}

// C tokens (1..4) against one group of format F (a for_tokens kernel): per block, the rows'
// exact int sums from Sums::block_sums<C>(gb, ab, sb, a_stride, s) (gb the group block, ab and
// sb token 0's activation and suffix block, a_stride apart per token; sb is null for the min
// formats, whose activations have no suffix), then the float step.
template <class F, class Sums>
struct BlockBody {
    template <int C>
    struct Tokens {
        static void run(int64_t n, const uint8_t* group, const uint8_t* a, size_t a_stride,
                        float* out, size_t out_stride) {
            const uint8_t* suffix = F::kHasMin ? nullptr : suffix_of(a, n);
            __m256 acc[C];
#pragma GCC unroll 4
            for (__m256& v : acc) v = _mm256_setzero_ps();
            for (int64_t b = 0; b < n / kQK; ++b) {
                const uint8_t* gb = group + b * F::kBlockBytes;
                for (int line = 0; line < F::kPrefetchLines; ++line) {
                    prefetch(gb + F::kPrefetchAhead + 64 * line);
                }
                const uint8_t* ab = a + b * sizeof(typename F::Act);
                __m256i s[C];
                if constexpr (F::kHasMin) {
                    Sums::template block_sums<C>(gb, ab, nullptr, a_stride, s);
                    accumulate_min_block<C>(acc, gb, ab, a_stride, s);
                } else {
                    const uint8_t* sb = suffix + b * kSuffixBlockBytes;
                    Sums::template block_sums<C>(gb, ab, sb, a_stride, s);
                    accumulate_block<C>(acc, load_row_scales(gb), sb, a_stride, s);
                }
            }
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) _mm256_storeu_ps(out + c * out_stride, acc[c]);
        }
    };
};

// Where token c's quants k·4 .. k·4 + 3 sit in its activation block of format F.
template <class F>
inline size_t act_quants(int k) {
    return offsetof(typename F::Act, qs) + 4 * static_cast<size_t>(k);
}

// Token c's block sum before its products: -offset·Σ q_a from the suffix block `sb`, or 0 for
// the min formats.
template <class F>
inline __m256i nibble_sum_start(const uint8_t* sb) {
    if constexpr (F::kHasMin) return _mm256_setzero_si256();
    const __m256i word = broadcast_word(sb);
    return F::kHighBits ? _mm256_add_epi32(word, word) : word;
}

// The bit plane of a Q5_0 or Q5_1 group block, and the plane shifted left by 4 (see
// nibble_chunk); zero for Q4_0 and Q4_1.
template <class F>
inline void load_plane(const uint8_t* gb, __m256i& plane, __m256i& plane_lo) {
    plane = _mm256_setzero_si256();
    plane_lo = plane;
    if constexpr (F::kHighBits) {
        plane = load_32_bytes(gb + F::kPlaneOffset);
        plane_lo = _mm256_slli_epi16(plane, 4);
    }
}

// Chunk k of half kHalf as unsigned bytes: the nibbles, and for Q5_0 and Q5_1 the high bits (bit k
// of each plane byte for half 0, bit 4 + k for half 1) moved to 0x10. `plane_lo` is the plane
// shifted left by 4 (once per block), so both halves need one right shift by k.
template <class F, int kHalf>
inline __m256i nibble_chunk(const uint8_t* gb, int k, __m256i plane, __m256i plane_lo) {
    const __m256i low_nibbles = _mm256_set1_epi8(0x0F);
    __m256i w = load_32_bytes(gb + F::kQuantsOffset + 32 * k);
    if constexpr (kHalf == 1) w = _mm256_srli_epi16(w, 4);
    w = _mm256_and_si256(w, low_nibbles);
    if constexpr (F::kHighBits) {
        const __m256i bits = _mm256_srli_epi16(kHalf == 0 ? plane_lo : plane, k);
        w = _mm256_or_si256(w, _mm256_and_si256(bits, _mm256_set1_epi8(0x10)));
    }
    return w;
}

// Q4_K's and Q5_K's group super-blocks (packed_q4_k.cpp describes them).
namespace q4_k {

inline constexpr int kSubBlocks = 8;
inline constexpr size_t kDminOffset = kScalesBytes;
inline constexpr size_t kScOffset = 2 * kScalesBytes;                     // sc[j][r] at 8j + r
inline constexpr size_t kMinOffset = kScOffset + kSubBlocks * kPackRows;  // m[j][r] at 8j + r
inline constexpr size_t kQuantsOffset = kMinOffset + kSubBlocks * kPackRows;
inline constexpr size_t kGroupBlockBytes = kQuantsOffset + kPackRows * sizeof(BlockQ4_K::qs);
static_assert(kGroupBlockBytes == kPackRows * sizeof(BlockQ4_K) + 32, "packed_q4_k.cpp's 1184");

// The two formats, for SuperBlockBody: Q5_K's group block is Q4_K's plus its high-bit plane,
// 8 chunks of 32 bytes (row r's qh bytes 4k..4k+3 at 4r of chunk k).
struct Q4KGroup {
    static constexpr size_t kBlockBytes = kGroupBlockBytes;
    static constexpr bool kHighBits = false;
};
struct Q5KGroup {
    static constexpr size_t kQhOffset = kGroupBlockBytes;
    static constexpr size_t kBlockBytes = kQhOffset + kPackRows * sizeof(BlockQ5_K::qh);
    static constexpr bool kHighBits = true;
};
static_assert(Q5KGroup::kBlockBytes == kPackRows * sizeof(BlockQ5_K) + 32, "1440");

// The weight chunk (c, k) as unsigned bytes: quant chunk 8c + k, its low nibbles (sub-block
// 2c) or high ones (kHigh, 2c + 1), and for Q5_K bit 2c + kHigh of qh chunk k moved to 0x10.
// Chunk: int, or for Q5_K a std::integral_constant, so that the shift is an immediate (see
// SuperBlockBody).
template <class F, int kHigh, class Chunk>
inline __m256i quant_chunk(const uint8_t* gb, Chunk c, int k) {
    __m256i w = load_32_bytes(gb + kQuantsOffset + 32 * (8 * static_cast<int>(c) + k));
    if constexpr (kHigh == 1) w = _mm256_srli_epi16(w, 4);
    w = _mm256_and_si256(w, _mm256_set1_epi8(0x0F));
    if constexpr (F::kHighBits) {
        const __m256i qh = load_32_bytes(gb + F::kQhOffset + 32 * k);
        // To bit 4; the mask drops what the 16-bit shifts carry across bytes.
        constexpr int kBit = 2 * Chunk::value + kHigh;
        __m256i moved = qh;
        if constexpr (kBit < 4) moved = _mm256_slli_epi16(qh, 4 - kBit);
        if constexpr (kBit > 4) moved = _mm256_srli_epi16(qh, kBit - 4);
        w = _mm256_or_si256(w, _mm256_and_si256(moved, _mm256_set1_epi8(0x10)));
    }
    return w;
}

// The 16 bytes at p (two sub-blocks' 8 per-row bytes) in both 128-bit halves.
inline __m256i load_sub_block_pair(const uint8_t* p) {
    return _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// Shuffle control that makes lane r the int16 pair (byte lo + r, byte hi + r) of a
// load_sub_block_pair: (0, 0) gives sub-block j's byte in both halves, (8, 8) sub-block j+1's,
// (0, 8) the pair (j, j+1).
inline __m256i lane_pair_control(int lo, int hi) {
    const auto word = [&](int r) {
        return static_cast<int>(0x80008000u | static_cast<uint32_t>(lo + r) |
                                static_cast<uint32_t>(hi + r) << 16);
    };
    return _mm256_setr_epi32(word(0), word(1), word(2), word(3), word(4), word(5), word(6),
                             word(7));
}

// The mins of group block gb as the int16 pairs (m_2i, m_2i+1) of each row, pair i in m_pairs[i].
inline void load_min_pairs(const uint8_t* gb, __m256i (&m_pairs)[4]) {
    const __m256i pair = lane_pair_control(0, 8);
    for (int i = 0; i < 4; ++i) {
        m_pairs[i] = _mm256_shuffle_epi8(load_sub_block_pair(gb + kMinOffset + 16 * i), pair);
    }
}

// msum of one token: Σ_j m_j · (bsums[2j] + bsums[2j+1]), lane r row r.
inline __m256i min_sum(const __m256i (&m_pairs)[4], const uint8_t* act_block) {
    const __m256i bsums = load_32_bytes(act_block + offsetof(BlockQ8_K, bsums));
    // 128-bit half h: words (bs_4h, bs_4h+1), (bs_4h+2, bs_4h+3), repeated; bs_j as above.
    const __m256i bs = _mm256_hadd_epi16(bsums, bsums);
    __m256i msum =
        _mm256_madd_epi16(m_pairs[0], _mm256_permutevar8x32_epi32(bs, _mm256_set1_epi32(0)));
    msum = _mm256_add_epi32(
        msum, _mm256_madd_epi16(m_pairs[1], _mm256_permutevar8x32_epi32(bs, _mm256_set1_epi32(1))));
    msum = _mm256_add_epi32(
        msum, _mm256_madd_epi16(m_pairs[2], _mm256_permutevar8x32_epi32(bs, _mm256_set1_epi32(4))));
    return _mm256_add_epi32(
        msum, _mm256_madd_epi16(m_pairs[3], _mm256_permutevar8x32_epi32(bs, _mm256_set1_epi32(5))));
}

// One super-block's float step for C tokens, in ref's order (unfused, -ffp-contract=off):
// sum[c] += (d·d_a)·isum - (dmin·d_a)·msum, d_a from token c's activation block.
template <int C>
inline void accumulate_super_block(__m256 (&sum)[C], const uint8_t* gb, const uint8_t* ab,
                                   size_t a_stride, const __m256i (&isum)[C]) {
    __m256i m_pairs[4];
    load_min_pairs(gb, m_pairs);
    const __m256 d_w = load_row_scales(gb);
    const __m256 dmin_w = load_row_scales(gb + kDminOffset);
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
        const uint8_t* act = ab + c * a_stride;
        float d_a = 0.0f;
        std::memcpy(&d_a, act + offsetof(BlockQ8_K, d), sizeof(d_a));
        const __m256 da = _mm256_set1_ps(d_a);
        const __m256 scaled = _mm256_mul_ps(_mm256_mul_ps(d_w, da), _mm256_cvtepi32_ps(isum[c]));
        const __m256 mins =
            _mm256_mul_ps(_mm256_mul_ps(dmin_w, da), _mm256_cvtepi32_ps(min_sum(m_pairs, act)));
        sum[c] = _mm256_add_ps(sum[c], _mm256_sub_ps(scaled, mins));
    }
}

// C tokens (1..4) against one group of format F, Q4KGroup or Q5KGroup (a for_tokens kernel):
// per super-block, the rows' isum = Σ_j sc_j·S_j from Sums::add_sub_blocks<C>(gb, ab, a_stride,
// chunk, isum), which adds sub-blocks 2·chunk and 2·chunk + 1 (ab token 0's activation block),
// then the float step.
template <class F, class Sums>
struct SuperBlockBody {
    // The kernels ask for the group block after next, a quarter of it (and a little more) per
    // chunk of the loop. One block ahead came too late when streaming from memory: in an A/B on
    // 38 MB of Q4_K groups, one token, two blocks ahead took 0.77x the time of the previous
    // kernel, one block 0.94-0.98x.
    static constexpr int kPrefetchLines = (F::kBlockBytes / 4 + 63) / 64;

    static void prefetch_chunk(const uint8_t* gb, int chunk) {
        const uint8_t* ahead = gb + 2 * F::kBlockBytes + 64 * kPrefetchLines * chunk;
        for (int line = 0; line < kPrefetchLines; ++line) prefetch(ahead + 64 * line);
    }

    template <int C>
    struct Tokens {
        static void run(int64_t n, const uint8_t* group, const uint8_t* a, size_t a_stride,
                        float* out, size_t out_stride) {
            __m256 sum[C];
#pragma GCC unroll 4
            for (__m256& v : sum) v = _mm256_setzero_ps();
            for (int64_t b = 0; b < n / kQKK; ++b) {
                const uint8_t* gb = group + b * F::kBlockBytes;
                const uint8_t* ab = a + b * sizeof(BlockQ8_K);
                __m256i isum[C];
#pragma GCC unroll 4
                for (__m256i& v : isum) v = _mm256_setzero_si256();
                if constexpr (F::kHighBits) {
                    // Q5_K: the chunk picks each sub-block's qh bit. As a constant it is an
                    // immediate shift; a runtime one cost a variable shift and a branch per
                    // weight chunk (BM_VecDotPacked, 1 token: 0.6x the time as constants).
                    [&]<int... kChunk>(std::integer_sequence<int, kChunk...>) {
                        (
                            [&] {
                                prefetch_chunk(gb, kChunk);
                                // Unrolled, GCC would hoist all four chunks' requests to the
                                // block's start, and that burst slowed a streaming GEMV (BM_Gemv
                                // Q5_K, 1 thread: 9 against 11-13 GB/s): this keeps them in place.
                                asm volatile("" ::: "memory");
                                Sums::template add_sub_blocks<C>(
                                    gb, ab, a_stride, std::integral_constant<int, kChunk>{}, isum);
                            }(),
                            ...);
                    }
                    (std::make_integer_sequence<int, 4>{});
                } else {
#pragma GCC unroll 1
                    for (int chunk = 0; chunk < 4; ++chunk) {  // 64 elements: 2 sub-blocks
                        prefetch_chunk(gb, chunk);
                        Sums::template add_sub_blocks<C>(gb, ab, a_stride, chunk, isum);
                    }
                }
                accumulate_super_block<C>(sum, gb, ab, a_stride, isum);
            }
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) _mm256_storeu_ps(out + c * out_stride, sum[c]);
        }
    };
};

}  // namespace q4_k

// Q6_K's group super-block (packed_q6_k.cpp describes it).
namespace q6_k {

inline constexpr size_t kScalePairsOffset = kScalesBytes;        // 8 × 16 bytes
inline constexpr size_t kQhOffset = kScalePairsOffset + 8 * 16;  // 16 chunks
inline constexpr size_t kQlOffset = kQhOffset + 16 * 32;         // 32 chunks
inline constexpr size_t kGroupBlockBytes = kQlOffset + 32 * 32;
static_assert(kGroupBlockBytes == kPackRows * sizeof(BlockQ6_K), "the rows' bytes, moved");

// Two group blocks ahead, as Q4_K's (q4_k::SuperBlockBody says why): a block is 26.25 lines,
// each half of the loop asks for the next 14.
inline constexpr size_t kPrefetchBytes = 2 * kGroupBlockBytes;
inline constexpr int kPrefetchLines = 14;

// Scale pair i of the 8 rows: lane r = (scales[2i], scales[2i + 1]) of row r as int16.
inline __m256i load_scale_pair(const uint8_t* gb, int i) {
    return _mm256_cvtepi8_epi16(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(gb + kScalePairsOffset + 16 * i)));
}

// The unsigned quants (q + 32, 0..63) of elements 128n + 32k + 4m .. +3 of each row, row r in
// lane r (k = 0..3, m = 0..7): low nibbles from ql chunk 16n + m (k = 0, 2: its low or high
// nibbles) or 16n + 8 + m (k = 1, 3), and bit pair k of qh chunk 8n + m as bits 4-5.
template <int k>
inline __m256i quant_chunk(const uint8_t* gb, int n, int m) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    const __m256i bits45 = _mm256_set1_epi8(0x30);
    const __m256i ql = load_32_bytes(gb + kQlOffset + 32 * (16 * n + 8 * (k % 2) + m));
    const __m256i qh = load_32_bytes(gb + kQhOffset + 32 * (8 * n + m));
    const __m256i low = _mm256_and_si256(k < 2 ? ql : _mm256_srli_epi16(ql, 4), low4);
    // Bit pair k moved to bits 4-5 of the same byte (the mask drops what the 16-bit shifts carry
    // across bytes).
    __m256i high = qh;
    if constexpr (k == 0) high = _mm256_slli_epi16(qh, 4);
    if constexpr (k == 1) high = _mm256_slli_epi16(qh, 2);
    if constexpr (k == 3) high = _mm256_srli_epi16(qh, 2);
    return _mm256_or_si256(low, _mm256_and_si256(high, bits45));
}

// Where token c's 4 activation quants for quant_chunk<k>(gb, n, m) sit in its BlockQ8_K.
inline size_t act_offset(int n, int k, int m) {
    return offsetof(BlockQ8_K, qs) + 128 * n + 32 * k + 4 * m;
}

// -32·Σ_g scales[g]·bsums[g] of one token's activation block, lane r row r: the correction
// that turns Σ scales[g]·(q + 32)·q_a into ref's Σ scales[g]·q·q_a.
inline __m256i offset_sum(const uint8_t* gb, const uint8_t* act_block) {
    __m256i s = _mm256_setzero_si256();
    for (int i = 0; i < 8; ++i) {
        const uint8_t* bsum_pair = act_block + offsetof(BlockQ8_K, bsums) + 4 * i;
        s = _mm256_add_epi32(s,
                             _mm256_madd_epi16(load_scale_pair(gb, i), broadcast_word(bsum_pair)));
    }
    return _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(s, 5));
}

// C tokens (1..4) against one Q6_K group (a for_tokens kernel): per super-block, the rows'
// isum = Σ_g scales[g]·S_g from offset_sum and Sums::add_quant_sums<C>(gb, ab, a_stride, n, k,
// isum), which adds the products of quant_chunk<k>(gb, n, m) for m = 0..7 (ab token 0's
// activation block), then ref's float step: sum += (d·d_a)·isum, unfused.
template <class Sums>
struct SuperBlockBody {
    template <int C>
    struct Tokens {
        static void run(int64_t n_elems, const uint8_t* group, const uint8_t* a, size_t a_stride,
                        float* out, size_t out_stride) {
            __m256 sum[C];
#pragma GCC unroll 4
            for (__m256& v : sum) v = _mm256_setzero_ps();
            for (int64_t b = 0; b < n_elems / kQKK; ++b) {
                const uint8_t* gb = group + b * kGroupBlockBytes;
                const uint8_t* ab = a + b * sizeof(BlockQ8_K);
                __m256i isum[C];
#pragma GCC unroll 4
                for (int c = 0; c < C; ++c) isum[c] = offset_sum(gb, ab + c * a_stride);
#pragma GCC unroll 1
                for (int n = 0; n < 2; ++n) {
                    const uint8_t* ahead = gb + kPrefetchBytes + 64 * kPrefetchLines * n;
                    for (int line = 0; line < kPrefetchLines; ++line) prefetch(ahead + 64 * line);
                    Sums::template add_quant_sums<C, 0>(gb, ab, a_stride, n, isum);
                    Sums::template add_quant_sums<C, 1>(gb, ab, a_stride, n, isum);
                    Sums::template add_quant_sums<C, 2>(gb, ab, a_stride, n, isum);
                    Sums::template add_quant_sums<C, 3>(gb, ab, a_stride, n, isum);
                }
                const __m256 d_w = load_row_scales(gb);
#pragma GCC unroll 4
                for (int c = 0; c < C; ++c) {
                    float d_a = 0.0f;
                    std::memcpy(&d_a, ab + c * a_stride + offsetof(BlockQ8_K, d), sizeof(d_a));
                    const __m256 scale = _mm256_mul_ps(d_w, _mm256_set1_ps(d_a));
                    sum[c] =
                        _mm256_add_ps(sum[c], _mm256_mul_ps(scale, _mm256_cvtepi32_ps(isum[c])));
                }
            }
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) _mm256_storeu_ps(out + c * out_stride, sum[c]);
        }
    };
};

}  // namespace q6_k

}  // namespace
}  // namespace glmserve::kernels::avx2::detail
