// Row-interleaved Q8_0, Q4_0, Q5_0, Q4_1 and Q5_1 groups and their dot products (Q4_K's and
// Q5_K's: packed_q4_k.cpp, Q6_K's: packed_q6_k.cpp).
//
// Why interleave: the row-major kernels (q_legacy.cpp) hold one weight row per vector, so each
// block's int sum needs a horizontal reduction (hadd trees) before its scale applies, and those
// shuffles are most of their instructions. A group of kPackRows = 8 rows stores the same 4
// columns of all 8 rows in one 32-byte vector: an activation word (4 quants) broadcast to every
// lane times that vector gives each row's partial sum in its own 32-bit lane. Sums accumulate
// vertically, and a block ends with one conversion and one FMA for all 8 rows.
//
// Layout of a group of 8 rows of n values: the blocks in order, each block
//   d[8]      the rows' fp16 scales, row r at d[r]                          16 bytes
//   then 32-byte chunks, row r's 4 bytes of chunk k at offset 4r:
//     Q8_0:   8 chunks; chunk k holds quants 4k..4k+3                         256 bytes
//     Q4_0:   4 chunks; chunk k holds the packed bytes 4k..4k+3 of BlockQ4_0: low nibbles are
//             elements 4k..4k+3, high nibbles elements 16+4k..16+4k+3           128 bytes
//     Q5_0:   Q4_0's 4 chunks of nibbles, then a bit plane: byte 4r + e holds row r's fifth
//             bits of chunk k's elements (4k + e at bit k, 16 + 4k + e at bit 4 + k), so that
//             one shift and one mask per chunk put them at 0x10 in the chunk's lanes  160 bytes
//   Q4_1, Q5_1: d[8], then m[8], the rows' fp16 mins (16 bytes), then Q4_0's or Q5_0's chunks
//             (and plane)
// so a block of the group is exactly as large as its 8 rows' blocks (272, 144, 176, 160 and
// 192 bytes).
// Q4_K's and Q5_K's layouts (their rows' bytes plus decoded scales) and arithmetic are described
// in packed_q4_k.cpp, Q6_K's in packed_q6_k.cpp.
//
// The arithmetic is the canonical order of q_legacy.cpp, lane r for row r: per block the exact
// int sum S of its 32 products, A = fma(d_w·d_a, S, A), out = A. Hence bit-identical to vec_dot.
// One FMA per block (not per half block) halves the float work per token and leaves 4 tokens'
// accumulators and int sums room in the 16 registers; keep_in_register (packed_common.h) keeps
// GCC from spilling them anyway. Before both, the 4-token Q4_0 body ran no faster per
// multiply-add than the 2-token one.
// Q4_0's quants are q - 8 with q in 0..15: the unsigned q enter _mm256_maddubs_epi16 as they are
// and the block's int32 sum starts at -8·Σ q_a, read from the activation suffix that matmul
// writes once per token (computing it per group was a fifth of a decode GEMV's time; the suffix
// also holds d_a as a float, for all three formats). Q5_0 is the same with q in 0..31 and
// -16·Σ q_a (the suffix word doubled). Q4_1 and Q5_1 take their Q8_1 activations as they are
// (no suffix): S starts at 0, and the min enters the float step, A = fma(m_w, s_a, A) after the
// scale's. Q8_0's signed quants use the sign trick (|q_w| times q_a with q_w's sign); its pair
// sums reach 2·128·127, so each is widened to int32 at once.
// Thread: pure functions.
#include "kernels/avx2/packed.h"

#include <immintrin.h>

#include <cstring>

#include "kernels/avx2/packed_common.h"
#include "kernels/avx2/packed_formats.h"
#include "kernels/quant_blocks.h"

