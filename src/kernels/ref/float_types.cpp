// Reference kernels for the unquantized types F32, F16 and BF16.
//
// Shapes: a row is n contiguous elements; F16/BF16 elements are uint16_t bit patterns.
// A weight row of F16 (BF16) is multiplied with an activation row converted to F16 (BF16):
// the activation is rounded once, as GGUF runtimes do (../shared/reference/glm-gguf.md §2.5).
// Dot products: products in float, summed in double in index order, rounded to float once.
// Thread: pure functions.
#include <cstring>

#include "kernels/float16.h"
#include "kernels/ref/ref_kernels.h"

namespace glmserve::kernels::ref {

// ---- F32 ----

void quantize_row_f32(const float* x, void* y, int64_t n) {
    std::memcpy(y, x, static_cast<size_t>(n) * sizeof(float));
}

void dequantize_row_f32(const void* x, float* y, int64_t n) {
    std::memcpy(y, x, static_cast<size_t>(n) * sizeof(float));
}

// w: [n] f32, a: [n] f32
float vec_dot_f32(int64_t n, const void* w, const void* a) {
    const auto* wf = static_cast<const float*>(w);
    const auto* af = static_cast<const float*>(a);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        sum += static_cast<double>(wf[i] * af[i]);  // float product, double sum
    }
    return static_cast<float>(sum);
}

// ---- F16 ----

void quantize_row_f16(const float* x, void* y, int64_t n) {
    auto* h = static_cast<uint16_t*>(y);
    for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_fp16(x[i]);
}

void dequantize_row_f16(const void* x, float* y, int64_t n) {
    const auto* h = static_cast<const uint16_t*>(x);
    for (int64_t i = 0; i < n; ++i) y[i] = fp16_to_fp32(h[i]);
}

// w: [n] f16, a: [n] f16
float vec_dot_f16(int64_t n, const void* w, const void* a) {
    const auto* wh = static_cast<const uint16_t*>(w);
    const auto* ah = static_cast<const uint16_t*>(a);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        sum += static_cast<double>(fp16_to_fp32(wh[i]) * fp16_to_fp32(ah[i]));
    }
    return static_cast<float>(sum);
}

// ---- BF16 ----

void quantize_row_bf16(const float* x, void* y, int64_t n) {
    auto* h = static_cast<uint16_t*>(y);
    for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_bf16(x[i]);
}

void dequantize_row_bf16(const void* x, float* y, int64_t n) {
    const auto* h = static_cast<const uint16_t*>(x);
    for (int64_t i = 0; i < n; ++i) y[i] = bf16_to_fp32(h[i]);
}

// w: [n] bf16, a: [n] bf16
float vec_dot_bf16(int64_t n, const void* w, const void* a) {
    const auto* wh = static_cast<const uint16_t*>(w);
    const auto* ah = static_cast<const uint16_t*>(a);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        sum += static_cast<double>(bf16_to_fp32(wh[i]) * bf16_to_fp32(ah[i]));
    }
    return static_cast<float>(sum);
}

}  // namespace glmserve::kernels::ref
