// AVX-512 VNNI dot products over two adjacent groups of row-interleaved rows (see
// packed_pairs.h).
//
// Why pairs: packed_vnni.cpp's kernels are 256-bit, one group of 8 rows per vector. A CPU that
// executes 512-bit instructions at full width (Zen 5) does twice the multiply-adds per
// vpdpbusd on zmm, so here the same chunk of two groups fills one zmm: group g's 8 rows in
// lanes 0-7, group g + 1's (the next 8 output rows, the next group_bytes in memory) in lanes
// 8-15. An activation word broadcast to all 16 lanes serves both, and the float step and the
// store cover 16 rows at once. matmul hands a whole 16-row chunk to one call.
//
// The arithmetic per lane is packed_vnni.cpp's, so the results are the AVX2 kernels' bit for
// bit: per block the exact int32 sum S (Q8_0: Σ (q_w + 128)·q_a from -128·Σ q_a; Q4_0, Q5_0: Σ
// q·q_a from the suffix word's -offset·Σ q_a; Q4_1, Q5_1: from 0), then the block's float step
// (A = fma(d_w·d_a, S, A), and for the min formats A = fma(m_w, s_a, A)); Q4_K and Q5_K per
// sub-block, with the super-block step of packed_formats.h; Q6_K per sub-block with its scales,
// and ref's float step.
//
// Built twice like packed_vnni.cpp: natively, and with SIMDe for the kernels test, where the
// int-to-float and half-to-float conversions, which SIMDe lacks at 512 bits, go through two
// 256-bit halves (the same exact conversions).
// Thread: pure functions.
#include "kernels/avx512/packed_pairs.h"

// Before any header that includes <immintrin.h> itself: intrinsics.h silences GCC 12's false
// warnings from inside it.
// clang-format off
#include "kernels/avx512/intrinsics.h"
// clang-format on

#include <cstddef>
#include <cstring>
#include <utility>

#include "kernels/avx2/packed_common.h"
#include "kernels/avx2/packed_formats.h"
#include "kernels/quant_blocks.h"

namespace glmserve::kernels::GLMSERVE_AVX512_NAMESPACE {

namespace {

using avx2::detail::for_tokens;
using avx2::detail::kScalesBytes;
using avx2::detail::kSuffixBlockBytes;
using avx2::detail::kSuffixScaleOffset;
using avx2::detail::load_32_bytes;
using avx2::detail::load_half;
using avx2::detail::load_row_scales;
using avx2::detail::prefetch;
using avx2::detail::Q4_0Group;
using avx2::detail::Q4_1Group;
using avx2::detail::Q5_0Group;
using avx2::detail::Q5_1Group;
using avx2::detail::Q8_0Group;
using avx2::detail::suffix_of;

// The 32 bytes at `first` (group g's) in the low half, those at `second` (group g + 1's) in the
// high half.
inline __m512i load_pair(const uint8_t* first, const uint8_t* second) {
    return join(load_32_bytes(first), load_32_bytes(second));
}

// The 4 bytes at p in every 32-bit lane.
inline __m512i broadcast_word(const uint8_t* p) {
    int32_t word = 0;
    std::memcpy(&word, p, sizeof(word));
    return _mm512_set1_epi32(word);
}

// The 16 rows' fp16 scales of both group blocks as floats, lane r = row r.
inline __m512 load_pair_scales(const uint8_t* first, const uint8_t* second) {
#if defined(GLMSERVE_EMULATE_AVX512)
    return join(load_row_scales(first), load_row_scales(second));
#else
    const __m256i halves = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(first))),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(second)), 1);
    return _mm512_cvtph_ps(halves);
#endif
}

inline __m512 to_float(__m512i v) {
#if defined(GLMSERVE_EMULATE_AVX512)
    return join(_mm256_cvtepi32_ps(_mm512_castsi512_si256(v)),
                _mm256_cvtepi32_ps(_mm512_extracti64x4_epi64(v, 1)));
#else
    return _mm512_cvtepi32_ps(v);
#endif
}

