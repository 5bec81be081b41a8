// Row-interleaved Q8_0, Q4_0 and Q4_K groups and their dot products.
//
// Why interleave: the row-major kernels (q_legacy.cpp) hold one weight row per vector, so each
// block's int sum needs a horizontal reduction (hadd trees) before its scale applies, and those
// shuffles are most of their instructions. A group of kPackRows = 8 rows stores the same 4
// columns of all 8 rows in one 32-byte vector: an activation word (4 quants) broadcast to every
// lane times that vector gives each row's partial sum in its own 32-bit lane. Sums accumulate
// vertically, and a block ends with one conversion and two FMAs for all 8 rows.
//
// Layout of a group of 8 rows of n values: the blocks in order, each block
//   d[8]      the rows' fp16 scales, row r at d[r]                          16 bytes
//   then 32-byte chunks, row r's 4 bytes of chunk k at offset 4r:
//     Q8_0:   8 chunks; chunk k holds quants 4k..4k+3                         256 bytes
//     Q4_0:   4 chunks; chunk k holds the packed bytes 4k..4k+3 of BlockQ4_0: low nibbles are
//             elements 4k..4k+3, high nibbles elements 16+4k..16+4k+3           128 bytes
// so a block of the group is exactly its 8 rows' blocks (272 and 144 bytes). Q4_K's layout and
// arithmetic are described with its kernel below.
//
// The arithmetic is the canonical order of q_legacy.cpp, lane r for row r: per block the exact
// int sums S_lo (elements 0..15) and S_hi (16..31), A_lo = fma(d_w·d_a, S_lo, A_lo), A_hi
// likewise, out = A_lo + A_hi. Hence bit-identical to vec_dot. (Q4_K follows ref's K-quant
// order instead, as its row-major kernels do.)
// Q4_0's quants are q - 8 with q in 0..15: the unsigned q enter _mm256_maddubs_epi16 as they are
// and 8·Σ q_a is subtracted per half (pair sums at most 2·15·127 = 3810, so four chunks add up
// in int16). Q8_0's signed quants use the sign trick (|q_w| times q_a with q_w's sign); its pair
// sums reach 2·128·127, so each is widened to int32 at once.
// Thread: pure functions.
#include "kernels/avx2/packed.h"

#include <immintrin.h>

#include <cstring>

#include "kernels/quant_blocks.h"

namespace glmserve::kernels::avx2 {

namespace {

constexpr int64_t kQ8_0GroupBlockBytes = kPackRows * sizeof(BlockQ8_0);  // 272
constexpr int64_t kQ4_0GroupBlockBytes = kPackRows * sizeof(BlockQ4_0);  // 144
constexpr size_t kScalesBytes = kPackRows * sizeof(uint16_t);

// How far ahead (bytes) the GEMV asks for the group's next weights: the group is one linear
// stream, so this only has to cover memory latency at the kernel's rate.
constexpr int64_t kPrefetchBytes = 1024;

inline __m256i load_32_bytes(const uint8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// The 4 bytes at p in every 32-bit lane.
inline __m256i broadcast_word(const uint8_t* p) {
    int32_t word = 0;
    std::memcpy(&word, p, sizeof(word));
    return _mm256_set1_epi32(word);
}

// The 8 rows' scales as floats, lane r = row r.
inline __m256 load_row_scales(const uint8_t* group_block) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(group_block)));
}

inline float load_half(const uint8_t* p) {
    uint16_t h = 0;
    std::memcpy(&h, p, sizeof(h));
    return _cvtsh_ss(h);
}

