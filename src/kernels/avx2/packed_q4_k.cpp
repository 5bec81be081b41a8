// Row-interleaved Q4_K and Q5_K groups (KernelTable::pack_rows / vec_dot_packed; see packed.cpp
// for why rows are interleaved) and their dot products with Q8_K activations.
//
// Layout of a group super-block, 8 rows of 256 elements (1184 bytes: the rows' 1152 plus 32,
// since the 6-bit scales and mins are stored decoded, one byte each, so that a sub-block's
// scales reach their lanes with one byte shuffle instead of a dozen shifts and masks; a GEMV
// thus reads 2.8% more than the rows' own bytes):
//   d[8], dmin[8]   the rows' fp16 factors, row r at [r]                            32 bytes
//   sc[8][8]        sc[j][r]: 6-bit scale of sub-block j of row r, one byte           64 bytes
//   m[8][8]         m[j][r]: its 6-bit min                                            64 bytes
//   qs              32 chunks of 32 bytes; row r's quant bytes 4k..4k+3 at 4r of
//                   chunk k. Byte 32c + l of a row holds element 64c + l (low
//                   nibble, sub-block 2c) and 64c + 32 + l (high nibble, 2c + 1)    1024 bytes
// Q5_K's (1440 bytes) is the same followed by its fifth bits, as in its rows:
//   qh              8 chunks of 32 bytes; row r's qh bytes 4k..4k+3 at 4r of chunk k:
//                   bit 2c (2c + 1) of byte l is the fifth bit of the element whose
//                   nibble is the low (high) one of quant byte 32c + l                 256 bytes
//
// Arithmetic, lane r for row r, as ref's dot_k_superblock (all integer steps exact, so their
// order is free; the float step is ref's, in ref's order, so the result is vec_dot's bit for
// bit):
//   isum = Σ_j sc_j · S_j, S_j the exact sum of sub-block j: its 8 chunks' maddubs pair sums
//          added in int16 (Q4_K: each at most 2·15·128 = 3840, eight 30720; Q5_K: 7936, so
//          four at a time), widened by a madd with sc_j in both int16 halves of the lane;
//   msum = Σ_j m_j · (bsums[2j] + bsums[2j+1]): the activation's 16 bsums folded to 8 once
//          per token (|sum| ≤ 32·128), then one madd per pair of sub-blocks;
//   sum += (d·d_a)·isum - (dmin·d_a)·msum, unfused (-ffp-contract=off) like ref.
// A weight chunk is loaded and its nibbles split once for up to kMaxActRows tokens.
// Thread: pure functions.
#include <immintrin.h>

#include <cstddef>
#include <cstring>

#include "kernels/avx2/packed.h"
#include "kernels/avx2/packed_common.h"
#include "kernels/avx2/packed_formats.h"
#include "kernels/quant_blocks.h"
#include "kernels/ref/ref_kernels.h"

