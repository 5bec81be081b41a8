// Reference kernels for the 32-element block types Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and Q8_1.
//
// Layouts and formulas: ../shared/reference/glm-gguf.md §2.3 (blocks), §2.5 (dot products).
// Shapes: a row of n elements (n a multiple of 32) is n/32 blocks back to back.
// Quantizers are the reference ones GGUF converters use, so a row we quantize is the row a
// converter would write: the scale is computed in f32, stored rounded to fp16, and the q's are
// computed with the f32 scale. Q8_0/Q8_1 round with roundf (ties away from zero), as the
// reference activation quantizer does; SIMD versions that round ties to even may differ from
// it by one unit on exact ties only.
// Thread: pure functions.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/float16.h"
#include "kernels/quant_blocks.h"
#include "kernels/ref/ref_kernels.h"

namespace glmserve::kernels::ref {

namespace {

// The element of largest magnitude, with its sign (0 for an all-zero block).
float signed_absmax(const float* x, int64_t n) {
    float amax = 0.0f;
    float max = 0.0f;
    for (int64_t j = 0; j < n; ++j) {
        if (std::fabs(x[j]) > amax) {
            amax = std::fabs(x[j]);
            max = x[j];
        }
    }
    return max;
}

void min_max(const float* x, int64_t n, float* min_out, float* max_out) {
    float min = x[0];
    float max = x[0];
    for (int64_t j = 1; j < n; ++j) {
        min = std::min(min, x[j]);
        max = std::max(max, x[j]);
    }
    *min_out = min;
    *max_out = max;
}

uint32_t load_qh(const uint8_t* qh) {
    uint32_t v = 0;
    std::memcpy(&v, qh, sizeof(v));  // little-endian host
    return v;
}

void store_qh(uint32_t v, uint8_t* qh) {
    std::memcpy(qh, &v, sizeof(v));
}

// 5-bit value of element j (0..31) of a Q5 block: nibble plus bit j of qh as bit 4.
int q5_value(const uint8_t* qs, uint32_t qh, int j) {
    const int nibble = j < 16 ? (qs[j] & 0x0F) : (qs[j - 16] >> 4);
    return nibble | static_cast<int>(((qh >> j) & 1u) << 4);
}

int q4_value(const uint8_t* qs, int j) {
    return j < 16 ? (qs[j] & 0x0F) : (qs[j - 16] >> 4);
}

// 1/d, or 0 when d is 0 or so small that 1/d overflows (the block then quantizes to zeros;
// such a d is 0 once stored as fp16 anyway).
float inverse_or_zero(float d) {
    if (d == 0.0f) return 0.0f;
    const float id = 1.0f / d;
    return std::isfinite(id) ? id : 0.0f;
}

}  // namespace

// ---- quantize: x [n] f32 -> y [n/32] blocks ----

void quantize_row_q4_0(const float* x, void* y, int64_t n) {
    auto* blocks = static_cast<BlockQ4_0*>(y);
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const float* xb = x + ib * kQK;
        // 1. d maps the largest-magnitude element to -8, the level with no positive twin.
        const float d = signed_absmax(xb, kQK) / -8.0f;
        const float id = inverse_or_zero(d);
        blocks[ib].d = fp32_to_fp16(d);
        // 2. q = trunc(x/d + 8.5) clamped to 15: nibble j holds element j (low) and j+16 (high).
        for (int j = 0; j < 16; ++j) {
            const int q0 = std::min(15, static_cast<int>(xb[j] * id + 8.5f));
            const int q1 = std::min(15, static_cast<int>(xb[j + 16] * id + 8.5f));
            blocks[ib].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
        }
    }
}

void quantize_row_q4_1(const float* x, void* y, int64_t n) {
    auto* blocks = static_cast<BlockQ4_1*>(y);
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const float* xb = x + ib * kQK;
        // 1. 16 levels spread from min to max.
        float min = 0.0f;
        float max = 0.0f;
        min_max(xb, kQK, &min, &max);
        const float d = (max - min) / 15.0f;
        const float id = inverse_or_zero(d);
        blocks[ib].d = fp32_to_fp16(d);
        blocks[ib].m = fp32_to_fp16(min);
        // 2. q = round((x - min)/d), clamped to 15.
        for (int j = 0; j < 16; ++j) {
            const int q0 = std::min(15, static_cast<int>((xb[j] - min) * id + 0.5f));
            const int q1 = std::min(15, static_cast<int>((xb[j + 16] - min) * id + 0.5f));
            blocks[ib].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
        }
    }
}

