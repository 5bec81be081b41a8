// Row-interleaved Q4_K groups (KernelTable::pack_rows / vec_dot_packed; see packed.cpp for why
// rows are interleaved) and their dot product with Q8_K activations.
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
//
// Arithmetic, lane r for row r, as ref's dot_k_superblock (all integer steps exact, so their
// order is free; the float step is ref's, in ref's order, so the result is vec_dot's bit for
// bit):
//   isum = Σ_j sc_j · S_j, S_j the exact sum of sub-block j: its 8 chunks' maddubs pair sums
//          added in int16 (each at most 2·15·128 = 3840, eight 30720), widened by one madd
//          with sc_j in both int16 halves of the lane;
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
#include "kernels/quant_blocks.h"
#include "kernels/ref/ref_kernels.h"

namespace glmserve::kernels::avx2 {

namespace {

using detail::broadcast_word;
using detail::keep_in_register;
using detail::load_32_bytes;
using detail::load_row_scales;
using detail::prefetch;

constexpr int kSubBlocks = 8;
constexpr size_t kDminOffset = detail::kScalesBytes;
constexpr size_t kScOffset = 2 * detail::kScalesBytes;             // sc[j][r] at 8j + r
constexpr size_t kMinOffset = kScOffset + kSubBlocks * kPackRows;  // m[j][r] at 8j + r
constexpr size_t kQuantsOffset = kMinOffset + kSubBlocks * kPackRows;
constexpr size_t kGroupBlockBytes = kQuantsOffset + kPackRows * sizeof(BlockQ4_K::qs);
static_assert(kGroupBlockBytes == kPackRows * sizeof(BlockQ4_K) + 32, "the comment's 1184");

// How far ahead the kernel asks for weights: two group blocks. One block (about the shared
// kPrefetchBytes) came too late when streaming from memory: in an A/B on 38 MB of groups, one
// token, two blocks ahead took 0.77x the time of the previous kernel, one block 0.94-0.98x.
constexpr size_t kPrefetchBytes = 2 * kGroupBlockBytes;

void pack_block(const uint8_t* rows, size_t row_bytes, int64_t b, uint8_t* dst) {
    for (int r = 0; r < kPackRows; ++r) {
        const uint8_t* src = rows + static_cast<size_t>(r) * row_bytes + b * sizeof(BlockQ4_K);
        std::memcpy(dst + 2 * r, src + offsetof(BlockQ4_K, d), 2);
        std::memcpy(dst + kDminOffset + 2 * r, src + offsetof(BlockQ4_K, dmin), 2);
        uint8_t sc[kSubBlocks], m[kSubBlocks];
        ref::unpack_k_scales(src + offsetof(BlockQ4_K, scales), sc, m);
        for (int j = 0; j < kSubBlocks; ++j) {
            dst[kScOffset + kPackRows * j + r] = sc[j];
            dst[kMinOffset + kPackRows * j + r] = m[j];
        }
        for (size_t k = 0; k < sizeof(BlockQ4_K::qs) / 4; ++k) {
            std::memcpy(dst + kQuantsOffset + 32 * k + 4 * r, src + offsetof(BlockQ4_K, qs) + 4 * k,
                        4);
        }
    }
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

// s[c] += the int16 pair sums of chunk k (its nibbles kHigh) times token c's quants.
template <int C, int kHigh>
inline void add_chunk(const uint8_t* q, const uint8_t* ab, size_t a_stride, int chunk, int k,
                      __m256i (&s)[C]) {
    __m256i w = load_32_bytes(q + 32 * (8 * chunk + k));
    if constexpr (kHigh == 1) w = _mm256_srli_epi16(w, 4);
    w = _mm256_and_si256(w, _mm256_set1_epi8(0x0F));
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
        const uint8_t* q_a = ab + c * a_stride + offsetof(BlockQ8_K, qs) + 64 * chunk;
        s[c] = _mm256_add_epi16(s[c],
                                _mm256_maddubs_epi16(w, broadcast_word(q_a + 32 * kHigh + 4 * k)));
        keep_in_register(s[c]);
    }
}

// isum[c] += sc · S for sub-block 2·chunk + kHigh (kHigh: the high nibbles) of C tokens.
template <int C, int kHigh>
inline void add_sub_block(const uint8_t* q, const uint8_t* ab, size_t a_stride, int chunk,
                          __m256i sc, __m256i (&isum)[C]) {
    __m256i s[C];  // int16 pair sums, lane r row r
#pragma GCC unroll 4
    for (__m256i& v : s) v = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) add_chunk<C, kHigh>(q, ab, a_stride, chunk, k, s);
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) isum[c] = _mm256_add_epi32(isum[c], _mm256_madd_epi16(s[c], sc));
}