// Q8_0 block sums (PairBody's Sums): Σ (q_w + 128)·q_a - 128·Σ q_a, as packed_vnni.cpp.
struct Q8_0PairSums {
    template <int C>
    static void block_sums(const uint8_t* first, const uint8_t* second, const uint8_t* ab,
                           const uint8_t* sb, size_t a_stride, __m512i (&s)[C]) {
        const __m512i top_bit = _mm512_set1_epi8(static_cast<char>(0x80));
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) s[c] = _mm512_slli_epi32(broadcast_word(sb + c * a_stride), 4);
#pragma GCC unroll 8
        for (int k = 0; k < 8; ++k) {
            const size_t at = kScalesBytes + 32 * static_cast<size_t>(k);
            const __m512i w = _mm512_xor_si512(load_pair(first + at, second + at), top_bit);
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) {
                const uint8_t* q_a = ab + c * a_stride + offsetof(BlockQ8_0, qs) + 4 * k;
                s[c] = _mm512_dpbusd_epi32(s[c], w, broadcast_word(q_a));
            }
        }
    }
};

// The nibble formats' block sums (PairBody's Sums): the suffix word's -offset·Σ q_a (doubled for
// Q5_0; 0 for Q4_1 and Q5_1, whose min enters the float step), plus Σ q·q_a over both halves of
// the block, as packed_vnni.cpp's NibbleSums.
template <class F>
struct NibblePairSums {
    template <int C>
    static void block_sums(const uint8_t* first, const uint8_t* second, const uint8_t* ab,
                           const uint8_t* sb, size_t a_stride, __m512i (&s)[C]) {
        __m512i plane = _mm512_setzero_si512();
        __m512i plane_lo = plane;
        if constexpr (F::kHighBits) {
            plane = load_pair(first + F::kPlaneOffset, second + F::kPlaneOffset);
            plane_lo = _mm512_slli_epi16(plane, 4);
        }
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
            if constexpr (F::kHasMin) {
                s[c] = _mm512_setzero_si512();
            } else {
                const __m512i word = broadcast_word(sb + c * a_stride);
                s[c] = F::kHighBits ? _mm512_add_epi32(word, word) : word;
            }
        }
        add_half<C, 0>(first, second, ab, a_stride, plane_lo, s);
        add_half<C, 1>(first, second, ab, a_stride, plane, s);
    }

    // Half kHalf: elements 16·kHalf.. of the block (chunk k's low or high nibbles, and for Q5_0
    // the plane bit k or 4 + k, which `bits` holds at bit k + 4 of each byte) against the same
    // activation quants.
    template <int C, int kHalf>
    static void add_half(const uint8_t* first, const uint8_t* second, const uint8_t* ab,
                         size_t a_stride, __m512i bits, __m512i (&s)[C]) {
        const __m512i low_nibbles = _mm512_set1_epi8(0x0F);
#pragma GCC unroll 4
        for (int k = 0; k < 4; ++k) {
            const size_t at = F::kQuantsOffset + 32 * static_cast<size_t>(k);
            __m512i w = load_pair(first + at, second + at);
            if constexpr (kHalf == 1) w = _mm512_srli_epi16(w, 4);
            w = _mm512_and_si512(w, low_nibbles);
            if constexpr (F::kHighBits) {
                const __m512i high =
                    _mm512_and_si512(_mm512_srli_epi16(bits, k), _mm512_set1_epi8(0x10));
                w = _mm512_or_si512(w, high);
            }
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) {
                const size_t q_a = avx2::detail::act_quants<F>(4 * kHalf + k);
                s[c] = _mm512_dpbusd_epi32(s[c], w, broadcast_word(ab + c * a_stride + q_a));
            }
        }
    }
};

