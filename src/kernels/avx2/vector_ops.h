// AVX2 vector ops (KernelTable::vec): the f32 × f16 dot product and f16 axpy that attention
// runs on K/V rows of the paged cache, their tile forms for a GQA group, an f32 scale, and the
// decoder's element-wise ops (exp, add, RMSNorm, SwiGLU).
//
// Specification: kernels/ref/vector_ops.cpp. Guarantees, each tested against it:
//   - dot_f32_f16 converts y with F16C (exact), forms each product exactly inside an FMA and sums
//     in four 8-lane accumulators, a fixed horizontal sum, then the tail in index order. ref
//     rounds each product and sums in double, so the two differ by float summation rounding
//     only, within (n/8 + 16)·2^-24·Σ|x_i·y_i|.
//   - axpy_f16 computes y[i] + a·x[i] with one rounding (FMA; the scalar tail too), where ref
//     rounds the product first: each element differs from ref by at most one rounding of the
//     product, 2^-24·|a·x[i]|, plus half an ulp of the result.
//   - scale_f32 is one multiply per element, bit-identical to ref.
//   - dot_f32_f16_tile widens each f16 row once for up to 8 x rows (one 8-lane accumulator per
//     x row, a transposing horizontal sum, the tail in index order): within the same
//     (n/8 + 24)·2^-24·Σ|x_i·y_i| of ref per output.
//   - axpy_f16_tile keeps blocks of y in registers across all rows p, adding the terms in p
//     order with one rounding each (FMA), where ref rounds product and sum: each element
//     differs from ref by at most 2·(n_rows + 1)·2^-24·(|y| + Σ_p|a_p·x_p[i]|).
//   - exp_f32 differs from std::exp (ref) by at most 2 ulp (measured 1 ulp worst over every
//     float in [-104, 89], normal results; ±inf, ±0, NaN and overflow/underflow as std::exp),
//     and each element is the same function of its input wherever it sits in the row.
//   - add_f32 is one add per element, bit-identical to ref.
//   - rms_norm_f32 sums the squares in double like ref (in four lanes, not index order) and then
//     does ref's float operations, so it equals ref bit for bit unless the two double sums round
//     to different float means (a tie within 2^-29 relative): then by at most 2 ulp.
//   - swiglu_f32 runs ref's operations on exp_f32's e^-g: within 5 ulp of ref (exp's 2 through
//     1 + e, plus a different rounding of the sum, the division and the product).
// Any n >= 0; data may be unaligned. Only called through the KernelTable; the CPU must have the
// avx2 level. Kernels never allocate, lock or log. Thread: pure functions.
#pragma once

#include <cstdint>

#include "kernels/kernel_table.h"

namespace glmserve::kernels::avx2 {

// Σ x[i]·y[i]: x [n] f32, y [n] f16.
float dot_f32_f16(int64_t n, const float* x, const uint16_t* y);
// y[i] += a·x[i]: x [n] f16, y [n] f32.
void axpy_f16(int64_t n, float a, const uint16_t* x, float* y);
// y[i] *= a: y [n] f32.
void scale_f32(int64_t n, float a, float* y);

// out[p·n_x + r] = x_r · y.rows[p]: x [n_x, n] f32, out [y.n_rows, n_x].
void dot_f32_f16_tile(int64_t n, const float* x, int64_t n_x, F16Rows y, float* out);
// y_r += Σ_p a[p·n_y + r]·x.rows[p] in p order: a [x.n_rows, n_y], y [n_y, n] f32.
void axpy_f16_tile(int64_t n, F16Rows x, const float* a, int64_t n_y, float* y);

// y[i] = e^x[i]: x, y [n] (y may alias x).
void exp_f32(int64_t n, const float* x, float* y);
// y[i] += x[i]: x, y [n].
void add_f32(int64_t n, const float* x, float* y);
// y = x / sqrt(mean(x²) + eps) ∘ w: x, w, y [n] (y may alias x).
void rms_norm_f32(int64_t n, const float* x, const float* w, float eps, float* y);
// out[i] = silu(gate[i])·up[i]: all [n] (out may alias gate or up).
void swiglu_f32(int64_t n, const float* gate, const float* up, float* out);

// Overrides every entry of t.vec.
void add_vector_kernels(KernelTable& t);

}  // namespace glmserve::kernels::avx2