// msum of one token: Σ_j m_j · (bsums[2j] + bsums[2j+1]), lane r row r; m_pairs[i] holds
// (m_2i, m_2i+1) of each row.
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

// C tokens against one Q4_K group.
template <int C>
struct Q4KBody {
    static void run(int64_t n, const uint8_t* group, const uint8_t* a, size_t a_stride, float* out,
                    size_t out_stride) {
        const __m256i dup_low = lane_pair_control(0, 0);
        const __m256i dup_high = lane_pair_control(8, 8);
        __m256 sum[C];
#pragma GCC unroll 4
        for (__m256& v : sum) v = _mm256_setzero_ps();
        for (int64_t b = 0; b < n / kQKK; ++b) {
            const uint8_t* gb = group + b * kGroupBlockBytes;
            const uint8_t* ab = a + b * sizeof(BlockQ8_K);
            const uint8_t* q = gb + kQuantsOffset;
            __m256i isum[C];
#pragma GCC unroll 4
            for (__m256i& v : isum) v = _mm256_setzero_si256();
#pragma GCC unroll 1
            for (int chunk = 0; chunk < 4; ++chunk) {  // 64 elements: sub-blocks 2·chunk, +1
                // The group block after next, a quarter of it (and a little more) per chunk.
                const uint8_t* ahead = gb + kPrefetchBytes + 320 * chunk;
                for (int line = 0; line < 5; ++line) prefetch(ahead + 64 * line);
                const __m256i sc = load_sub_block_pair(gb + kScOffset + 16 * chunk);
                add_sub_block<C, 0>(q, ab, a_stride, chunk, _mm256_shuffle_epi8(sc, dup_low), isum);
                add_sub_block<C, 1>(q, ab, a_stride, chunk, _mm256_shuffle_epi8(sc, dup_high),
                                    isum);
            }
            const __m256i pair = lane_pair_control(0, 8);
            const __m256i m_pairs[4] = {
                _mm256_shuffle_epi8(load_sub_block_pair(gb + kMinOffset), pair),
                _mm256_shuffle_epi8(load_sub_block_pair(gb + kMinOffset + 16), pair),
                _mm256_shuffle_epi8(load_sub_block_pair(gb + kMinOffset + 32), pair),
                _mm256_shuffle_epi8(load_sub_block_pair(gb + kMinOffset + 48), pair)};
            const __m256 d_w = load_row_scales(gb);
            const __m256 dmin_w = load_row_scales(gb + kDminOffset);
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) {
                const uint8_t* act = ab + c * a_stride;
                float d_a = 0.0f;
                std::memcpy(&d_a, act + offsetof(BlockQ8_K, d), sizeof(d_a));
                const __m256 da = _mm256_set1_ps(d_a);
                const __m256 scaled =
                    _mm256_mul_ps(_mm256_mul_ps(d_w, da), _mm256_cvtepi32_ps(isum[c]));
                const __m256 mins = _mm256_mul_ps(_mm256_mul_ps(dmin_w, da),
                                                  _mm256_cvtepi32_ps(min_sum(m_pairs, act)));
                sum[c] = _mm256_add_ps(sum[c], _mm256_sub_ps(scaled, mins));
            }
        }
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) _mm256_storeu_ps(out + c * out_stride, sum[c]);
    }
};

}  // namespace

uint64_t packed_group_bytes_q4_k(int64_t n) {
    return static_cast<uint64_t>(n / kQKK) * kGroupBlockBytes;
}

void pack_rows_q4_k(int64_t n, const void* rows, size_t row_bytes, void* group) {
    const auto* src = static_cast<const uint8_t*>(rows);
    auto* dst = static_cast<uint8_t*>(group);
    for (int64_t b = 0; b < n / kQKK; ++b) {
        pack_block(src, row_bytes, b, dst + b * kGroupBlockBytes);
    }
}

void vec_dot_packed_q4_k_q8_k(int64_t n, const void* group, const void* a, size_t act_stride,
                              int n_act, float* out, size_t out_stride) {
    detail::for_tokens<4, Q4KBody>(n, group, a, act_stride, n_act, out, out_stride);
}

}  // namespace glmserve::kernels::avx2