void quantize_row_q5_0(const float* x, void* y, int64_t n) {
    auto* blocks = static_cast<BlockQ5_0*>(y);
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const float* xb = x + ib * kQK;
        // 1. d maps the largest-magnitude element to -16.
        const float d = signed_absmax(xb, kQK) / -16.0f;
        const float id = inverse_or_zero(d);
        blocks[ib].d = fp32_to_fp16(d);
        // 2. q = trunc(x/d + 16.5) clamped to 31; low 4 bits to qs, bit 4 to bit j of qh.
        uint32_t qh = 0;
        for (int j = 0; j < 16; ++j) {
            const int q0 = std::min(31, static_cast<int>(xb[j] * id + 16.5f));
            const int q1 = std::min(31, static_cast<int>(xb[j + 16] * id + 16.5f));
            blocks[ib].qs[j] = static_cast<uint8_t>((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= static_cast<uint32_t>(q0 >> 4) << j;
            qh |= static_cast<uint32_t>(q1 >> 4) << (j + 16);
        }
        store_qh(qh, blocks[ib].qh);
    }
}

void quantize_row_q5_1(const float* x, void* y, int64_t n) {
    auto* blocks = static_cast<BlockQ5_1*>(y);
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const float* xb = x + ib * kQK;
        // 1. 32 levels spread from min to max.
        float min = 0.0f;
        float max = 0.0f;
        min_max(xb, kQK, &min, &max);
        const float d = (max - min) / 31.0f;
        const float id = inverse_or_zero(d);
        blocks[ib].d = fp32_to_fp16(d);
        blocks[ib].m = fp32_to_fp16(min);
        // 2. q = round((x - min)/d) clamped to 31, split as in Q5_0.
        uint32_t qh = 0;
        for (int j = 0; j < 16; ++j) {
            const int q0 = std::min(31, static_cast<int>((xb[j] - min) * id + 0.5f));
            const int q1 = std::min(31, static_cast<int>((xb[j + 16] - min) * id + 0.5f));
            blocks[ib].qs[j] = static_cast<uint8_t>((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            qh |= static_cast<uint32_t>(q0 >> 4) << j;
            qh |= static_cast<uint32_t>(q1 >> 4) << (j + 16);
        }
        store_qh(qh, blocks[ib].qh);
    }
}

void quantize_row_q8_0(const float* x, void* y, int64_t n) {
    auto* blocks = static_cast<BlockQ8_0*>(y);
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const float* xb = x + ib * kQK;
        // 1. d = amax / 127, so q spans [-127, 127].
        float amax = 0.0f;
        for (int64_t j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(xb[j]));
        const float d = amax / 127.0f;
        const float id = inverse_or_zero(d);
        blocks[ib].d = fp32_to_fp16(d);
        // 2. q = round(x / d), ties away from zero.
        for (int64_t j = 0; j < kQK; ++j) {
            blocks[ib].qs[j] = static_cast<int8_t>(std::round(xb[j] * id));
        }
    }
}

void quantize_row_q8_1(const float* x, void* y, int64_t n) {
    auto* blocks = static_cast<BlockQ8_1*>(y);
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const float* xb = x + ib * kQK;
        // 1. As Q8_0.
        float amax = 0.0f;
        for (int64_t j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(xb[j]));
        const float d = amax / 127.0f;
        const float id = inverse_or_zero(d);
        blocks[ib].d = fp32_to_fp16(d);
        // 2. q = round(x / d); s = d * Σq with the f32 d (the Q4_1/Q5_1 min term uses it).
        int sum = 0;
        for (int64_t j = 0; j < kQK; ++j) {
            const auto q = static_cast<int8_t>(std::round(xb[j] * id));
            blocks[ib].qs[j] = q;
            sum += q;
        }
        blocks[ib].s = fp32_to_fp16(static_cast<float>(sum) * d);
    }
}

// ---- dequantize: x [n/32] blocks -> y [n] f32 ----

void dequantize_row_q4_0(const void* x, float* y, int64_t n) {
    const auto* blocks = static_cast<const BlockQ4_0*>(x);
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const float d = fp16_to_fp32(blocks[ib].d);
        for (int j = 0; j < kQK; ++j) {
            y[ib * kQK + j] = d * static_cast<float>(q4_value(blocks[ib].qs, j) - 8);
        }
    }
}

void dequantize_row_q4_1(const void* x, float* y, int64_t n) {
    const auto* blocks = static_cast<const BlockQ4_1*>(x);
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const float d = fp16_to_fp32(blocks[ib].d);
        const float m = fp16_to_fp32(blocks[ib].m);
        for (int j = 0; j < kQK; ++j) {
            y[ib * kQK + j] = d * static_cast<float>(q4_value(blocks[ib].qs, j)) + m;
        }
    }
}

void dequantize_row_q5_0(const void* x, float* y, int64_t n) {
    const auto* blocks = static_cast<const BlockQ5_0*>(x);
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const float d = fp16_to_fp32(blocks[ib].d);
        const uint32_t qh = load_qh(blocks[ib].qh);
        for (int j = 0; j < kQK; ++j) {
            y[ib * kQK + j] = d * static_cast<float>(q5_value(blocks[ib].qs, qh, j) - 16);
        }
    }
}