namespace glmserve::kernels::avx2 {

namespace {

using detail::broadcast_word;
using detail::keep_in_register;
using detail::q4_k::kDminOffset;
using detail::q4_k::kMinOffset;
using detail::q4_k::kQuantsOffset;
using detail::q4_k::kScOffset;
using detail::q4_k::kSubBlocks;
using detail::q4_k::lane_pair_control;
using detail::q4_k::load_sub_block_pair;
using detail::q4_k::Q4KGroup;
using detail::q4_k::Q5KGroup;
using detail::q4_k::quant_chunk;
using detail::q4_k::SuperBlockBody;

// Block b of 8 rows -> one group block: the factors, the decoded scales and mins, the quant
// bytes 4 at a time into the chunks, and for Q5_K its qh bytes the same way into the plane.
template <class F, class Block>
void pack_block(const uint8_t* rows, size_t row_bytes, int64_t b, uint8_t* dst) {
    for (int r = 0; r < kPackRows; ++r) {
        const uint8_t* src = rows + static_cast<size_t>(r) * row_bytes + b * sizeof(Block);
        std::memcpy(dst + 2 * r, src + offsetof(Block, d), 2);
        std::memcpy(dst + kDminOffset + 2 * r, src + offsetof(Block, dmin), 2);
        uint8_t sc[kSubBlocks], m[kSubBlocks];
        ref::unpack_k_scales(src + offsetof(Block, scales), sc, m);
        for (int j = 0; j < kSubBlocks; ++j) {
            dst[kScOffset + kPackRows * j + r] = sc[j];
            dst[kMinOffset + kPackRows * j + r] = m[j];
        }
        for (size_t k = 0; k < sizeof(Block::qs) / 4; ++k) {
            std::memcpy(dst + kQuantsOffset + 32 * k + 4 * r, src + offsetof(Block, qs) + 4 * k, 4);
        }
        if constexpr (F::kHighBits) {
            for (size_t k = 0; k < sizeof(BlockQ5_K::qh) / 4; ++k) {
                std::memcpy(dst + F::kQhOffset + 32 * k + 4 * r, src + offsetof(Block, qh) + 4 * k,
                            4);
            }
        }
    }
}

// isum[c] += sc · S for sub-block 2·chunk + kHigh (kHigh: the high nibbles) of C tokens: the
// maddubs pair sums of its 8 chunks added in int16, widened by one madd with sc. Q4_K's pairs
// are at most 2·15·128 = 3840, so all 8 chunks fit (30720); Q5_K's reach 2·31·128 = 7936, so
// it widens every 4 chunks (31744).
template <class F, int C, int kHigh, class Chunk>
inline void add_sub_block(const uint8_t* gb, const uint8_t* ab, size_t a_stride, Chunk chunk,
                          __m256i sc, __m256i (&isum)[C]) {
    constexpr int kChunksInInt16 = F::kHighBits ? 4 : 8;
    __m256i s[C];  // int16 pair sums, lane r row r
#pragma GCC unroll 4
    for (__m256i& v : s) v = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) {
        const __m256i w = quant_chunk<F, kHigh>(gb, chunk, k);
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
            const uint8_t* q_a = ab + c * a_stride + offsetof(BlockQ8_K, qs) + 64 * chunk;
            s[c] = _mm256_add_epi16(
                s[c], _mm256_maddubs_epi16(w, broadcast_word(q_a + 32 * kHigh + 4 * k)));
            keep_in_register(s[c]);
        }
        if (k % kChunksInInt16 == kChunksInInt16 - 1) {
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) {
                isum[c] = _mm256_add_epi32(isum[c], _mm256_madd_epi16(s[c], sc));
                s[c] = _mm256_setzero_si256();
            }
        }
    }
}

// isum = Σ_j sc_j·S_j of a group super-block, two sub-blocks at a time (SuperBlockBody's Sums):
// each sub-block's 6-bit scales shuffled to both int16 halves of their lanes, for the madd.
template <class F>
struct KSums {
    template <int C, class Chunk>
    static void add_sub_blocks(const uint8_t* gb, const uint8_t* ab, size_t a_stride, Chunk chunk,
                               __m256i (&isum)[C]) {
        const __m256i sc = load_sub_block_pair(gb + kScOffset + 16 * chunk);
        add_sub_block<F, C, 0>(gb, ab, a_stride, chunk,
                               _mm256_shuffle_epi8(sc, lane_pair_control(0, 0)), isum);
        add_sub_block<F, C, 1>(gb, ab, a_stride, chunk,
                               _mm256_shuffle_epi8(sc, lane_pair_control(8, 8)), isum);
    }
};

// One format's table entries.
template <class F, class Block>
void set_k_format(TypeKernels& k) {
    detail::set_packed<kQKK, F::kBlockBytes, pack_block<F, Block>,
                       SuperBlockBody<F, KSums<F>>::template Tokens>(k);
}

}  // namespace

void add_packed_k_kernels(KernelTable& t) {
    set_k_format<Q4KGroup, BlockQ4_K>(t[TensorType::Q4_K]);
    set_k_format<Q5KGroup, BlockQ5_K>(t[TensorType::Q5_K]);
}

}  // namespace glmserve::kernels::avx2
