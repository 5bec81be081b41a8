// Element-wise and row operations of the decoder, scalar reference versions.
//
// Shapes are in the comments; all buffers are row-major f32. These are cheap next to the
// matmuls; the fast-kernels issue (#5) fuses some of them.
#pragma once

#include <cstdint>

#include "model/hparams.h"

namespace glmserve::model::ops {

// y[t] = x[t] / sqrt(mean(x[t]²) + eps) * w, for t < n_rows; x, y: [n_rows, n]; w: [n].
// The mean is accumulated in double, as GGUF runtimes do. y may alias x.
void rms_norm(const float* x, const float* w, float* y, int64_t n_rows, int64_t n, float eps);

// Rotates the first n_rot dims of every head of one token in place.
// x: [n_heads, head_dim] for the token at position `pos`.
void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, int64_t pos, float base,
          RopeStyle style);

// x[t][i] += b[i]; x: [n_rows, n], b: [n].
void add_bias(float* x, const float* b, int64_t n_rows, int64_t n);

// x[i] += y[i] for i < n.
void add_in_place(float* x, const float* y, int64_t n);

// Fused SwiGLU on a [gate | up] row: out[t][i] = silu(gu[t][i]) * gu[t][n_ff + i].
// gu: [n_rows, 2·n_ff], out: [n_rows, n_ff].
void swiglu_fused(const float* gu, float* out, int64_t n_rows, int64_t n_ff);

// Separate gate and up: out[i] = silu(gate[i]) * up[i]; all [n].
void swiglu(const float* gate, const float* up, float* out, int64_t n);

}  // namespace glmserve::model::ops