// Moves block b of each of the 8 rows into group block `dst`: the scales, then the quant bytes
// 4 at a time into the chunks.
template <class Block>
void pack_block(const uint8_t* rows, size_t row_bytes, int64_t b, uint8_t* dst) {
    constexpr size_t kQuantBytes = sizeof(Block::qs);
    for (int r = 0; r < kPackRows; ++r) {
        const uint8_t* src = rows + static_cast<size_t>(r) * row_bytes + b * sizeof(Block);
        std::memcpy(dst + r * sizeof(uint16_t), src + offsetof(Block, d), sizeof(uint16_t));
        for (size_t k = 0; k < kQuantBytes / 4; ++k) {
            std::memcpy(dst + kScalesBytes + 32 * k + 4 * r, src + offsetof(Block, qs) + 4 * k, 4);
        }
    }
}

template <class Block>
void pack_rows(int64_t n, const void* rows, size_t row_bytes, void* group) {
    const auto* src = static_cast<const uint8_t*>(rows);
    auto* dst = static_cast<uint8_t*>(group);
    for (int64_t b = 0; b < n / kQK; ++b) {
        pack_block<Block>(src, row_bytes, b, dst + b * kPackRows * sizeof(Block));
    }
}

// A_lo += d·S_lo, A_hi += d·S_hi for one token, with d = d_w (per lane) · d_a.
inline void accumulate(__m256 d_w, float d_a, __m256i s_lo, __m256i s_hi, __m256& a_lo,
                       __m256& a_hi) {
    const __m256 d = _mm256_mul_ps(d_w, _mm256_set1_ps(d_a));
    a_lo = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(s_lo), a_lo);
    a_hi = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(s_hi), a_hi);
}

// C tokens (1 or 2) against one Q8_0 group.
template <int C>
void q8_0_body(int64_t n, const uint8_t* group, const uint8_t* a, size_t a_stride, float* out,
               size_t out_stride) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 a_lo[C], a_hi[C];
    for (int c = 0; c < C; ++c) a_lo[c] = a_hi[c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / kQK; ++b) {
        const uint8_t* gb = group + b * kQ8_0GroupBlockBytes;
        _mm_prefetch(reinterpret_cast<const char*>(gb + kPrefetchBytes), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(gb + kPrefetchBytes + 64), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(gb + kPrefetchBytes + 128), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(gb + kPrefetchBytes + 192), _MM_HINT_T0);
        const uint8_t* ab = a + b * sizeof(BlockQ8_0);
        __m256i s[2][C];  // [half][token]
        for (auto& half : s) {
            for (__m256i& v : half) v = _mm256_setzero_si256();
        }
#pragma GCC unroll 8
        for (int k = 0; k < 8; ++k) {
            const __m256i w = load_32_bytes(gb + kScalesBytes + 32 * k);
            const __m256i w_abs = _mm256_sign_epi8(w, w);
#pragma GCC unroll 2
            for (int c = 0; c < C; ++c) {
                const __m256i q_a =
                    broadcast_word(ab + c * a_stride + offsetof(BlockQ8_0, qs) + 4 * k);
                const __m256i pairs = _mm256_maddubs_epi16(w_abs, _mm256_sign_epi8(q_a, w));
                s[k / 4][c] = _mm256_add_epi32(s[k / 4][c], _mm256_madd_epi16(pairs, ones));
            }
        }
        const __m256 d_w = load_row_scales(gb);
        for (int c = 0; c < C; ++c) {
            accumulate(d_w, load_half(ab + c * a_stride + offsetof(BlockQ8_0, d)), s[0][c], s[1][c],
                       a_lo[c], a_hi[c]);
        }
    }
    for (int c = 0; c < C; ++c) {
        _mm256_storeu_ps(out + c * out_stride, _mm256_add_ps(a_lo[c], a_hi[c]));
    }
}

// 8·Σ q_a over elements 0..15 and 16..31 of one Q8_0 activation block, each in all 8 lanes.
inline void offset_sums(const uint8_t* q_a, __m256i& lo, __m256i& hi) {
    const __m256i eights =
        _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_set1_epi8(8), load_32_bytes(q_a)),
                          _mm256_set1_epi16(1));  // lane i: 8·(sum of q_a[4i..4i+3])
    __m256i h = _mm256_hadd_epi32(eights, eights);
    h = _mm256_hadd_epi32(h, h);  // low half: all lanes the lo sum; high half: the hi sum
    lo = _mm256_permute2x128_si256(h, h, 0x00);
    hi = _mm256_permute2x128_si256(h, h, 0x11);
}

