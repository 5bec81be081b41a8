// The AVX-512 VNNI int sums of the row-interleaved groups. Everything else (layouts, block loops,
// prefetching, activation suffix, float steps) is the AVX2 kernels', from
// src/kernels/avx2/packed_formats.h, so the results are theirs bit for bit.
//
// What VNNI changes: vpdpbusd adds the 4 products u8·s8 of each 32-bit lane into that lane's
// int32, with no int16 step that could saturate. One instruction per weight chunk (8 rows × 4
// quants) and token replaces
//   Q8_0:        AVX2's sign + maddubs + madd + add. The signed quants become unsigned by
//                flipping their top bit (q + 128), once per chunk for all tokens, and each block
//                sum starts at -128·Σ q_a (16 times the suffix word) to take the 128 back out.
//   Q4_0, Q5_0,  maddubs + add and the widening madds: the nibbles (Q5_0, Q5_1: with their
//   Q4_1, Q5_1:  high bit) enter as they are; the sums start from the suffix word (Q4_1, Q5_1:
//                from 0) as in AVX2.
//   Q4_K, Q5_K,  the same per sub-block, S_j from its chunks (8, Q6_K's 4); then
//   Q6_K:        isum += sc_j·S_j (vpmulld).
// Every sum stays exact in int32 (Q8_0's largest, 32·255·128 before the correction).
// Q6_K's quants enter as q + 32 (0..63), and q6_k::offset_sum takes the 32 back, as in AVX2.
// The vectors are 256-bit (AVX512VL), so the layouts and the 8-lane float steps are AVX2's
// unchanged; Zen 4 runs 512-bit VNNI at the same rate per multiply-add as 256-bit.
//
// Built twice: for the kernel table with the avx512 flags, and for the kernels test with
// GLMSERVE_EMULATE_AVX512, where SIMDe's portable intrinsics stand in for the AVX-512 ones
// (namespace avx512_emulated), so that CPUs without AVX-512 check this arithmetic.
// Thread: pure functions.
#include "kernels/avx512/packed_vnni.h"

// Before any header that includes <immintrin.h> itself: intrinsics.h silences GCC 12's false
// warnings from inside it.
// clang-format off
#include "kernels/avx512/intrinsics.h"
// clang-format on

#include <cstddef>

#include "kernels/avx2/packed_common.h"
#include "kernels/avx2/packed_formats.h"
#include "kernels/quant_blocks.h"

namespace glmserve::kernels::GLMSERVE_AVX512_NAMESPACE {

namespace {

using avx2::detail::BlockBody;
using avx2::detail::broadcast_word;
using avx2::detail::for_tokens;
using avx2::detail::kScalesBytes;
using avx2::detail::load_32_bytes;
using avx2::detail::load_plane;
using avx2::detail::nibble_chunk;
using avx2::detail::nibble_sum_start;
using avx2::detail::Q4_0Group;
using avx2::detail::Q4_1Group;
using avx2::detail::Q5_0Group;
using avx2::detail::Q5_1Group;
using avx2::detail::Q8_0Group;
// The two K-quant families' layouts and loops; their names (quant_chunk, SuperBlockBody) clash.
namespace q4_k = avx2::detail::q4_k;
namespace q6_k = avx2::detail::q6_k;

// Token c's 4 activation quants at byte `offset` of its block, in every lane.
inline __m256i act_word(const uint8_t* ab, size_t a_stride, int c, size_t offset) {
    return broadcast_word(ab + c * a_stride + offset);
}

// Q8_0 (BlockBody's Sums): Σ (q_w + 128)·q_a - 128·Σ q_a.
struct Q8_0Sums {
    template <int C>
    static void block_sums(const uint8_t* gb, const uint8_t* ab, const uint8_t* sb, size_t a_stride,
                           __m256i (&s)[C]) {
        const __m256i top_bit = _mm256_set1_epi8(static_cast<char>(0x80));
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) s[c] = _mm256_slli_epi32(broadcast_word(sb + c * a_stride), 4);
#pragma GCC unroll 8
        for (int k = 0; k < 8; ++k) {
            const __m256i w = _mm256_xor_si256(load_32_bytes(gb + kScalesBytes + 32 * k), top_bit);
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) {
                s[c] = _mm256_dpbusd_epi32(
                    s[c], w, act_word(ab, a_stride, c, offsetof(BlockQ8_0, qs) + 4 * k));
            }
        }
    }
};

// The nibble formats (BlockBody's Sums): the suffix word's -offset·Σ q_a (0 for Q4_1, Q5_1),
// plus Σ q·q_a.
template <class F>
struct NibbleSums {
    template <int C>
    static void block_sums(const uint8_t* gb, const uint8_t* ab, const uint8_t* sb, size_t a_stride,
                           __m256i (&s)[C]) {
        __m256i plane, plane_lo;
        load_plane<F>(gb, plane, plane_lo);
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) s[c] = nibble_sum_start<F>(sb + c * a_stride);
        add_half<C, 0>(gb, ab, a_stride, plane, plane_lo, s);
        add_half<C, 1>(gb, ab, a_stride, plane, plane_lo, s);
    }

    // Half kHalf: elements 16·kHalf.. of the block against the same activation quants.
    template <int C, int kHalf>
    static void add_half(const uint8_t* gb, const uint8_t* ab, size_t a_stride, __m256i plane,
                         __m256i plane_lo, __m256i (&s)[C]) {
#pragma GCC unroll 4
        for (int k = 0; k < 4; ++k) {
            const __m256i w = nibble_chunk<F, kHalf>(gb, k, plane, plane_lo);
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) {
                s[c] = _mm256_dpbusd_epi32(
                    s[c], w, act_word(ab, a_stride, c, avx2::detail::act_quants<F>(4 * kHalf + k)));
            }
        }
    }
};