// C tokens (1..4) against the two groups at `group` (a for_tokens kernel): per block, both
// group blocks' exact int sums from Sums, then the float step for 16 rows.
template <class F, class Sums>
struct PairBody {
    template <int C>
    struct Tokens {
        static void run(int64_t n, const uint8_t* group, const uint8_t* a, size_t a_stride,
                        float* out, size_t out_stride) {
            const int64_t group_bytes = n / kQK * F::kBlockBytes;
            const uint8_t* suffix = F::kHasMin ? nullptr : suffix_of(a, n);
            __m512 acc[C];
#pragma GCC unroll 4
            for (__m512& v : acc) v = _mm512_setzero_ps();
            for (int64_t b = 0; b < n / kQK; ++b) {
                const uint8_t* first = group + b * F::kBlockBytes;
                const uint8_t* second = first + group_bytes;
                for (int line = 0; line < F::kPrefetchLines; ++line) {
                    prefetch(first + F::kPrefetchAhead + 64 * line);
                    prefetch(second + F::kPrefetchAhead + 64 * line);
                }
                const uint8_t* ab = a + b * sizeof(typename F::Act);
                const uint8_t* sb = F::kHasMin ? nullptr : suffix + b * kSuffixBlockBytes;
                __m512i s[C];
                Sums::template block_sums<C>(first, second, ab, sb, a_stride, s);
                const __m512 d_w = load_pair_scales(first, second);
                if constexpr (F::kHasMin) {
                    // accumulate_min_block's order: A = fma(d_w·d_a, S, A), A = fma(m_w, s_a, A).
                    const __m512 m_w =
                        load_pair_scales(first + kScalesBytes, second + kScalesBytes);
#pragma GCC unroll 4
                    for (int c = 0; c < C; ++c) {
                        const uint8_t* act = ab + c * a_stride;
                        const __m512 d = _mm512_mul_ps(
                            d_w, _mm512_set1_ps(load_half(act + offsetof(BlockQ8_1, d))));
                        acc[c] = _mm512_fmadd_ps(d, to_float(s[c]), acc[c]);
                        acc[c] = _mm512_fmadd_ps(
                            m_w, _mm512_set1_ps(load_half(act + offsetof(BlockQ8_1, s))), acc[c]);
                    }
                } else {
#pragma GCC unroll 4
                    for (int c = 0; c < C; ++c) {
                        float d_a = 0;
                        std::memcpy(&d_a, sb + c * a_stride + kSuffixScaleOffset, sizeof(d_a));
                        const __m512 scale = _mm512_mul_ps(d_w, _mm512_set1_ps(d_a));
                        acc[c] = _mm512_fmadd_ps(scale, to_float(s[c]), acc[c]);
                    }
                }
            }
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) _mm512_storeu_ps(out + c * out_stride, acc[c]);
        }
    };
};

// Q4_K and Q5_K (q4_k's layout, packed_q4_k.cpp): per super-block isum = Σ_j sc_j·S_j over the
// 8 sub-blocks, then packed_formats.h's float step with the mins, lane by lane as there.
namespace q4_k = avx2::detail::q4_k;

// Weight chunk (chunk, k) of both groups as unsigned bytes, as q4_k::quant_chunk: the low
// (sub-block 2·chunk) or high (kHigh: 2·chunk + 1) nibbles, and for Q5_K qh bit 2·chunk + kHigh
// moved to 0x10.
template <class F, int kChunk, int kHigh>
inline __m512i k_quant_chunk(const uint8_t* first, const uint8_t* second, int k) {
    const size_t at = q4_k::kQuantsOffset + 32 * static_cast<size_t>(8 * kChunk + k);
    __m512i w = load_pair(first + at, second + at);
    if constexpr (kHigh == 1) w = _mm512_srli_epi16(w, 4);
    w = _mm512_and_si512(w, _mm512_set1_epi8(0x0F));
    if constexpr (F::kHighBits) {
        const size_t qh_at = F::kQhOffset + 32 * static_cast<size_t>(k);
        const __m512i qh = load_pair(first + qh_at, second + qh_at);
        constexpr int kBit = 2 * kChunk + kHigh;
        __m512i moved = qh;
        if constexpr (kBit < 4) moved = _mm512_slli_epi16(qh, 4 - kBit);
        if constexpr (kBit > 4) moved = _mm512_srli_epi16(qh, kBit - 4);
        w = _mm512_or_si512(w, _mm512_and_si512(moved, _mm512_set1_epi8(0x10)));
    }
    return w;
}

