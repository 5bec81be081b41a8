// Reference vector ops (KernelTable::vec): the f32 × f16 dot product and the f16 axpy that
// attention runs on K/V rows of the paged cache, their tile forms for a GQA group, an f32
// scale, and the decoder's element-wise ops: exp (softmax), add (residual, bias), RMSNorm and
// SwiGLU.
//
// Shapes: a row is n contiguous elements; f16 elements are IEEE binary16 bit patterns.
// Arithmetic (the specification SIMD versions are tested against):
//   dot_f32_f16: each product in float, products summed in double in index order, the sum
//                rounded to float once (as the F16 vec_dot does).
//   axpy_f16:    y[i] = y[i] + a·x[i] in float, two roundings (product, then sum).
//   scale_f32:   y[i] = y[i]·a, one rounding, so every version agrees bit for bit.
//   dot_f32_f16_tile / axpy_f16_tile: dot_f32_f16 for every (row, x row) pair; axpy_f16 for
//                every row in order (so each y element adds its terms in row order).
//   exp_f32:     std::exp (float) per element.
//   add_f32:     y[i] + x[i], one rounding.
//   rms_norm_f32: Σ x² in double in index order (as GGUF runtimes do), the mean rounded to
//                float, scale = 1 / sqrt(mean + eps) in float, y[i] = (x[i]·scale)·w[i].
//   swiglu_f32:  out[i] = (g / (1 + std::exp(-g)))·up[i] with g = gate[i], each step in float.
// Thread: pure functions over caller-owned buffers.
#include <cmath>

#include "kernels/float16.h"
#include "kernels/ref/ref_kernels.h"

namespace glmserve::kernels::ref {

// x: [n] f32, y: [n] f16
float dot_f32_f16(int64_t n, const float* x, const uint16_t* y) {
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        sum += static_cast<double>(x[i] * fp16_to_fp32(y[i]));  // float product, double sum
    }
    return static_cast<float>(sum);
}

// x: [n] f16, y: [n] f32 (updated in place)
void axpy_f16(int64_t n, float a, const uint16_t* x, float* y) {
    for (int64_t i = 0; i < n; ++i) y[i] += a * fp16_to_fp32(x[i]);
}

// y: [n] f32 (updated in place)
void scale_f32(int64_t n, float a, float* y) {
    for (int64_t i = 0; i < n; ++i) y[i] *= a;
}

// x: [n_x, n] f32, y: n_rows f16 rows of n, out: [n_rows, n_x]
void dot_f32_f16_tile(int64_t n, const float* x, int64_t n_x, F16Rows y, float* out) {
    for (int64_t p = 0; p < y.n_rows; ++p) {
        for (int64_t r = 0; r < n_x; ++r) out[p * n_x + r] = dot_f32_f16(n, x + r * n, y.rows[p]);
    }
}

// x: n_rows f16 rows of n, a: [n_rows, n_y], y: [n_y, n] f32 (updated in place)
void axpy_f16_tile(int64_t n, F16Rows x, const float* a, int64_t n_y, float* y) {
    for (int64_t p = 0; p < x.n_rows; ++p) {
        for (int64_t r = 0; r < n_y; ++r) axpy_f16(n, a[p * n_y + r], x.rows[p], y + r * n);
    }
}

// x, y: [n] (y may alias x)
void exp_f32(int64_t n, const float* x, float* y) {
    for (int64_t i = 0; i < n; ++i) y[i] = std::exp(x[i]);
}

// x: [n], y: [n] f32 (updated in place)
void add_f32(int64_t n, const float* x, float* y) {
    for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

// x, w, y: [n] (y may alias x)
void rms_norm_f32(int64_t n, const float* x, const float* w, float eps, float* y) {
    if (n <= 0) return;
    // 1. mean of squares: each square exact in double, summed in index order.
    double sum_sq = 0.0;
    for (int64_t i = 0; i < n; ++i) sum_sq += static_cast<double>(x[i]) * x[i];
    const float mean = static_cast<float>(sum_sq / static_cast<double>(n));
    // 2. one float scale for the row, then two products per element.
    const float scale = 1.0f / std::sqrt(mean + eps);
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale * w[i];
}

// gate, up, out: [n] (out may alias gate or up)
void swiglu_f32(int64_t n, const float* gate, const float* up, float* out) {
    for (int64_t i = 0; i < n; ++i) {
        const float g = gate[i];
        const float silu = g / (1.0f + std::exp(-g));  // silu(g) = g·sigmoid(g)
        out[i] = silu * up[i];
    }
}

}  // namespace glmserve::kernels::ref
