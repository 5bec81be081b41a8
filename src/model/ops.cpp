// The decoder's element-wise ops (see ops.h): row loops over the kernel table's vector ops, and
// the scalar RoPE.
// Thread: pure functions.
#include "model/ops.h"

#include <cmath>

namespace glmserve::model::ops {

void rms_norm(const VectorKernels& vec, std::span<const float> w, float eps, const float* x,
              float* y, int64_t n_rows) {
    const auto n = static_cast<int64_t>(w.size());
    for (int64_t t = 0; t < n_rows; ++t) vec.rms_norm_f32(n, x + t * n, w.data(), eps, y + t * n);
}

void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, int64_t pos, float base,
          RopeStyle style) {
    // θ_k = pos · base^(−2k / n_rot) for pair k < n_rot / 2 (the exponent uses n_rot, not the
    // head dim: ../shared/reference/glm-gguf.md §3.1).
    const int64_t n_pairs = n_rot / 2;
    for (int64_t k = 0; k < n_pairs; ++k) {
        const double theta =
            static_cast<double>(pos) *
            std::pow(static_cast<double>(base), -2.0 * k / static_cast<double>(n_rot));
        const float c = static_cast<float>(std::cos(theta));
        const float s = static_cast<float>(std::sin(theta));
        const int64_t i0 = style == RopeStyle::Norm ? 2 * k : k;
        const int64_t i1 = style == RopeStyle::Norm ? 2 * k + 1 : k + n_pairs;
        for (int64_t h = 0; h < n_heads; ++h) {
            float* v = x + h * head_dim;
            const float a = v[i0];
            const float b = v[i1];
            v[i0] = a * c - b * s;
            v[i1] = a * s + b * c;
        }
    }
}

void add_bias(const VectorKernels& vec, float* x, std::span<const float> b, int64_t n_rows) {
    const auto n = static_cast<int64_t>(b.size());
    for (int64_t t = 0; t < n_rows; ++t) vec.add_f32(n, b.data(), x + t * n);
}

void add_in_place(const VectorKernels& vec, float* x, const float* y, int64_t n) {
    vec.add_f32(n, y, x);
}

void swiglu_fused(const VectorKernels& vec, const float* gu, float* out, int64_t n_rows,
                  int64_t n_ff) {
    for (int64_t t = 0; t < n_rows; ++t) {
        const float* row = gu + t * 2 * n_ff;
        vec.swiglu_f32(n_ff, row, row + n_ff, out + t * n_ff);
    }
}

void swiglu(const VectorKernels& vec, const float* gate, const float* up, float* out, int64_t n) {
    vec.swiglu_f32(n, gate, up, out);
}

}  // namespace glmserve::model::ops