// The int16 pair sums of one half (kHalf 0: low nibbles against activation quants 0..15; 1:
// high nibbles against 16..31) of one Q4_0 group block, for C tokens. One half at a time keeps
// the live vectors few enough for the 16 ymm registers.
template <int C, int kHalf>
inline void q4_0_half_sums(const uint8_t* gb, const uint8_t* ab, size_t a_stride, __m256i (&s)[C]) {
    const __m256i low_nibbles = _mm256_set1_epi8(0x0F);
    for (int c = 0; c < C; ++c) s[c] = _mm256_setzero_si256();
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) {
        __m256i w = load_32_bytes(gb + kScalesBytes + 32 * k);
        if constexpr (kHalf == 1) w = _mm256_srli_epi16(w, 4);
        w = _mm256_and_si256(w, low_nibbles);
#pragma GCC unroll 2
        for (int c = 0; c < C; ++c) {
            const uint8_t* q_a = ab + c * a_stride + offsetof(BlockQ8_0, qs) + 16 * kHalf;
            s[c] = _mm256_add_epi16(s[c], _mm256_maddubs_epi16(w, broadcast_word(q_a + 4 * k)));
        }
    }
}

// C tokens (1 or 2) against one Q4_0 group.
template <int C>
void q4_0_body(int64_t n, const uint8_t* group, const uint8_t* a, size_t a_stride, float* out,
               size_t out_stride) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 a_lo[C], a_hi[C];
    for (int c = 0; c < C; ++c) a_lo[c] = a_hi[c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / kQK; ++b) {
        const uint8_t* gb = group + b * kQ4_0GroupBlockBytes;
        _mm_prefetch(reinterpret_cast<const char*>(gb + kPrefetchBytes), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(gb + kPrefetchBytes + 64), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(gb + kPrefetchBytes + 128), _MM_HINT_T0);
        const uint8_t* ab = a + b * sizeof(BlockQ8_0);
        const __m256 d_w = load_row_scales(gb);
        __m256 d[C];
        __m256i off_lo[C], off_hi[C];
        for (int c = 0; c < C; ++c) {
            const uint8_t* act = ab + c * a_stride;
            d[c] = _mm256_mul_ps(d_w, _mm256_set1_ps(load_half(act + offsetof(BlockQ8_0, d))));
            offset_sums(act + offsetof(BlockQ8_0, qs), off_lo[c], off_hi[c]);
        }
        __m256i s[C];
        q4_0_half_sums<C, 0>(gb, ab, a_stride, s);
        for (int c = 0; c < C; ++c) {
            const __m256i sum = _mm256_sub_epi32(_mm256_madd_epi16(s[c], ones), off_lo[c]);
            a_lo[c] = _mm256_fmadd_ps(d[c], _mm256_cvtepi32_ps(sum), a_lo[c]);
        }
        q4_0_half_sums<C, 1>(gb, ab, a_stride, s);
        for (int c = 0; c < C; ++c) {
            const __m256i sum = _mm256_sub_epi32(_mm256_madd_epi16(s[c], ones), off_hi[c]);
            a_hi[c] = _mm256_fmadd_ps(d[c], _mm256_cvtepi32_ps(sum), a_hi[c]);
        }
    }
    for (int c = 0; c < C; ++c) {
        _mm256_storeu_ps(out + c * out_stride, _mm256_add_ps(a_lo[c], a_hi[c]));
    }
}

