// Row-interleaved Q6_K groups (KernelTable::pack_rows / vec_dot_packed; see packed.cpp for why
// rows are interleaved) and their dot product with Q8_K activations.
//
// Layout of a group super-block, 8 rows of 256 elements (1680 bytes, exactly the rows' own:
// a GEMV reads nothing extra):
//   d[8]            the rows' fp16 factors, row r at [r]                              16 bytes
//   scale pairs     8 × 16 bytes; byte 16i + 2r + h is scales[2i + h] of row r, so
//                   that one sign-extending load gives each row's pair in its lane     128 bytes
//   qh              16 chunks of 32 bytes; row r's qh bytes 4j..4j+3 at 4r of chunk j    512 bytes
//   ql              32 chunks of 32 bytes; row r's ql bytes 4j..4j+3 at 4r of chunk j   1024 bytes
// The quant bytes are the rows' own, moved 4 at a time; q6_k::quant_chunk (packed_formats.h)
// puts an element's nibble and bit pair together as the row-major kernels do.
//
// Arithmetic, lane r for row r, as ref's vec_dot_q6_k_q8_k (integer steps exact, so their order
// is free; the float step is ref's, so the result is vec_dot's bit for bit):
//   isum = Σ_g scales[g]·Σ_{16 in g} (q + 32)·q_a  -  32·Σ_g scales[g]·bsums[g]: maddubs takes
//          the unsigned q + 32 (pairs at most 2·63·127, so two chunks' pairs add in int16), one
//          madd per two chunks applies the sub-block's scale and widens; offset_sum adds the
//          second term, one madd per pair of sub-blocks;
//   sum += (d·d_a)·isum.
// A weight chunk is unpacked once for up to kMaxActRows tokens.
// Thread: pure functions.
#include <immintrin.h>

#include <cstddef>
#include <cstring>

#include "kernels/avx2/packed.h"
#include "kernels/avx2/packed_common.h"
#include "kernels/avx2/packed_formats.h"
#include "kernels/quant_blocks.h"

namespace glmserve::kernels::avx2 {

namespace {

using detail::broadcast_word;
using detail::keep_in_register;
using detail::q6_k::act_offset;
using detail::q6_k::kGroupBlockBytes;
using detail::q6_k::kQhOffset;
using detail::q6_k::kQlOffset;
using detail::q6_k::kScalePairsOffset;
using detail::q6_k::load_scale_pair;
using detail::q6_k::quant_chunk;
using detail::q6_k::SuperBlockBody;

void pack_block(const uint8_t* rows, size_t row_bytes, int64_t b, uint8_t* dst) {
    for (int r = 0; r < kPackRows; ++r) {
        const auto* src = reinterpret_cast<const BlockQ6_K*>(
            rows + static_cast<size_t>(r) * row_bytes + b * sizeof(BlockQ6_K));
        std::memcpy(dst + 2 * r, &src->d, 2);
        for (int i = 0; i < 8; ++i) {
            std::memcpy(dst + kScalePairsOffset + 16 * i + 2 * r, src->scales + 2 * i, 2);
        }
        for (size_t j = 0; j < sizeof(BlockQ6_K::qh) / 4; ++j) {
            std::memcpy(dst + kQhOffset + 32 * j + 4 * r, src->qh + 4 * j, 4);
        }
        for (size_t j = 0; j < sizeof(BlockQ6_K::ql) / 4; ++j) {
            std::memcpy(dst + kQlOffset + 32 * j + 4 * r, src->ql + 4 * j, 4);
        }
    }
}

// Shuffle control that puts bytes (at, at + 1) of each 32-bit lane in both of its int16 halves.
inline __m256i word_control(int at) {
    const char lo = static_cast<char>(at), hi = static_cast<char>(at + 1);
    const auto b = [](int base, char x) { return static_cast<char>(base + x); };
    return _mm256_setr_epi8(lo, hi, lo, hi, b(4, lo), b(4, hi), b(4, lo), b(4, hi), b(8, lo),
                            b(8, hi), b(8, lo), b(8, hi), b(12, lo), b(12, hi), b(12, lo),
                            b(12, hi), lo, hi, lo, hi, b(4, lo), b(4, hi), b(4, lo), b(4, hi),
                            b(8, lo), b(8, hi), b(8, lo), b(8, hi), b(12, lo), b(12, hi), b(12, lo),
                            b(12, hi));
}

// isum += the scaled products of the 8 chunks (n, k, m = 0..7) for C tokens (SuperBlockBody's
// Sums): chunks m = 0..3 are sub-block 8n + 2k, m = 4..7 sub-block 8n + 2k + 1.
struct Q6KSums {
    template <int C, int k>
    static void add_quant_sums(const uint8_t* gb, const uint8_t* ab, size_t a_stride, int n,
                               __m256i (&isum)[C]) {
        // Lane r = (scales[8n + 2k], scales[8n + 2k + 1]), then each sub-block's in both halves.
        const __m256i pair = load_scale_pair(gb, 4 * n + k);
        const __m256i scales[2] = {_mm256_shuffle_epi8(pair, word_control(0)),
                                   _mm256_shuffle_epi8(pair, word_control(2))};
#pragma GCC unroll 4
        for (int mp = 0; mp < 4; ++mp) {
            const __m256i sc = scales[mp / 2];
            const __m256i w0 = quant_chunk<k>(gb, n, 2 * mp);
            const __m256i w1 = quant_chunk<k>(gb, n, 2 * mp + 1);
#pragma GCC unroll 4
            for (int c = 0; c < C; ++c) {
                const uint8_t* act = ab + c * a_stride;
                const __m256i p = _mm256_add_epi16(
                    _mm256_maddubs_epi16(w0, broadcast_word(act + act_offset(n, k, 2 * mp))),
                    _mm256_maddubs_epi16(w1, broadcast_word(act + act_offset(n, k, 2 * mp + 1))));
                isum[c] = _mm256_add_epi32(isum[c], _mm256_madd_epi16(p, sc));
                keep_in_register(isum[c]);
            }
        }
    }
};

}  // namespace

void add_packed_q6_k_kernels(KernelTable& t) {
    detail::set_packed<kQKK, kGroupBlockBytes, pack_block, SuperBlockBody<Q6KSums>::Tokens>(
        t[TensorType::Q6_K]);
}

}  // namespace glmserve::kernels::avx2
