// Reference kernels for the 256-element K-quant super-blocks: dequantize Q4_K, Q5_K, Q6_K and
// Q8_K, their dot products with Q8_K activations, and the Q8_K activation quantizer.
// (The K-quant weight quantizers are in q_k_quantize.cpp.)
//
// Layouts and formulas: ../shared/reference/glm-gguf.md §2.4 (blocks), §2.5 (activations and
// dot products). Shapes: a row of n elements (n a multiple of 256) is n/256 super-blocks.
// Each kernel first unpacks a super-block's quants into plain int arrays (decode_*), so the
// bit layout is written down once and shared by dequantize and vec_dot.
// Dot products: per super-block one exact int32 sum for the scale term (and one for the min
// term), then sum += (d_w d_a) * isum - (dmin_w d_a) * msum in float, super-block by block.
// Thread: pure functions.
#include <algorithm>
#include <cmath>

#include "kernels/float16.h"
#include "kernels/quant_blocks.h"
#include "kernels/ref/ref_kernels.h"

namespace glmserve::kernels::ref {

namespace {

constexpr int kSubBlocksK = 8;    // Q4_K/Q5_K: 8 sub-blocks of 32
constexpr int kSubBlocksQ6 = 16;  // Q6_K and Q8_K bsums: 16 groups of 16

// q: [256] 4-bit quants in element order. Chunk c (64 elements) takes the low nibbles of
// qs[32c .. 32c+31] for its first 32 elements (sub-block 2c), the high nibbles for the next 32.
void decode_q4_k_quants(const uint8_t* qs, uint8_t* q) {
    for (int c = 0; c < 4; ++c) {
        for (int l = 0; l < 32; ++l) {
            q[64 * c + l] = qs[32 * c + l] & 0x0F;
            q[64 * c + 32 + l] = qs[32 * c + l] >> 4;
        }
    }
}

// q: [256] 5-bit quants: Q4_K nibbles plus bit 2c (first half of chunk c) or 2c+1 (second
// half) of qh[l] as bit 4.
void decode_q5_k_quants(const BlockQ5_K& b, uint8_t* q) {
    decode_q4_k_quants(b.qs, q);
    for (int c = 0; c < 4; ++c) {
        for (int l = 0; l < 32; ++l) {
            q[64 * c + l] |= static_cast<uint8_t>(((b.qh[l] >> (2 * c)) & 1) << 4);
            q[64 * c + 32 + l] |= static_cast<uint8_t>(((b.qh[l] >> (2 * c + 1)) & 1) << 4);
        }
    }
}

// q: [256] signed quants (q6 - 32) in -32..31. Half n holds 128 elements; for l < 32, with
// h = qh[32n + l], the four elements 128n + {0, 32, 64, 96} + l take nibbles of ql and
// successive bit pairs of h.
void decode_q6_k_quants(const BlockQ6_K& b, int8_t* q) {
    for (int n = 0; n < 2; ++n) {
        const uint8_t* ql = b.ql + 64 * n;
        const uint8_t* qh = b.qh + 32 * n;
        int8_t* out = q + 128 * n;
        for (int l = 0; l < 32; ++l) {
            const int h = qh[l];
            out[l] = static_cast<int8_t>(((ql[l] & 0x0F) | ((h >> 0) & 3) << 4) - 32);
            out[l + 32] = static_cast<int8_t>(((ql[l + 32] & 0x0F) | ((h >> 2) & 3) << 4) - 32);
            out[l + 64] = static_cast<int8_t>(((ql[l] >> 4) | ((h >> 4) & 3) << 4) - 32);
            out[l + 96] = static_cast<int8_t>(((ql[l + 32] >> 4) | ((h >> 6) & 3) << 4) - 32);
        }
    }
}

// Shared by Q4_K and Q5_K once the quants are decoded: y = d*sc_k*q - dmin*m_k per sub-block.
void dequantize_k_superblock(const uint8_t* q, float d, float dmin, const uint8_t* packed_scales,
                             float* y) {
    uint8_t sc[kSubBlocksK];
    uint8_t m[kSubBlocksK];
    unpack_k_scales(packed_scales, sc, m);
    for (int k = 0; k < kSubBlocksK; ++k) {
        const float d1 = d * static_cast<float>(sc[k]);
        const float m1 = dmin * static_cast<float>(m[k]);
        for (int l = 0; l < 32; ++l) y[32 * k + l] = d1 * static_cast<float>(q[32 * k + l]) - m1;
    }
}

// Shared by Q4_K·Q8_K and Q5_K·Q8_K: the super-block's contribution to the dot product.
float dot_k_superblock(const uint8_t* q, float d, float dmin, const uint8_t* packed_scales,
                       const BlockQ8_K& a) {
    uint8_t sc[kSubBlocksK];
    uint8_t m[kSubBlocksK];
    unpack_k_scales(packed_scales, sc, m);
    // 1. Scale term: Σ_k sc_k · Σ_{32 in k} q_w q_a (exact in int32: < 8·63·32·31·127).
    int32_t isum = 0;
    for (int k = 0; k < kSubBlocksK; ++k) {
        int32_t sub = 0;
        for (int l = 0; l < 32; ++l) sub += q[32 * k + l] * a.qs[32 * k + l];
        isum += sc[k] * sub;
    }
    // 2. Min term: Σ_k m_k · Σ_{32 in k} q_a, the activation sums read from bsums.
    int32_t msum = 0;
    for (int k = 0; k < kSubBlocksK; ++k) msum += m[k] * (a.bsums[2 * k] + a.bsums[2 * k + 1]);
    // 3. Scale both by the super-block factors.
    return (d * a.d) * static_cast<float>(isum) - (dmin * a.d) * static_cast<float>(msum);
}

}  // namespace

// ---- scale packing ----
// packed[0..3]: sc_0..3 in bits 0-5, bits 4-5 of sc_4..7 in bits 6-7.
// packed[4..7]: m_0..3 in bits 0-5, bits 4-5 of m_4..7 in bits 6-7.
// packed[8..11]: low 4 bits of sc_4..7 (bits 0-3) and of m_4..7 (bits 4-7).

void unpack_k_scales(const uint8_t* packed12, uint8_t* scales8, uint8_t* mins8) {
    for (int k = 0; k < 4; ++k) {
        scales8[k] = packed12[k] & 63;
        mins8[k] = packed12[k + 4] & 63;
    }
    for (int k = 4; k < 8; ++k) {
        scales8[k] = static_cast<uint8_t>((packed12[k + 4] & 0x0F) | ((packed12[k - 4] >> 6) << 4));
        mins8[k] = static_cast<uint8_t>((packed12[k + 4] >> 4) | ((packed12[k] >> 6) << 4));
    }
}

void pack_k_scales(const uint8_t* scales8, const uint8_t* mins8, uint8_t* packed12) {
    for (int i = 0; i < 4; ++i) {
        packed12[i] = static_cast<uint8_t>((scales8[i] & 63) | ((scales8[i + 4] >> 4) << 6));
        packed12[i + 4] = static_cast<uint8_t>((mins8[i] & 63) | ((mins8[i + 4] >> 4) << 6));
        packed12[i + 8] =
            static_cast<uint8_t>((scales8[i + 4] & 0x0F) | ((mins8[i + 4] & 0x0F) << 4));
    }
}

// ---- Q8_K activations: x [n] f32 -> y [n/256] BlockQ8_K ----

void quantize_row_q8_k(const float* x, void* y, int64_t n) {
    auto* blocks = static_cast<BlockQ8_K*>(y);
    for (int64_t ib = 0; ib < n / kQKK; ++ib) {
        const float* xb = x + ib * kQKK;
        BlockQ8_K& b = blocks[ib];
        // 1. max = the element of largest |x| (first one on ties), keeping its sign.
        float amax = 0.0f;
        float max = 0.0f;
        for (int64_t j = 0; j < kQKK; ++j) {
            if (std::fabs(xb[j]) > amax) {
                amax = std::fabs(xb[j]);
                max = xb[j];
            }
        }
        // 2. iscale maps max to -127; q = nearest (ties to even), capped at 127. An all-zero
        //    block (or one so tiny that iscale overflows) is stored as zeros with d = 0.
        const float iscale = amax != 0.0f ? -127.0f / max : 0.0f;
        if (!std::isfinite(iscale) || iscale == 0.0f) {
            b = BlockQ8_K{};
            continue;
        }
        for (int64_t j = 0; j < kQKK; ++j) {
            const float v = round_half_even(iscale * xb[j]);
            b.qs[j] = static_cast<int8_t>(std::min(127.0f, v));
        }
        // 3. d = 1/iscale in f32; bsums of 16-element groups feed the K-quant min terms.
        b.d = 1.0f / iscale;
        for (int g = 0; g < kSubBlocksQ6; ++g) {
            int sum = 0;
            for (int l = 0; l < 16; ++l) sum += b.qs[16 * g + l];
            b.bsums[g] = static_cast<int16_t>(sum);
        }
    }
}

// ---- dequantize: x [n/256] super-blocks -> y [n] f32 ----

void dequantize_row_q4_k(const void* x, float* y, int64_t n) {
    const auto* blocks = static_cast<const BlockQ4_K*>(x);
    uint8_t q[kQKK];
    for (int64_t ib = 0; ib < n / kQKK; ++ib) {
        const BlockQ4_K& b = blocks[ib];
        decode_q4_k_quants(b.qs, q);
        dequantize_k_superblock(q, fp16_to_fp32(b.d), fp16_to_fp32(b.dmin), b.scales,
                                y + ib * kQKK);
    }
}

void dequantize_row_q5_k(const void* x, float* y, int64_t n) {
    const auto* blocks = static_cast<const BlockQ5_K*>(x);
    uint8_t q[kQKK];
    for (int64_t ib = 0; ib < n / kQKK; ++ib) {
        const BlockQ5_K& b = blocks[ib];
        decode_q5_k_quants(b, q);
        dequantize_k_superblock(q, fp16_to_fp32(b.d), fp16_to_fp32(b.dmin), b.scales,
                                y + ib * kQKK);
    }
}

void dequantize_row_q6_k(const void* x, float* y, int64_t n) {
    const auto* blocks = static_cast<const BlockQ6_K*>(x);
    int8_t q[kQKK];
    for (int64_t ib = 0; ib < n / kQKK; ++ib) {
        const BlockQ6_K& b = blocks[ib];
        decode_q6_k_quants(b, q);
        const float d = fp16_to_fp32(b.d);
        float* yb = y + ib * kQKK;
        for (int e = 0; e < kQKK; ++e) {
            yb[e] = d * static_cast<float>(b.scales[e / 16]) * static_cast<float>(q[e]);
        }
    }
}

void dequantize_row_q8_k(const void* x, float* y, int64_t n) {
    const auto* blocks = static_cast<const BlockQ8_K*>(x);
    for (int64_t ib = 0; ib < n / kQKK; ++ib) {
        for (int e = 0; e < kQKK; ++e) {
            y[ib * kQKK + e] = blocks[ib].d * static_cast<float>(blocks[ib].qs[e]);
        }
    }
}

// ---- dot products: w [n/256] weight super-blocks, a [n/256] BlockQ8_K ----

float vec_dot_q4_k_q8_k(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const BlockQ4_K*>(w);
    const auto* ab = static_cast<const BlockQ8_K*>(a);
    uint8_t q[kQKK];
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / kQKK; ++ib) {
        decode_q4_k_quants(wb[ib].qs, q);
        sum += dot_k_superblock(q, fp16_to_fp32(wb[ib].d), fp16_to_fp32(wb[ib].dmin), wb[ib].scales,
                                ab[ib]);
    }
    return sum;
}

