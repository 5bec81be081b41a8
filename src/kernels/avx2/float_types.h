// AVX2 kernels for the unquantized types F32, F16 and BF16: their dot products (one row and
// vec_dot_rows) and the F16 / BF16 row converters.
//
// Specification: kernels/ref/float_types.cpp. Guarantees, each tested against it:
//   - quantize_row_f16 / dequantize_row_f16 (F16C vcvtps2ph / vcvtph2ps) and quantize_row_bf16 /
//     dequantize_row_bf16 (integer rounding) are bit-identical to ref for every input,
//     NaN, inf, subnormals and overflow included.
//   - vec_dot_f32 / _f16 / _bf16 form each product exactly inside an FMA and sum in float
//     lanes (two 8-lane accumulators, a fixed horizontal sum, then the tail in scalar order),
//     where ref rounds each product to float and sums in double. They differ from ref by float
//     summation rounding only: a few units of 2^-24 times Σ|w_i·a_i|, never more than the
//     recursive-summation bound (n/8 + 16)·2^-24·Σ|w_i·a_i| (the tests use that bound).
//   - vec_dot_rows_* (KernelTable::VecDotRowsFn) load and convert each weight vector once for up
//     to kMaxActRows activation rows; out[j] equals the same file's vec_dot bit for bit, because
//     both run one template body with the same per-row instruction sequence.
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

// Overrides in `t`: vec_dot and vec_dot_rows of F32, F16 and BF16, and quantize_row /
// dequantize_row of F16 and BF16 (F32's are memcpy already). Every other field is kept.
void add_float_kernels(KernelTable& t);

}  // namespace glmserve::kernels::avx2