void dequantize_row_q5_1(const void* x, float* y, int64_t n) {
    const auto* blocks = static_cast<const BlockQ5_1*>(x);
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const float d = fp16_to_fp32(blocks[ib].d);
        const float m = fp16_to_fp32(blocks[ib].m);
        const uint32_t qh = load_qh(blocks[ib].qh);
        for (int j = 0; j < kQK; ++j) {
            y[ib * kQK + j] = d * static_cast<float>(q5_value(blocks[ib].qs, qh, j)) + m;
        }
    }
}

void dequantize_row_q8_0(const void* x, float* y, int64_t n) {
    const auto* blocks = static_cast<const BlockQ8_0*>(x);
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const float d = fp16_to_fp32(blocks[ib].d);
        for (int j = 0; j < kQK; ++j) y[ib * kQK + j] = d * static_cast<float>(blocks[ib].qs[j]);
    }
}

void dequantize_row_q8_1(const void* x, float* y, int64_t n) {
    const auto* blocks = static_cast<const BlockQ8_1*>(x);
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const float d = fp16_to_fp32(blocks[ib].d);
        for (int j = 0; j < kQK; ++j) y[ib * kQK + j] = d * static_cast<float>(blocks[ib].qs[j]);
    }
}

// ---- dot products: w [n/32] weight blocks, a [n/32] activation blocks ----
// Per block: an exact int32 sum of q_w * q_a, then sum += sumi * (d_w * d_a) in float.

float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const BlockQ4_0*>(w);
    const auto* ab = static_cast<const BlockQ8_0*>(a);
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        int sumi = 0;
        for (int j = 0; j < kQK; ++j) sumi += (q4_value(wb[ib].qs, j) - 8) * ab[ib].qs[j];
        sum += static_cast<float>(sumi) * (fp16_to_fp32(wb[ib].d) * fp16_to_fp32(ab[ib].d));
    }
    return sum;
}

float vec_dot_q5_0_q8_0(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const BlockQ5_0*>(w);
    const auto* ab = static_cast<const BlockQ8_0*>(a);
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const uint32_t qh = load_qh(wb[ib].qh);
        int sumi = 0;
        for (int j = 0; j < kQK; ++j) sumi += (q5_value(wb[ib].qs, qh, j) - 16) * ab[ib].qs[j];
        sum += static_cast<float>(sumi) * (fp16_to_fp32(wb[ib].d) * fp16_to_fp32(ab[ib].d));
    }
    return sum;
}

float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const BlockQ8_0*>(w);
    const auto* ab = static_cast<const BlockQ8_0*>(a);
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        int sumi = 0;
        for (int j = 0; j < kQK; ++j) sumi += wb[ib].qs[j] * ab[ib].qs[j];
        sum += static_cast<float>(sumi) * (fp16_to_fp32(wb[ib].d) * fp16_to_fp32(ab[ib].d));
    }
    return sum;
}

// Q4_1/Q5_1: x = d_w q_w + m_w, so Σ x a = d_w d_a Σ q_w q_a + m_w (d_a Σ q_a) = ... + m_w s_a.
float vec_dot_q4_1_q8_1(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const BlockQ4_1*>(w);
    const auto* ab = static_cast<const BlockQ8_1*>(a);
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        int sumi = 0;
        for (int j = 0; j < kQK; ++j) sumi += q4_value(wb[ib].qs, j) * ab[ib].qs[j];
        sum += (fp16_to_fp32(wb[ib].d) * fp16_to_fp32(ab[ib].d)) * static_cast<float>(sumi) +
               fp16_to_fp32(wb[ib].m) * fp16_to_fp32(ab[ib].s);
    }
    return sum;
}

float vec_dot_q5_1_q8_1(int64_t n, const void* w, const void* a) {
    const auto* wb = static_cast<const BlockQ5_1*>(w);
    const auto* ab = static_cast<const BlockQ8_1*>(a);
    float sum = 0.0f;
    for (int64_t ib = 0; ib < n / kQK; ++ib) {
        const uint32_t qh = load_qh(wb[ib].qh);
        int sumi = 0;
        for (int j = 0; j < kQK; ++j) sumi += q5_value(wb[ib].qs, qh, j) * ab[ib].qs[j];
        sum += (fp16_to_fp32(wb[ib].d) * fp16_to_fp32(ab[ib].d)) * static_cast<float>(sumi) +
               fp16_to_fp32(wb[ib].m) * fp16_to_fp32(ab[ib].s);
    }
    return sum;
}

}  // namespace glmserve::kernels::ref