float vec_dot_q5_k_q8_k(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const BlockQ5_K*>(w);
    const auto* ab = static_cast<const BlockQ8_K*>(a);
    uint8_t q[kQKK];
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / kQKK; ++ib) {
        decode_q5_k_quants(wb[ib], q);
        sum += dot_k_superblock(q, fp16_to_fp32(wb[ib].d), fp16_to_fp32(wb[ib].dmin), wb[ib].scales,
                                ab[ib]);
    }
    return sum;
}

float vec_dot_q6_k_q8_k(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const BlockQ6_K*>(w);
    const auto* ab = static_cast<const BlockQ8_K*>(a);
    int8_t q[kQKK];
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / kQKK; ++ib) {
        decode_q6_k_quants(wb[ib], q);
        // 1. Σ_g scales[g] · Σ_{16 in g} (q_w - 32) q_a, exact in int32 (< 16·128·16·32·127).
        int32_t isum = 0;
        for (int g = 0; g < kSubBlocksQ6; ++g) {
            int32_t sub = 0;
            for (int l = 0; l < 16; ++l) sub += q[16 * g + l] * ab[ib].qs[16 * g + l];
            isum += wb[ib].scales[g] * sub;
        }
        // 2. Scale by d_w d_a.
        sum += (fp16_to_fp32(wb[ib].d) * ab[ib].d) * static_cast<float>(isum);
    }
    return sum;
}

}  // namespace glmserve::kernels::ref
