// AVX2 kernels for the 256-element K-quant super-blocks: the Q8_K activation quantizer and the
// Q4_K, Q5_K and Q6_K dot products with Q8_K activations (one pair, one weight row × up to
// kMaxActRows activation rows, and tiles of up to kMaxWeightRows × kMaxActRows).
//
// Compiled with -mavx2 -mfma -mf16c (src/kernels/CMakeLists.txt); call them only through a
// KernelTable that dispatch built for a CPU with has_avx2_level(). Including this header is
// safe anywhere: it declares plain functions and uses no intrinsics.
//
// Contracts against the scalar specification (kernels/ref/q_k.cpp):
//   - quantize_row_q8_k is bit-identical to ref::quantize_row_q8_k (d, qs and bsums).
//   - vec_dot_* compute the same exact per-super-block integer sums as ref (sub-block scales
//     applied in int32, the Q4_K/Q5_K min term from the Q8_K bsums) and then ref's float steps
//     in ref's order, so they return ref's bits. Q6_K takes its "- 32" offset through the
//     bsums (Σ sc·(q-32)·a = Σ sc·q·a - 32·Σ sc·bsum), which equals ref's integer sum for every
//     Q8_K block whose bsums are its group sums (all our quantizer makes).
//   - vec_dot_rows_* and vec_dot_tile_* give, for every pair, the same bits as vec_dot_*
//     (KernelTable contract): they are the same code with more pairs per register.
// n is a multiple of 256 (no tail exists for these formats); n = 0 gives 0.
// Kernels never allocate, lock or log. Thread: pure functions over caller-owned buffers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/kernel_table.h"

namespace glmserve::kernels::avx2 {

// x [n] f32 -> y [n/256] BlockQ8_K.
void quantize_row_q8_k(const float* x, void* y, int64_t n);

// w [n/256] weight super-blocks, a [n/256] BlockQ8_K.
float vec_dot_q4_k_q8_k(int64_t n, const void* w, const void* a);
float vec_dot_q5_k_q8_k(int64_t n, const void* w, const void* a);
float vec_dot_q6_k_q8_k(int64_t n, const void* w, const void* a);

// One weight row against n_act (1..kMaxActRows) Q8_K rows act_stride bytes apart:
// out[j] = vec_dot_*(n, w, a + j * act_stride), bit for bit.
void vec_dot_rows_q4_k_q8_k(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out);
void vec_dot_rows_q5_k_q8_k(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out);
void vec_dot_rows_q6_k_q8_k(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out);

// n_w (1..kMaxWeightRows) weight rows w_stride bytes apart × n_act (1..kMaxActRows) Q8_K rows:
// out[r * out_stride + j] = vec_dot_*(n, w + r * w_stride, a + j * act_stride), bit for bit.
// Writes exactly those n_w × n_act floats. Larger counts are split into such tiles.
void vec_dot_tile_q4_k_q8_k(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                            size_t act_stride, int n_act, float* out, size_t out_stride);
void vec_dot_tile_q5_k_q8_k(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                            size_t act_stride, int n_act, float* out, size_t out_stride);
void vec_dot_tile_q6_k_q8_k(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                            size_t act_stride, int n_act, float* out, size_t out_stride);

// Sets quantize_row of Q8_K and vec_dot / vec_dot_rows / vec_dot_tile of Q4_K, Q5_K and Q6_K; every
// other entry and field (supported, vec_dot_type, dequantize_row, other types) is left as it is.
void add_k_kernels(KernelTable& t);

}  // namespace glmserve::kernels::avx2