// ---- Q4_K ----
// Group super-block: d[8], dmin[8] (fp16), the 12 scale bytes as 3 chunks (row r's bytes
// 4w..4w+3 at 4r of chunk w), then the 128 quant bytes as 32 chunks (row r's bytes 4k..4k+3 at
// 4r of chunk k): 1152 bytes. Quant byte 32c + l holds element 64c + l (low nibble, sub-block
// 2c) and 64c + 32 + l (high nibble, sub-block 2c + 1).
// Arithmetic, lane r for row r, as ref's dot_k_superblock: isum = Σ_j sc_j · (exact sum of
// sub-block j), each sub-block's eight chunk words summed in int16 (pair sums at most
// 2·15·128 = 3840, eight of them 30720), then widened by a madd with sc_j in both int16 halves
// of the lane; msum = Σ_j m_j · (bsums[2j] + bsums[2j+1]) by one madd per j; then the float
// step sum = sum + ((d·d_a)·isum - (dmin·d_a)·msum), unfused (-ffp-contract=off) like ref.

constexpr int64_t kQ4_KGroupBlockBytes = kPackRows * sizeof(BlockQ4_K);  // 1152
constexpr size_t kKScalesOffset = 2 * kScalesBytes;                      // after d and dmin
constexpr size_t kKQuantsOffset = kKScalesOffset + 3 * 32;

void pack_block_q4_k(const uint8_t* rows, size_t row_bytes, int64_t b, uint8_t* dst) {
    for (int r = 0; r < kPackRows; ++r) {
        const uint8_t* src = rows + static_cast<size_t>(r) * row_bytes + b * sizeof(BlockQ4_K);
        std::memcpy(dst + 2 * r, src + offsetof(BlockQ4_K, d), 2);
        std::memcpy(dst + kScalesBytes + 2 * r, src + offsetof(BlockQ4_K, dmin), 2);
        for (size_t w = 0; w < 3; ++w) {
            std::memcpy(dst + kKScalesOffset + 32 * w + 4 * r,
                        src + offsetof(BlockQ4_K, scales) + 4 * w, 4);
        }
        for (size_t k = 0; k < 32; ++k) {
            std::memcpy(dst + kKQuantsOffset + 32 * k + 4 * r,
                        src + offsetof(BlockQ4_K, qs) + 4 * k, 4);
        }
    }
}

// Sub-block j's 6-bit scale (or min) of every row, in both int16 halves of its lane, from the
// three 32-bit scale words of the row (the bit layout of ref's unpack_k_scales):
//   j < 4:  sc = b[j] & 63,                               m = b[j+4] & 63
//   j >= 4: sc = (b[j+4] & 15) | (b[j-4] >> 6) << 4,     m = (b[j+4] >> 4) | (b[j] >> 6) << 4
template <int J>
inline void sub_block_scale_min(const __m256i (&words)[3], __m256i& sc, __m256i& m) {
    const __m256i six_bits = _mm256_set1_epi32(63);
    const __m256i four_bits = _mm256_set1_epi32(15);
    const __m256i two_bits = _mm256_set1_epi32(3);
    __m256i s, mn;
    if constexpr (J < 4) {
        s = _mm256_and_si256(_mm256_srli_epi32(words[0], 8 * J), six_bits);
        mn = _mm256_and_si256(_mm256_srli_epi32(words[1], 8 * J), six_bits);
    } else {
        constexpr int kShift = 8 * (J - 4);
        const __m256i low = _mm256_srli_epi32(words[2], kShift);
        s = _mm256_or_si256(
            _mm256_and_si256(low, four_bits),
            _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(words[0], kShift + 6), two_bits),
                              4));
        mn = _mm256_or_si256(
            _mm256_and_si256(_mm256_srli_epi32(low, 4), four_bits),
            _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(words[1], kShift + 6), two_bits),
                              4));
    }
    sc = _mm256_or_si256(s, _mm256_slli_epi32(s, 16));
    m = _mm256_or_si256(mn, _mm256_slli_epi32(mn, 16));
}

template <int J>
inline void decode_scales_from(const __m256i (&words)[3], __m256i (&sc)[8], __m256i (&m)[8]) {
    if constexpr (J < 8) {
        sub_block_scale_min<J>(words, sc[J], m[J]);
        decode_scales_from<J + 1>(words, sc, m);
    }
}