// isum[c] += sc_j·S_j for sub-block j = 2·kChunk + kHigh of both groups.
template <class F, int C, int kChunk, int kHigh>
inline void add_k_sub_block(const uint8_t* first, const uint8_t* second, const uint8_t* ab,
                            size_t a_stride, __m512i (&isum)[C]) {
    constexpr int j = 2 * kChunk + kHigh;
    const auto scales = [](const uint8_t* g) {
        return _mm256_cvtepu8_epi32(
            _mm_loadl_epi64(reinterpret_cast<const __m128i*>(g + q4_k::kScOffset + kPackRows * j)));
    };
    const __m512i sc = join(scales(first), scales(second));
    __m512i s[C];
#pragma GCC unroll 4
    for (__m512i& v : s) v = _mm512_setzero_si512();
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) {
        const __m512i w = k_quant_chunk<F, kChunk, kHigh>(first, second, k);
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
            const size_t q_a = offsetof(BlockQ8_K, qs) + 64 * kChunk + 32 * kHigh + 4 * k;
            s[c] = _mm512_dpbusd_epi32(s[c], w, broadcast_word(ab + c * a_stride + q_a));
        }
    }
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) isum[c] = _mm512_add_epi32(isum[c], _mm512_mullo_epi32(s[c], sc));
}

// C tokens (1..4) against the two Q4_K or Q5_K groups at `group` (a for_tokens kernel).
template <class F>
struct KPairBody {
    template <int C>
    struct Tokens {
        static void run(int64_t n, const uint8_t* group, const uint8_t* a, size_t a_stride,
                        float* out, size_t out_stride) {
            const int64_t group_bytes = n / kQKK * static_cast<int64_t>(F::kBlockBytes);
            __m512 sum[C];
#pragma GCC unroll 4
            for (__m512& v : sum) v = _mm512_setzero_ps();
            for (int64_t b = 0; b < n / kQKK; ++b) {
                const uint8_t* first = group + b * F::kBlockBytes;
                const uint8_t* second = first + group_bytes;
                const uint8_t* ab = a + b * sizeof(BlockQ8_K);
                __m512i isum[C];
#pragma GCC unroll 4
                for (__m512i& v : isum) v = _mm512_setzero_si512();
                // The chunk as a constant: Q5_K's qh shifts are immediates (see q4_k's
                // SuperBlockBody), and the prefetches go out one chunk at a time, two blocks
                // ahead, as there.
                [&]<int... kChunk>(std::integer_sequence<int, kChunk...>) {
                    (
                        [&] {
                            prefetch_k_chunk(first, kChunk);
                            prefetch_k_chunk(second, kChunk);
                            asm volatile("" ::: "memory");
                            add_k_sub_block<F, C, kChunk, 0>(first, second, ab, a_stride, isum);
                            add_k_sub_block<F, C, kChunk, 1>(first, second, ab, a_stride, isum);
                        }(),
                        ...);
                }
                (std::make_integer_sequence<int, 4>{});
                accumulate(sum, first, second, ab, a_stride, isum);
            }
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) _mm512_storeu_ps(out + c * out_stride, sum[c]);
        }

        static void prefetch_k_chunk(const uint8_t* gb, int chunk) {
            constexpr int kLines = (F::kBlockBytes / 4 + 63) / 64;
            const uint8_t* ahead = gb + 2 * F::kBlockBytes + 64 * kLines * chunk;
            for (int line = 0; line < kLines; ++line) prefetch(ahead + 64 * line);
        }

        // q4_k::accumulate_super_block for 16 rows: sum += (d·d_a)·isum - (dmin·d_a)·msum,
        // unfused, msum from each group's mins by the AVX2 helper.
        static void accumulate(__m512 (&sum)[C], const uint8_t* first, const uint8_t* second,
                               const uint8_t* ab, size_t a_stride, const __m512i (&isum)[C]) {
            __m256i m_first[4], m_second[4];
            q4_k::load_min_pairs(first, m_first);
            q4_k::load_min_pairs(second, m_second);
            const __m512 d_w = load_pair_scales(first, second);
            const __m512 dmin_w =
                load_pair_scales(first + q4_k::kDminOffset, second + q4_k::kDminOffset);
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) {
                const uint8_t* act = ab + c * a_stride;
                float d_a = 0.0f;
                std::memcpy(&d_a, act + offsetof(BlockQ8_K, d), sizeof(d_a));
                const __m512 da = _mm512_set1_ps(d_a);
                const __m512i msum =
                    join(q4_k::min_sum(m_first, act), q4_k::min_sum(m_second, act));
                const __m512 scaled = _mm512_mul_ps(_mm512_mul_ps(d_w, da), to_float(isum[c]));
                const __m512 mins = _mm512_mul_ps(_mm512_mul_ps(dmin_w, da), to_float(msum));
                sum[c] = _mm512_add_ps(sum[c], _mm512_sub_ps(scaled, mins));
            }
        }
    };
};

