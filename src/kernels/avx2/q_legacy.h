// AVX2 kernels for the 32-element block formats: the Q8_0 / Q8_1 activation quantizers and the
// dot products of Q8_0, Q4_0, Q5_0 (against Q8_0) and Q4_1, Q5_1 (against Q8_1) weights.
//
// Specification: kernels/ref/q_legacy.cpp. Guarantees, each tested against it:
//   - quantize_row_q8_0 / quantize_row_q8_1 are byte-identical to ref: same f32 scale and
//     inverse, the same ties-away-from-zero rounding as ref's std::round (not the ties-to-even
//     of _mm256_round_ps), d and s rounded to fp16 as kernels::fp32_to_fp16 does (F16C, which
//     that function matches bit for bit), and s from the exact int sum of the q's.
//   - vec_dot_*: the same exact int32 block sums as ref, scaled by the same fp16 block scales,
//     but summed in a different float order (8 lanes, then a horizontal sum), so they differ
//     from ref by float summation rounding only.
//   - vec_dot_rows_* (KernelTable::VecDotRowsFn): unpacks each weight block once for up to
//     kMaxActRows activation rows; out[j] equals the same file's vec_dot bit for bit, because
//     both run the same per-row instruction sequence (one template body).
// Only called through the KernelTable; the CPU must have the avx2 level (dispatch checks).
// n is a multiple of 32 (extra elements are ignored, as in ref). Q8 activations must lie in
// [-127, 127], which is what the quantizers here and in ref produce; weight bytes may be any
// value (Q8_0 weights of -128 included). Data may be unaligned.
// Kernels never allocate, lock or log. Thread: pure functions over caller-owned buffers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/kernel_table.h"

namespace glmserve::kernels::avx2 {

// x [n] f32 -> y [n/32] BlockQ8_0 / BlockQ8_1.
void quantize_row_q8_0(const float* x, void* y, int64_t n);
void quantize_row_q8_1(const float* x, void* y, int64_t n);

// w [n/32] weight blocks · a [n/32] activation blocks.
float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a);
float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a);
float vec_dot_q5_0_q8_0(int64_t n, const void* w, const void* a);
float vec_dot_q4_1_q8_1(int64_t n, const void* w, const void* a);
float vec_dot_q5_1_q8_1(int64_t n, const void* w, const void* a);

// out[j] = vec_dot_*(n, w, a + j * act_stride) for 0 <= j < n_act (1..kMaxActRows).
void vec_dot_rows_q8_0_q8_0(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out);
void vec_dot_rows_q4_0_q8_0(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out);
void vec_dot_rows_q5_0_q8_0(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out);
void vec_dot_rows_q4_1_q8_1(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out);
void vec_dot_rows_q5_1_q8_1(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                            float* out);

// out[r * out_stride + c] = vec_dot_*(n, w + r * w_stride, a + c * act_stride) for r < n_w
// and c < n_act (each 1..4: KernelTable::VecDotTileFn).
void vec_dot_tile_q8_0_q8_0(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                            size_t act_stride, int n_act, float* out, size_t out_stride);
void vec_dot_tile_q4_0_q8_0(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                            size_t act_stride, int n_act, float* out, size_t out_stride);
void vec_dot_tile_q5_0_q8_0(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                            size_t act_stride, int n_act, float* out, size_t out_stride);
void vec_dot_tile_q4_1_q8_1(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                            size_t act_stride, int n_act, float* out, size_t out_stride);
void vec_dot_tile_q5_1_q8_1(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                            size_t act_stride, int n_act, float* out, size_t out_stride);

// Overrides in `t`: quantize_row of Q8_0 (weights and activations share it) and Q8_1, and
// vec_dot / vec_dot_rows / vec_dot_tile of Q8_0, Q4_0, Q5_0, Q4_1, Q5_1. Every other field is kept.
void add_legacy_kernels(KernelTable& t);

}  // namespace glmserve::kernels::avx2