namespace glmserve::kernels::avx2 {

namespace {

using detail::BlockBody;
using detail::broadcast_word;
using detail::keep_in_register;
using detail::kQ8_0GroupBlockBytes;
using detail::kScalesBytes;
using detail::kSuffixBlockBytes;
using detail::kSuffixScaleOffset;
using detail::load_32_bytes;
using detail::load_half;
using detail::load_plane;
using detail::nibble_chunk;
using detail::nibble_sum_start;
using detail::Q4_0Group;
using detail::Q4_1Group;
using detail::Q5_0Group;
using detail::Q5_1Group;
using detail::Q8_0Group;

// Moves block b of each of the 8 Q8_0 rows into group block `dst`: the scales, then the quant
// bytes 4 at a time into the chunks.
void pack_q8_0_block(const uint8_t* rows, size_t row_bytes, int64_t b, uint8_t* dst) {
    for (int r = 0; r < kPackRows; ++r) {
        const uint8_t* src = rows + static_cast<size_t>(r) * row_bytes + b * sizeof(BlockQ8_0);
        std::memcpy(dst + r * sizeof(uint16_t), src + offsetof(BlockQ8_0, d), sizeof(uint16_t));
        for (size_t k = 0; k < sizeof(BlockQ8_0::qs) / 4; ++k) {
            std::memcpy(dst + kScalesBytes + 32 * k + 4 * r, src + offsetof(BlockQ8_0, qs) + 4 * k,
                        4);
        }
    }
}

// s[c] += the products of chunk k of one Q8_0 group block for C tokens. A chunk's weights (and
// their absolute values) are loaded once for all C tokens.
template <int C>
inline void q8_0_add_chunk(const uint8_t* gb, const uint8_t* ab, size_t a_stride, int k,
                           __m256i (&s)[C]) {
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256i w = load_32_bytes(gb + kScalesBytes + 32 * k);
    const __m256i w_abs = _mm256_sign_epi8(w, w);
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
        const __m256i q_a = broadcast_word(ab + c * a_stride + offsetof(BlockQ8_0, qs) + 4 * k);
        const __m256i pairs = _mm256_maddubs_epi16(w_abs, _mm256_sign_epi8(q_a, w));
        s[c] = _mm256_add_epi32(s[c], _mm256_madd_epi16(pairs, ones));
        keep_in_register(s[c]);
    }
}

// The exact int sums S of one Q8_0 group block (BlockBody's Sums).
struct Q8_0Sums {
    template <int C>
    static void block_sums(const uint8_t* gb, const uint8_t* ab, const uint8_t* /*sb*/,
                           size_t a_stride, __m256i (&s)[C]) {
#pragma GCC unroll 4
        for (__m256i& v : s) v = _mm256_setzero_si256();
        // How far to unroll, measured in BM_VecDotPacked: fully for 1 and 4 tokens (0.9x the
        // time of half), half for 2 (fully took 1.1x).
        if constexpr (C == 2) {
#pragma GCC unroll 4
            for (int k = 0; k < 8; ++k) q8_0_add_chunk<C>(gb, ab, a_stride, k, s);
        } else {
#pragma GCC unroll 8
            for (int k = 0; k < 8; ++k) q8_0_add_chunk<C>(gb, ab, a_stride, k, s);
        }
    }
};

// p[c] += the int16 pair sums q_w·q_a of half kHalf (0: elements 0..15 against activation
// quants 0..15; 1: elements 16..31 against 16..31) of one nibble-format group block, for C
// tokens; the raw quants, before the offset.
template <class F, int C, int kHalf>
inline void add_half_pairs(const uint8_t* gb, const uint8_t* ab, size_t a_stride, __m256i plane,
                           __m256i plane_lo, __m256i (&p)[C]) {
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) {
        const __m256i w = nibble_chunk<F, kHalf>(gb, k, plane, plane_lo);
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
            const uint8_t* q_a = ab + c * a_stride + detail::act_quants<F>(4 * kHalf + k);
            p[c] = _mm256_add_epi16(p[c], _mm256_maddubs_epi16(w, broadcast_word(q_a)));
            keep_in_register(p[c]);
        }
    }
}

// The exact int sums S = Σ (q_w - offset)·q_a of one nibble-format group block for C tokens
// (BlockBody's Sums): -offset·Σ q_a from the suffix block `sb` (token 0's), plus the widened pair
// sums. Each int16 of a lane adds 16 of the 32 products q·q_a (two per chunk): Q4_0's reach
// 16·15·127 = 30480 and fit, so a whole block is summed in int16; Q5_0's reach 16·31·127 =
// 62992 and do not, so Q5_0 widens each half to int32 on its own.
template <class F>
struct NibbleSums {
    template <int C>
    static void block_sums(const uint8_t* gb, const uint8_t* ab, const uint8_t* sb, size_t a_stride,
                           __m256i (&s)[C]) {
        constexpr bool kBlockInInt16 = !F::kHighBits;
        const __m256i ones = _mm256_set1_epi16(1);
        __m256i plane, plane_lo;
        load_plane<F>(gb, plane, plane_lo);
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) s[c] = nibble_sum_start<F>(sb + c * a_stride);
        __m256i p[C];
#pragma GCC unroll 4
        for (__m256i& v : p) v = _mm256_setzero_si256();
        add_half_pairs<F, C, 0>(gb, ab, a_stride, plane, plane_lo, p);
        if constexpr (!kBlockInInt16) {
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) {
                s[c] = _mm256_add_epi32(s[c], _mm256_madd_epi16(p[c], ones));
                p[c] = _mm256_setzero_si256();
            }
        }
        add_half_pairs<F, C, 1>(gb, ab, a_stride, plane, plane_lo, p);
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) s[c] = _mm256_add_epi32(s[c], _mm256_madd_epi16(p[c], ones));
    }
};

