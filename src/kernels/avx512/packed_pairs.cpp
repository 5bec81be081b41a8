// AVX-512 VNNI dot products over two adjacent groups of row-interleaved Q8_0, Q4_0 or Q5_0 rows
// (see packed_pairs.h).
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
// q·q_a from the suffix word's -offset·Σ q_a), then A = fma(d_w·d_a, S, A) with d_a from the
// activation suffix.
//
// Built twice like packed_vnni.cpp: natively, and with SIMDe for the kernels test, where the
// int-to-float and half-to-float conversions, which SIMDe lacks at 512 bits, go through two
// 256-bit halves (the same exact conversions).
// Thread: pure functions.
#include "kernels/avx512/packed_pairs.h"

#if defined(GLMSERVE_EMULATE_AVX512)
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>
#define GLMSERVE_AVX512_NAMESPACE avx512_emulated
#else
// GCC 12 warns about the "undefined" passthrough vectors of unmasked AVX-512 intrinsics (GCC bug
// 105593, fixed in 13); they are never read.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#define GLMSERVE_AVX512_NAMESPACE avx512
#endif

#include <cstddef>
#include <cstring>

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
using avx2::detail::load_row_scales;
using avx2::detail::prefetch;
using avx2::detail::Q4_0Group;
using avx2::detail::Q5_0Group;
using avx2::detail::Q8_0Group;
using avx2::detail::suffix_of;

// The 32 bytes at `first` (group g's) in the low half, those at `second` (group g + 1's) in the
// high half.
inline __m512i load_pair(const uint8_t* first, const uint8_t* second) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(load_32_bytes(first)), load_32_bytes(second),
                              1);
}

// The 4 bytes at p in every 32-bit lane.
inline __m512i broadcast_word(const uint8_t* p) {
    int32_t word = 0;
    std::memcpy(&word, p, sizeof(word));
    return _mm512_set1_epi32(word);
}

#if defined(GLMSERVE_EMULATE_AVX512)
inline __m512 join(__m256 low, __m256 high) {
    return _mm512_insertf32x8(_mm512_castps256_ps512(low), high, 1);
}
#endif

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

// Q4_0 and Q5_0 block sums (PairBody's Sums): the suffix word's -offset·Σ q_a (doubled for
// Q5_0), plus Σ q·q_a over both halves of the block, as packed_vnni.cpp's NibbleSums.
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
            const __m512i word = broadcast_word(sb + c * a_stride);
            s[c] = F::kHighBits ? _mm512_add_epi32(word, word) : word;
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
                const __m512i high = _mm512_and_si512(_mm512_srli_epi16(bits, k),
                                                      _mm512_set1_epi8(0x10));
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
            const uint8_t* suffix = suffix_of(a, n);
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
                const uint8_t* ab = a + b * sizeof(BlockQ8_0);
                const uint8_t* sb = suffix + b * kSuffixBlockBytes;
                __m512i s[C];
                Sums::template block_sums<C>(first, second, ab, sb, a_stride, s);
                const __m512 d_w = load_pair_scales(first, second);
#pragma GCC unroll 4
                for (int c = 0; c < C; ++c) {
                    float d_a = 0;
                    std::memcpy(&d_a, sb + c * a_stride + kSuffixScaleOffset, sizeof(d_a));
                    const __m512 scale = _mm512_mul_ps(d_w, _mm512_set1_ps(d_a));
                    acc[c] = _mm512_fmadd_ps(scale, to_float(s[c]), acc[c]);
                }
            }
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) _mm512_storeu_ps(out + c * out_stride, acc[c]);
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
}

}  // namespace glmserve::kernels::GLMSERVE_AVX512_NAMESPACE
