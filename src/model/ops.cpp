#include "model/ops.h"

#include <cmath>

namespace glmserve::model::ops {

void rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps) {
    for (int64_t t = 0; t < n_rows; ++t) {
        const float* xr = x + t * n;
        float* yr = y + t * n;
        double sum_sq = 0.0;
        for (int64_t i = 0; i < n; ++i) sum_sq += static_cast<double>(xr[i]) * xr[i];
        const float mean = static_cast<float>(sum_sq / static_cast<double>(n));
        const float scale = 1.0f / std::sqrt(mean + eps);
        for (int64_t i = 0; i < n; ++i) yr[i] = xr[i] * scale * w[i];
    }
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

void add_bias(float* x, const float* b, int64_t n_rows, int64_t n) {
    for (int64_t t = 0; t < n_rows; ++t) {
        for (int64_t i = 0; i < n; ++i) x[t * n + i] += b[i];
    }
}

void add_in_place(float* x, const float* y, int64_t n) {
    for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

namespace {
inline float silu(float z) {
    return z / (1.0f + std::exp(-z));
}
}  // namespace

void swiglu_fused(const float* gu, float* out, int64_t n_rows, int64_t n_ff) {
    for (int64_t t = 0; t < n_rows; ++t) {
        swiglu(gu + t * 2 * n_ff, gu + t * 2 * n_ff + n_ff, out + t * n_ff, n_ff);
    }
}

void swiglu(const float* gate, const float* up, float* out, int64_t n) {
    for (int64_t i = 0; i < n; ++i) out[i] = silu(gate[i]) * up[i];
}

}  // namespace glmserve::model::ops