// C tokens (1 or 2) against one Q4_K group.
template <int C>
void q4_k_body(int64_t n, const uint8_t* group, const uint8_t* a, size_t a_stride, float* out,
               size_t out_stride) {
    const __m256i low_nibbles = _mm256_set1_epi8(0x0F);
    __m256 sum[C];
    for (__m256& v : sum) v = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / kQKK; ++b) {
        const uint8_t* gb = group + b * kQ4_KGroupBlockBytes;
        const __m256i words[3] = {load_32_bytes(gb + kKScalesOffset),
                                  load_32_bytes(gb + kKScalesOffset + 32),
                                  load_32_bytes(gb + kKScalesOffset + 64)};
        __m256i sc[8], m[8];
        decode_scales_from<0>(words, sc, m);
        __m256i isum[C], msum[C];
        for (int c = 0; c < C; ++c) isum[c] = msum[c] = _mm256_setzero_si256();
        const uint8_t* q = gb + kKQuantsOffset;
#pragma GCC unroll 1
        for (int chunk = 0; chunk < 4; ++chunk) {  // 64 elements: sub-blocks 2·chunk, +1
            _mm_prefetch(reinterpret_cast<const char*>(q + 256 * chunk + kPrefetchBytes),
                         _MM_HINT_T0);
            _mm_prefetch(reinterpret_cast<const char*>(q + 256 * chunk + kPrefetchBytes + 64),
                         _MM_HINT_T0);
            _mm_prefetch(reinterpret_cast<const char*>(q + 256 * chunk + kPrefetchBytes + 128),
                         _MM_HINT_T0);
            _mm_prefetch(reinterpret_cast<const char*>(q + 256 * chunk + kPrefetchBytes + 192),
                         _MM_HINT_T0);
            __m256i lo[C], hi[C];  // int16 pair sums of the two sub-blocks
            for (int c = 0; c < C; ++c) lo[c] = hi[c] = _mm256_setzero_si256();
#pragma GCC unroll 8
            for (int k = 0; k < 8; ++k) {
                const __m256i w = load_32_bytes(q + 32 * (8 * chunk + k));
                const __m256i w_lo = _mm256_and_si256(w, low_nibbles);
                const __m256i w_hi = _mm256_and_si256(_mm256_srli_epi16(w, 4), low_nibbles);
#pragma GCC unroll 2
                for (int c = 0; c < C; ++c) {
                    const uint8_t* q_a =
                        a + c * a_stride + b * sizeof(BlockQ8_K) + offsetof(BlockQ8_K, qs);
                    lo[c] = _mm256_add_epi16(
                        lo[c],
                        _mm256_maddubs_epi16(w_lo, broadcast_word(q_a + 64 * chunk + 4 * k)));
                    hi[c] = _mm256_add_epi16(
                        hi[c],
                        _mm256_maddubs_epi16(w_hi, broadcast_word(q_a + 64 * chunk + 32 + 4 * k)));
                }
            }
            for (int c = 0; c < C; ++c) {
                isum[c] = _mm256_add_epi32(isum[c], _mm256_madd_epi16(lo[c], sc[2 * chunk]));
                isum[c] = _mm256_add_epi32(isum[c], _mm256_madd_epi16(hi[c], sc[2 * chunk + 1]));
            }
        }
        const __m256 d_w = load_row_scales(gb);
        const __m256 dmin_w = load_row_scales(gb + kScalesBytes);
        for (int c = 0; c < C; ++c) {
            const uint8_t* act = a + c * a_stride + b * sizeof(BlockQ8_K);
#pragma GCC unroll 8
            for (int j = 0; j < 8; ++j) {  // bsums[2j], bsums[2j+1]: one 32-bit word
                msum[c] = _mm256_add_epi32(
                    msum[c], _mm256_madd_epi16(
                                 m[j], broadcast_word(act + offsetof(BlockQ8_K, bsums) + 4 * j)));
            }
            float d_a = 0.0f;
            std::memcpy(&d_a, act + offsetof(BlockQ8_K, d), sizeof(d_a));
            const __m256 da = _mm256_set1_ps(d_a);
            const __m256 scaled =
                _mm256_mul_ps(_mm256_mul_ps(d_w, da), _mm256_cvtepi32_ps(isum[c]));
            const __m256 mins =
                _mm256_mul_ps(_mm256_mul_ps(dmin_w, da), _mm256_cvtepi32_ps(msum[c]));
            sum[c] = _mm256_add_ps(sum[c], _mm256_sub_ps(scaled, mins));
        }
    }
    for (int c = 0; c < C; ++c) _mm256_storeu_ps(out + c * out_stride, sum[c]);
}