// Q6_K (q6_k's layout, packed_q6_k.cpp): per super-block isum = q6_k::offset_sum +
// Σ_g scales[g]·S_g, then ref's float step, lane by lane as packed_vnni.cpp's Q6KSums.
namespace q6_k = avx2::detail::q6_k;

// q6_k::quant_chunk<k>(g, n, m) of both groups: the unsigned quants q + 32 (0..63).
template <int k>
inline __m512i q6_k_quant_chunk(const uint8_t* first, const uint8_t* second, int n, int m) {
    const size_t ql_at = q6_k::kQlOffset + 32 * static_cast<size_t>(16 * n + 8 * (k % 2) + m);
    const size_t qh_at = q6_k::kQhOffset + 32 * static_cast<size_t>(8 * n + m);
    const __m512i ql = load_pair(first + ql_at, second + ql_at);
    const __m512i qh = load_pair(first + qh_at, second + qh_at);
    const __m512i low =
        _mm512_and_si512(k < 2 ? ql : _mm512_srli_epi16(ql, 4), _mm512_set1_epi8(0x0F));
    __m512i high = qh;
    if constexpr (k == 0) high = _mm512_slli_epi16(qh, 4);
    if constexpr (k == 1) high = _mm512_slli_epi16(qh, 2);
    if constexpr (k == 3) high = _mm512_srli_epi16(qh, 2);
    return _mm512_or_si512(low, _mm512_and_si512(high, _mm512_set1_epi8(0x30)));
}

// isum[c] += scales[g]·S_g for sub-blocks g = 8n + 2k (chunks m = 0..3) and g + 1 (m = 4..7)
// of both groups.
template <int C, int k>
inline void add_q6_k_sums(const uint8_t* first, const uint8_t* second, const uint8_t* ab,
                          size_t a_stride, int n, __m512i (&isum)[C]) {
    // Lane r = (scales[g], scales[g + 1]) as int16 -> each sign-extended to an int32 lane, on
    // 256-bit halves (SIMDe has no 512-bit srai_epi32).
    const __m256i pairs[2] = {q6_k::load_scale_pair(first, 4 * n + k),
                              q6_k::load_scale_pair(second, 4 * n + k)};
    const auto low_scale = [](__m256i p) {
        return _mm256_srai_epi32(_mm256_slli_epi32(p, 16), 16);
    };
    const auto high_scale = [](__m256i p) { return _mm256_srai_epi32(p, 16); };
    const __m512i scales[2] = {join(low_scale(pairs[0]), low_scale(pairs[1])),
                               join(high_scale(pairs[0]), high_scale(pairs[1]))};
#pragma GCC unroll 2
    for (int half = 0; half < 2; ++half) {
        __m512i s[C];
#pragma GCC unroll 4
        for (__m512i& v : s) v = _mm512_setzero_si512();
#pragma GCC unroll 4
        for (int m = 4 * half; m < 4 * half + 4; ++m) {
            const __m512i w = q6_k_quant_chunk<k>(first, second, n, m);
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) {
                const uint8_t* q_a = ab + c * a_stride + q6_k::act_offset(n, k, m);
                s[c] = _mm512_dpbusd_epi32(s[c], w, broadcast_word(q_a));
            }
        }
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
            isum[c] = _mm512_add_epi32(isum[c], _mm512_mullo_epi32(s[c], scales[half]));
        }
    }
}

