// Element-wise and row operations of the decoder.
//
// Shapes are in the comments; all buffers are row-major f32. Everything but rope runs on the
// kernel table's vector ops (`vec`, KernelTable::vec: AVX2 where dispatch chose it, the scalar
// reference otherwise, whose arithmetic kernels/ref/vector_ops.cpp specifies). Each op works
// row by row or element by element, so a token's results never depend on the other tokens of
// its batch. These are cheap next to the matmuls, so they run on the caller's thread.
// Thread: pure functions over caller-owned buffers.
#pragma once

#include <cstdint>
#include <span>

#include "kernels/kernel_table.h"
#include "model/hparams.h"

namespace glmserve::model::ops {

using kernels::VectorKernels;

// y[t] = x[t] / sqrt(mean(x[t]²) + eps) ∘ w for t < n_rows; x, y: [n_rows, n], w: [n] with
// n = w.size(). The mean is accumulated in double, as GGUF runtimes do. y may alias x.
void rms_norm(const VectorKernels& vec, std::span<const float> w, float eps, const float* x,
              float* y, int64_t n_rows);

// Rotates the first n_rot dims of every head of one token in place (scalar).
// x: [n_heads, head_dim] for the token at position `pos`.
void rope(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, int64_t pos, float base,
          RopeStyle style);

// x[t][i] += b[i]; x: [n_rows, n], b: [n] with n = b.size().
void add_bias(const VectorKernels& vec, float* x, std::span<const float> b, int64_t n_rows);

// x[i] += y[i] for i < n.
void add_in_place(const VectorKernels& vec, float* x, const float* y, int64_t n);

// Fused SwiGLU on a [gate | up] row: out[t][i] = silu(gu[t][i]) * gu[t][n_ff + i].
// gu: [n_rows, 2·n_ff], out: [n_rows, n_ff].
void swiglu_fused(const VectorKernels& vec, const float* gu, float* out, int64_t n_rows,
                  int64_t n_ff);

// Separate gate and up: out[i] = silu(gate[i]) * up[i]; all [n].
void swiglu(const VectorKernels& vec, const float* gate, const float* up, float* out, int64_t n);

}  // namespace glmserve::model::ops