// Block b of 8 rows of a nibble format -> one group block: the d (and m) fields, the nibble
// bytes 4 at a time into the chunks, and for Q5_0 / Q5_1 the bit plane, where byte 4r + e holds
// row r's high bits of elements 4k + e at bit k and 16 + 4k + e at bit 4 + k, k = 0..3 (the
// chunk).
template <class F, class Block>
void pack_nibble_block(const uint8_t* rows, size_t row_bytes, int64_t b, uint8_t* dst) {
    for (int r = 0; r < kPackRows; ++r) {
        const uint8_t* src = rows + static_cast<size_t>(r) * row_bytes + b * sizeof(Block);
        std::memcpy(dst + r * sizeof(uint16_t), src + offsetof(Block, d), sizeof(uint16_t));
        if constexpr (F::kHasMin) {
            std::memcpy(dst + kScalesBytes + r * sizeof(uint16_t), src + offsetof(Block, m),
                        sizeof(uint16_t));
        }
        for (size_t k = 0; k < 4; ++k) {
            std::memcpy(dst + F::kQuantsOffset + 32 * k + 4 * r, src + offsetof(Block, qs) + 4 * k,
                        4);
        }
        if constexpr (F::kHighBits) {
            uint32_t qh = 0;
            std::memcpy(&qh, src + offsetof(Block, qh), sizeof(qh));
            for (int e = 0; e < 4; ++e) {
                uint8_t byte = 0;
                for (int k = 0; k < 4; ++k) {
                    byte |= static_cast<uint8_t>(((qh >> (4 * k + e)) & 1u) << k);
                    byte |= static_cast<uint8_t>(((qh >> (16 + 4 * k + e)) & 1u) << (4 + k));
                }
                dst[F::kPlaneOffset + 4 * r + e] = byte;
            }
        }
    }
}

// The suffix of a Q8_0 activation row (KernelTable::write_act_suffix), which the Q8_0, Q4_0
// and Q5_0 kernels share: per block, -8·Σ q_a and d as a float (see packed_formats.h).
uint64_t q8_0_act_suffix_bytes(int64_t n) {
    return static_cast<uint64_t>(n / kQK) * kSuffixBlockBytes;
}

void write_q8_0_act_suffix(int64_t n, const void* act_row, void* suffix) {
    const auto* blocks = static_cast<const uint8_t*>(act_row);
    auto* dst = static_cast<uint8_t*>(suffix);
    for (int64_t b = 0; b < n / kQK; ++b) {
        const uint8_t* block = blocks + b * sizeof(BlockQ8_0);
        uint8_t* out = dst + b * kSuffixBlockBytes;
        int32_t sum = 0;
        for (int i = 0; i < kQK; ++i)
            sum += static_cast<int8_t>(block[offsetof(BlockQ8_0, qs) + i]);
        const int32_t start = -8 * sum;
        std::memcpy(out, &start, sizeof(start));
        const float d = load_half(block + offsetof(BlockQ8_0, d));
        std::memcpy(out + kSuffixScaleOffset, &d, sizeof(d));
    }
}

// One nibble format's table entries.
template <class F, class Block>
void set_nibble_format(TypeKernels& k) {
    detail::set_packed<kQK, F::kBlockBytes, pack_nibble_block<F, Block>,
                       BlockBody<F, NibbleSums<F>>::template Tokens>(k);
}

}  // namespace

void add_packed_kernels(KernelTable& t) {
    // One suffix (and writer) for the three Q8_0-activation formats, so that one conversion
    // serves them all in a matmul_many.
    for (const TensorType type : {TensorType::Q8_0, TensorType::Q4_0, TensorType::Q5_0}) {
        t[type].act_suffix_bytes = q8_0_act_suffix_bytes;
        t[type].write_act_suffix = write_q8_0_act_suffix;
    }
    detail::set_packed<kQK, kQ8_0GroupBlockBytes, pack_q8_0_block,
                       BlockBody<Q8_0Group, Q8_0Sums>::Tokens>(t[TensorType::Q8_0]);
    set_nibble_format<Q4_0Group, BlockQ4_0>(t[TensorType::Q4_0]);
    set_nibble_format<Q5_0Group, BlockQ5_0>(t[TensorType::Q5_0]);
    set_nibble_format<Q4_1Group, BlockQ4_1>(t[TensorType::Q4_1]);
    set_nibble_format<Q5_1Group, BlockQ5_1>(t[TensorType::Q5_1]);
    add_packed_k_kernels(t);
    add_packed_q6_k_kernels(t);
}

}  // namespace glmserve::kernels::avx2