// C tokens (1..4) against the two Q6_K groups at `group` (a for_tokens kernel), in the order
// of q6_k::SuperBlockBody: the offset term, then the quant sums half a super-block at a time
// with that half's prefetches, then sum += (d·d_a)·isum, unfused.
struct Q6KPairBody {
    template <int C>
    struct Tokens {
        static void run(int64_t n_elems, const uint8_t* group, const uint8_t* a, size_t a_stride,
                        float* out, size_t out_stride) {
            const int64_t group_bytes =
                n_elems / kQKK * static_cast<int64_t>(q6_k::kGroupBlockBytes);
            __m512 sum[C];
#pragma GCC unroll 4
            for (__m512& v : sum) v = _mm512_setzero_ps();
            for (int64_t b = 0; b < n_elems / kQKK; ++b) {
                const uint8_t* first = group + b * q6_k::kGroupBlockBytes;
                const uint8_t* second = first + group_bytes;
                const uint8_t* ab = a + b * sizeof(BlockQ8_K);
                __m512i isum[C];
#pragma GCC unroll 4
                for (int c = 0; c < C; ++c) {
                    const uint8_t* act = ab + c * a_stride;
                    isum[c] = join(q6_k::offset_sum(first, act), q6_k::offset_sum(second, act));
                }
#pragma GCC unroll 1
                for (int n = 0; n < 2; ++n) {
                    const size_t ahead = q6_k::kPrefetchBytes + 64 * q6_k::kPrefetchLines * n;
                    for (int line = 0; line < q6_k::kPrefetchLines; ++line) {
                        prefetch(first + ahead + 64 * line);
                        prefetch(second + ahead + 64 * line);
                    }
                    add_q6_k_sums<C, 0>(first, second, ab, a_stride, n, isum);
                    add_q6_k_sums<C, 1>(first, second, ab, a_stride, n, isum);
                    add_q6_k_sums<C, 2>(first, second, ab, a_stride, n, isum);
                    add_q6_k_sums<C, 3>(first, second, ab, a_stride, n, isum);
                }
                const __m512 d_w = load_pair_scales(first, second);
#pragma GCC unroll 4
                for (int c = 0; c < C; ++c) {
                    float d_a = 0.0f;
                    std::memcpy(&d_a, ab + c * a_stride + offsetof(BlockQ8_K, d), sizeof(d_a));
                    const __m512 scale = _mm512_mul_ps(d_w, _mm512_set1_ps(d_a));
                    sum[c] = _mm512_add_ps(sum[c], _mm512_mul_ps(scale, to_float(isum[c])));
                }
            }
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) _mm512_storeu_ps(out + c * out_stride, sum[c]);
        }
    };
};

}  // namespace

void add_packed_pair_kernels(KernelTable& t) {
    t[TensorType::Q8_0].vec_dot_packed_pair =
        for_tokens<4, PairBody<Q8_0Group, Q8_0PairSums>::Tokens>;
    t[TensorType::Q4_0].vec_dot_packed_pair =
        for_tokens<4, PairBody<Q4_0Group, NibblePairSums<Q4_0Group>>::Tokens>;
    t[TensorType::Q5_0].vec_dot_packed_pair =
        for_tokens<4, PairBody<Q5_0Group, NibblePairSums<Q5_0Group>>::Tokens>;
    t[TensorType::Q4_1].vec_dot_packed_pair =
        for_tokens<4, PairBody<Q4_1Group, NibblePairSums<Q4_1Group>>::Tokens>;
    t[TensorType::Q5_1].vec_dot_packed_pair =
        for_tokens<4, PairBody<Q5_1Group, NibblePairSums<Q5_1Group>>::Tokens>;
    t[TensorType::Q4_K].vec_dot_packed_pair = for_tokens<4, KPairBody<q4_k::Q4KGroup>::Tokens>;
    t[TensorType::Q5_K].vec_dot_packed_pair = for_tokens<4, KPairBody<q4_k::Q5KGroup>::Tokens>;
    t[TensorType::Q6_K].vec_dot_packed_pair = for_tokens<4, Q6KPairBody::Tokens>;
}

}  // namespace glmserve::kernels::GLMSERVE_AVX512_NAMESPACE
