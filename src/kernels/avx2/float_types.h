// AVX2 kernels for the unquantized types F32, F16 and BF16: their dot products (one row,
// vec_dot_rows and vec_dot_tile) and the F16 / BF16 row converters.
//
// Specification: kernels/ref/float_types.cpp. Guarantees, each tested against it:
//   - quantize_row_f16 / dequantize_row_f16 (F16C vcvtps2ph / vcvtph2ps) and quantize_row_bf16 /
//     dequantize_row_bf16 (integer rounding) are bit-identical to ref for every input,
//     NaN, inf, subnormals and overflow included.
//   - vec_dot_f32 / _f16 / _bf16 form each product exactly inside an FMA and sum in float
//     lanes (one 8-lane accumulator, one FMA per 8 elements in index order, a fixed horizontal
//     sum, then the tail in scalar order), where ref rounds each product to float and sums in
//     double. They differ from ref by float summation rounding only: a few units of 2^-24 times
//     Σ|w_i·a_i|, never more than the recursive-summation bound (n/8 + 24)·2^-24·Σ|w_i·a_i|
//     (the tests use that bound).
//   - vec_dot_tile_* (KernelTable::VecDotTileFn) compute up to kMaxWeightRows × kMaxActRows
//     dot products, converting each weight vector once for the tile's activation rows and each
//     activation vector once per pass of 4 (1-3 activation rows) or 2 (4) weight rows;
//     vec_dot_rows_* (KernelTable::VecDotRowsFn) are their one-weight-row case. Every output
//     equals the same file's vec_dot bit for bit: all run one template body with the same
//     per-pair instruction sequence. A lone vec_dot is a single FMA chain (latency-bound); the
//     tile runs one independent chain per pair, four for decode's 4 rows × 1 token.
// Any n >= 0 (elements past the last full vector are finished in scalar code). Data may be
// unaligned. Only called through the KernelTable; the CPU must have the avx2 level.
// Kernels never allocate, lock or log. Thread: pure functions over caller-owned buffers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/kernel_table.h"

namespace glmserve::kernels::avx2 {

// x [n] f32 -> y [n] f16 / bf16 bit patterns, and back.
void quantize_row_f16(const float* x, void* y, int64_t n);
void dequantize_row_f16(const void* x, float* y, int64_t n);
void quantize_row_bf16(const float* x, void* y, int64_t n);
void dequantize_row_bf16(const void* x, float* y, int64_t n);

// w [n] · a [n], both of the named type.
float vec_dot_f32(int64_t n, const void* w, const void* a);
float vec_dot_f16(int64_t n, const void* w, const void* a);
float vec_dot_bf16(int64_t n, const void* w, const void* a);

// out[j] = vec_dot_*(n, w, a + j * act_stride) for 0 <= j < n_act (1..kMaxActRows).
void vec_dot_rows_f32(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                      float* out);
void vec_dot_rows_f16(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                      float* out);
void vec_dot_rows_bf16(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                       float* out);

// out[r * out_stride + c] = vec_dot_*(n, w + r * w_stride, a + c * act_stride) for
// 0 <= r < n_w (1..kMaxWeightRows), 0 <= c < n_act (1..kMaxActRows).
void vec_dot_tile_f32(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                      size_t act_stride, int n_act, float* out, size_t out_stride);
void vec_dot_tile_f16(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                      size_t act_stride, int n_act, float* out, size_t out_stride);
void vec_dot_tile_bf16(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                       size_t act_stride, int n_act, float* out, size_t out_stride);

// Overrides in `t`: vec_dot, vec_dot_rows and vec_dot_tile of F32, F16 and BF16, and
// quantize_row / dequantize_row of F16 and BF16 (F32's are memcpy already). Every other field
// is kept.
void add_float_kernels(KernelTable& t);

}  // namespace glmserve::kernels::avx2