// Q4_K and Q5_K (q4_k::SuperBlockBody's Sums): isum += sc_j·S_j for sub-blocks 2·chunk (low
// nibbles) and 2·chunk + 1 (high nibbles) of the chunk's 64 elements.
template <class F>
struct KSums {
    template <int C, class Chunk>
    static void add_sub_blocks(const uint8_t* gb, const uint8_t* ab, size_t a_stride, Chunk chunk,
                               __m256i (&isum)[C]) {
        add_sub_block<C, 0>(gb, ab, a_stride, chunk, isum);
        add_sub_block<C, 1>(gb, ab, a_stride, chunk, isum);
    }

    template <int C, int kHigh, class Chunk>
    static void add_sub_block(const uint8_t* gb, const uint8_t* ab, size_t a_stride, Chunk chunk,
                              __m256i (&isum)[C]) {
        const int j = 2 * chunk + kHigh;
        // sc[j][r] of the 8 rows, widened to lane r.
        const __m256i sc = _mm256_cvtepu8_epi32(_mm_loadl_epi64(
            reinterpret_cast<const __m128i*>(gb + q4_k::kScOffset + kPackRows * j)));
        __m256i s[C];
#pragma GCC unroll 4
        for (__m256i& v : s) v = _mm256_setzero_si256();
#pragma GCC unroll 8
        for (int k = 0; k < 8; ++k) {
            const __m256i w = q4_k::quant_chunk<F, kHigh>(gb, chunk, k);
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) {
                const size_t offset = offsetof(BlockQ8_K, qs) + 64 * chunk + 32 * kHigh + 4 * k;
                s[c] = _mm256_dpbusd_epi32(s[c], w, act_word(ab, a_stride, c, offset));
            }
        }
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
            isum[c] = _mm256_add_epi32(isum[c], _mm256_mullo_epi32(s[c], sc));
        }
    }
};

// Q6_K (q6_k::SuperBlockBody's Sums): isum += scales[g]·S_g for sub-blocks g = 8n + 2k (chunks
// m = 0..3) and g + 1 (m = 4..7).
struct Q6KSums {
    template <int C, int k>
    static void add_quant_sums(const uint8_t* gb, const uint8_t* ab, size_t a_stride, int n,
                               __m256i (&isum)[C]) {
        // Lane r = (scales[g], scales[g + 1]) as int16 -> each sign-extended to an int32 lane.
        const __m256i pair = q6_k::load_scale_pair(gb, 4 * n + k);
        const __m256i scales[2] = {_mm256_srai_epi32(_mm256_slli_epi32(pair, 16), 16),
                                   _mm256_srai_epi32(pair, 16)};
#pragma GCC unroll 2
        for (int half = 0; half < 2; ++half) {
            __m256i s[C];
#pragma GCC unroll 4
            for (__m256i& v : s) v = _mm256_setzero_si256();
#pragma GCC unroll 4
            for (int m = 4 * half; m < 4 * half + 4; ++m) {
                const __m256i w = q6_k::quant_chunk<k>(gb, n, m);
#pragma GCC unroll 4
                for (int c = 0; c < C; ++c) {
                    s[c] = _mm256_dpbusd_epi32(
                        s[c], w, act_word(ab, a_stride, c, q6_k::act_offset(n, k, m)));
                }
            }
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) {
                isum[c] = _mm256_add_epi32(isum[c], _mm256_mullo_epi32(s[c], scales[half]));
            }
        }
    }
};

}  // namespace

void add_vnni_packed_kernels(KernelTable& t) {
    // for_tokens<4, Body> is a VecDotPackedFn: 4 tokens at a time, then the rest.
    t[TensorType::Q8_0].vec_dot_packed = for_tokens<4, BlockBody<Q8_0Group, Q8_0Sums>::Tokens>;
    t[TensorType::Q4_0].vec_dot_packed =
        for_tokens<4, BlockBody<Q4_0Group, NibbleSums<Q4_0Group>>::Tokens>;
    t[TensorType::Q5_0].vec_dot_packed =
        for_tokens<4, BlockBody<Q5_0Group, NibbleSums<Q5_0Group>>::Tokens>;
    t[TensorType::Q4_1].vec_dot_packed =
        for_tokens<4, BlockBody<Q4_1Group, NibbleSums<Q4_1Group>>::Tokens>;
    t[TensorType::Q5_1].vec_dot_packed =
        for_tokens<4, BlockBody<Q5_1Group, NibbleSums<Q5_1Group>>::Tokens>;
    t[TensorType::Q4_K].vec_dot_packed =
        for_tokens<4, q4_k::SuperBlockBody<q4_k::Q4KGroup, KSums<q4_k::Q4KGroup>>::Tokens>;
    t[TensorType::Q5_K].vec_dot_packed =
        for_tokens<4, q4_k::SuperBlockBody<q4_k::Q5KGroup, KSums<q4_k::Q5KGroup>>::Tokens>;
    t[TensorType::Q6_K].vec_dot_packed = for_tokens<4, q6_k::SuperBlockBody<Q6KSums>::Tokens>;
}

}  // namespace glmserve::kernels::GLMSERVE_AVX512_NAMESPACE