using Body = void (*)(int64_t n, const uint8_t* group, const uint8_t* a, size_t a_stride,
                      float* out, size_t out_stride);

// Tokens two at a time (a third token's accumulators would not fit the 16 registers beside the
// weights), then the odd one.
template <Body kOne, Body kTwo>
void for_tokens(int64_t n, const void* group, const void* a, size_t act_stride, int n_act,
                float* out, size_t out_stride) {
    const auto* g = static_cast<const uint8_t*>(group);
    const auto* ap = static_cast<const uint8_t*>(a);
    int c = 0;
    for (; c + 2 <= n_act; c += 2) {
        kTwo(n, g, ap + c * act_stride, act_stride, out + c * out_stride, out_stride);
    }
    if (c < n_act) kOne(n, g, ap + c * act_stride, act_stride, out + c * out_stride, out_stride);
}

}  // namespace

void pack_rows_q8_0(int64_t n, const void* rows, size_t row_bytes, void* group) {
    pack_rows<BlockQ8_0>(n, rows, row_bytes, group);
}

void pack_rows_q4_0(int64_t n, const void* rows, size_t row_bytes, void* group) {
    pack_rows<BlockQ4_0>(n, rows, row_bytes, group);
}

void pack_rows_q4_k(int64_t n, const void* rows, size_t row_bytes, void* group) {
    const auto* src = static_cast<const uint8_t*>(rows);
    auto* dst = static_cast<uint8_t*>(group);
    for (int64_t b = 0; b < n / kQKK; ++b) {
        pack_block_q4_k(src, row_bytes, b, dst + b * kQ4_KGroupBlockBytes);
    }
}

void vec_dot_packed_q4_k_q8_k(int64_t n, const void* group, const void* a, size_t act_stride,
                              int n_act, float* out, size_t out_stride) {
    for_tokens<q4_k_body<1>, q4_k_body<2>>(n, group, a, act_stride, n_act, out, out_stride);
}

void vec_dot_packed_q8_0_q8_0(int64_t n, const void* group, const void* a, size_t act_stride,
                              int n_act, float* out, size_t out_stride) {
    for_tokens<q8_0_body<1>, q8_0_body<2>>(n, group, a, act_stride, n_act, out, out_stride);
}

void vec_dot_packed_q4_0_q8_0(int64_t n, const void* group, const void* a, size_t act_stride,
                              int n_act, float* out, size_t out_stride) {
    for_tokens<q4_0_body<1>, q4_0_body<2>>(n, group, a, act_stride, n_act, out, out_stride);
}

void add_packed_kernels(KernelTable& t) {
    t[TensorType::Q8_0].pack_rows = pack_rows_q8_0;
    t[TensorType::Q8_0].vec_dot_packed = vec_dot_packed_q8_0_q8_0;
    t[TensorType::Q4_0].pack_rows = pack_rows_q4_0;
    t[TensorType::Q4_0].vec_dot_packed = vec_dot_packed_q4_0_q8_0;
    t[TensorType::Q4_K].pack_rows = pack_rows_q4_k;
    t[TensorType::Q4_K].vec_dot_packed = vec_dot_packed_q4_k_q8_k;
}

}  // namespace glmserve::kernels::avx2
