// The scalar reference kernels, one set per tensor type (STYLE.md §6).
//
// These are the specification every SIMD table is tested against, and SIMD files call them to
// finish their tails. Row functions take n elements (a multiple of the type's block size; 1 for
// F32/F16/BF16). vec_dot functions take weights of their type and activations of its
// vec_dot_type (kernel_table.h). Semantics follow ../shared/reference/glm-gguf.md §2.
//
// Accumulation (documented choice):
//   - F32, F16, BF16 dot products: each product is formed in float, products are summed in
//     double in index order, the sum is rounded to float once (ggml's scalar semantic).
//   - Quantized dot products: exact int32 sums per block (per super-block for K-quants), scaled
//     by the blocks' float scales and accumulated in float, block by block in index order.
// Kernels never allocate, lock or log. Thread: pure functions over caller-owned buffers.
#pragma once

#include <cmath>
#include <cstdint>

#include "kernels/kernel_table.h"

namespace glmserve::kernels::ref {

// Round to nearest integer, ties to even, independent of the FPU rounding mode (ggml's
// nearest_int for the |x| < 2^22 it is used on).
inline float round_half_even(float x) {
    const float fl = std::floor(x);
    const float frac = x - fl;  // exact for |x| < 2^23
    if (frac > 0.5f) return fl + 1.0f;
    if (frac < 0.5f) return fl;
    return std::fmod(fl, 2.0f) == 0.0f ? fl : fl + 1.0f;
}

// ---- float types (float_types.cpp) ----
void quantize_row_f32(const float* x, void* y, int64_t n);
void dequantize_row_f32(const void* x, float* y, int64_t n);
float vec_dot_f32(int64_t n, const void* w, const void* a);

void quantize_row_f16(const float* x, void* y, int64_t n);
void dequantize_row_f16(const void* x, float* y, int64_t n);
float vec_dot_f16(int64_t n, const void* w, const void* a);

void quantize_row_bf16(const float* x, void* y, int64_t n);
void dequantize_row_bf16(const void* x, float* y, int64_t n);
float vec_dot_bf16(int64_t n, const void* w, const void* a);

// ---- 32-element blocks (q_legacy.cpp) ----
void quantize_row_q4_0(const float* x, void* y, int64_t n);
void quantize_row_q4_1(const float* x, void* y, int64_t n);
void quantize_row_q5_0(const float* x, void* y, int64_t n);
void quantize_row_q5_1(const float* x, void* y, int64_t n);
void quantize_row_q8_0(const float* x, void* y, int64_t n);  // weights and activations
void quantize_row_q8_1(const float* x, void* y, int64_t n);  // activations

void dequantize_row_q4_0(const void* x, float* y, int64_t n);
void dequantize_row_q4_1(const void* x, float* y, int64_t n);
void dequantize_row_q5_0(const void* x, float* y, int64_t n);
void dequantize_row_q5_1(const void* x, float* y, int64_t n);
void dequantize_row_q8_0(const void* x, float* y, int64_t n);
void dequantize_row_q8_1(const void* x, float* y, int64_t n);

float vec_dot_q4_0_q8_0(int64_t n, const void* w, const void* a);
float vec_dot_q5_0_q8_0(int64_t n, const void* w, const void* a);
float vec_dot_q8_0_q8_0(int64_t n, const void* w, const void* a);
float vec_dot_q4_1_q8_1(int64_t n, const void* w, const void* a);
float vec_dot_q5_1_q8_1(int64_t n, const void* w, const void* a);

// ---- 256-element super-blocks (q_k.cpp, q_k_quantize.cpp) ----
// Q4_K/Q5_K scale packing: 8 six-bit scales and 8 six-bit mins in 12 bytes.
void unpack_k_scales(const uint8_t* packed12, uint8_t* scales8, uint8_t* mins8);
void pack_k_scales(const uint8_t* scales8, const uint8_t* mins8, uint8_t* packed12);

void quantize_row_q4_k(const float* x, void* y, int64_t n);
void quantize_row_q5_k(const float* x, void* y, int64_t n);
void quantize_row_q6_k(const float* x, void* y, int64_t n);
void quantize_row_q8_k(const float* x, void* y, int64_t n);  // activations

void dequantize_row_q4_k(const void* x, float* y, int64_t n);
void dequantize_row_q5_k(const void* x, float* y, int64_t n);
void dequantize_row_q6_k(const void* x, float* y, int64_t n);
void dequantize_row_q8_k(const void* x, float* y, int64_t n);

float vec_dot_q4_k_q8_k(int64_t n, const void* w, const void* a);
float vec_dot_q5_k_q8_k(int64_t n, const void* w, const void* a);
float vec_dot_q6_k_q8_k(int64_t n, const void* w, const void* a);

// ---- vector ops (vector_ops.cpp; KernelTable::vec, kernel_table.h) ----
// dot_f32_f16 sums float products in double like the F16 vec_dot; axpy_f16 rounds the product
// and the sum separately; scale_f32 is one multiply per element. The _tile ops are those two
// applied row by row: dot_f32_f16 per (row p, x row r), axpy_f16 per p in order, then per r.
float dot_f32_f16(int64_t n, const float* x, const uint16_t* y);
void axpy_f16(int64_t n, float a, const uint16_t* x, float* y);
void scale_f32(int64_t n, float a, float* y);
void dot_f32_f16_tile(int64_t n, const float* x, int64_t n_x, F16Rows y, float* out);
void axpy_f16_tile(int64_t n, F16Rows x, const float* a, int64_t n_y, float* y);
// The decoder's element-wise ops: std::exp per element; y += x; RMSNorm of one row (squares
// summed in double); silu(gate)·up with std::exp.
void exp_f32(int64_t n, const float* x, float* y);
void add_f32(int64_t n, const float* x, float* y);
void rms_norm_f32(int64_t n, const float* x, const float* w, float eps, float* y);
void swiglu_f32(int64_t n, const float* gate, const float* up, float* out);

}  // namespace glmserve::kernels::ref
