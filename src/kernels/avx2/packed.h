// AVX2 kernels on row-interleaved weight groups (KernelTable::pack_rows / vec_dot_packed) for
// Q8_0, Q4_0, Q5_0, Q4_1, Q5_1, Q4_K, Q5_K and Q6_K, the formats whose decode the row-major
// kernels left compute-bound (Q5_0 is also what quantizing to Q4_K gives the matrices whose rows
// are not a multiple of 256, such as GLM-4's 13696-wide ffn_down: a third of a Q4_K file's bytes;
// Q6_K is a whole Q6_K file, and the output matrix of most Q4_K_M and Q5_K_M files; Q5_K most of a
// Q5_K_M file, with Q5_1 where rows are not a multiple of 256).
//
// Guarantees, tested against the row-major kernels of q_legacy.h and the scalar reference:
//   - pack_rows_* writes packed_group_bytes_*(n) bytes: Q8_0, Q4_0 and Q4_1 groups are exactly
//     their kPackRows rows' bytes, moved; Q5_0's and Q5_1's are as many bytes, their high bits
//     regrouped; Q4_K's
//     and Q5_K's add 32 bytes per super-block of decoded scales; Q6_K's are its rows' bytes,
//     moved.
//   - vec_dot_packed_* gives, for every row and token, vec_dot's result bit for bit, so a model
//     computes the same logits with packed weights or without.
// Only called through the KernelTable; the CPU must have the avx2 level (dispatch checks).
// n is a multiple of the block (32, K-quants 256); Q8 activations lie in [-127, 127] as the
// quantizers produce them. Kernels never allocate, lock or log. Thread: pure functions over
// caller-owned buffers.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/kernel_table.h"

namespace glmserve::kernels::avx2 {

// Bytes of one group of kPackRows rows of n values.
uint64_t packed_group_bytes_q8_0(int64_t n);
uint64_t packed_group_bytes_q4_0(int64_t n);
uint64_t packed_group_bytes_q5_0(int64_t n);
uint64_t packed_group_bytes_q4_1(int64_t n);
uint64_t packed_group_bytes_q5_1(int64_t n);
uint64_t packed_group_bytes_q4_k(int64_t n);
uint64_t packed_group_bytes_q5_k(int64_t n);
uint64_t packed_group_bytes_q6_k(int64_t n);

// The activation suffix (KernelTable::write_act_suffix) of a Q8_0 activation row, which the
// Q8_0, Q4_0 and Q5_0 kernels share: each block's quant sums and its scale as a float.
uint64_t q8_0_act_suffix_bytes(int64_t n);
void write_q8_0_act_suffix(int64_t n, const void* act_row, void* suffix);

// kPackRows rows of n values, row_bytes apart -> one group.
void pack_rows_q8_0(int64_t n, const void* rows, size_t row_bytes, void* group);
void pack_rows_q4_0(int64_t n, const void* rows, size_t row_bytes, void* group);
void pack_rows_q5_0(int64_t n, const void* rows, size_t row_bytes, void* group);
void pack_rows_q4_1(int64_t n, const void* rows, size_t row_bytes, void* group);
void pack_rows_q5_1(int64_t n, const void* rows, size_t row_bytes, void* group);
void pack_rows_q4_k(int64_t n, const void* rows, size_t row_bytes, void* group);
void pack_rows_q5_k(int64_t n, const void* rows, size_t row_bytes, void* group);
void pack_rows_q6_k(int64_t n, const void* rows, size_t row_bytes, void* group);

// out[c * out_stride + r] = vec_dot(n, row r of the group, a + c * act_stride), r < kPackRows,
// c < n_act (1..kMaxActRows); a holds BlockQ8_0 (Q4_1, Q5_1: BlockQ8_1; K-quants: BlockQ8_K)
// activation rows, the BlockQ8_0 ones each followed by its q8_0_act_suffix_bytes(n) bytes of
// suffix.
void vec_dot_packed_q8_0_q8_0(int64_t n, const void* group, const void* a, size_t act_stride,
                              int n_act, float* out, size_t out_stride);
void vec_dot_packed_q4_0_q8_0(int64_t n, const void* group, const void* a, size_t act_stride,
                              int n_act, float* out, size_t out_stride);
void vec_dot_packed_q5_0_q8_0(int64_t n, const void* group, const void* a, size_t act_stride,
                              int n_act, float* out, size_t out_stride);
void vec_dot_packed_q4_1_q8_1(int64_t n, const void* group, const void* a, size_t act_stride,
                              int n_act, float* out, size_t out_stride);
void vec_dot_packed_q5_1_q8_1(int64_t n, const void* group, const void* a, size_t act_stride,
                              int n_act, float* out, size_t out_stride);
void vec_dot_packed_q4_k_q8_k(int64_t n, const void* group, const void* a, size_t act_stride,
                              int n_act, float* out, size_t out_stride);
void vec_dot_packed_q5_k_q8_k(int64_t n, const void* group, const void* a, size_t act_stride,
                              int n_act, float* out, size_t out_stride);
void vec_dot_packed_q6_k_q8_k(int64_t n, const void* group, const void* a, size_t act_stride,
                              int n_act, float* out, size_t out_stride);

// Sets packed_group_bytes, pack_rows and vec_dot_packed for Q8_0, Q4_0, Q5_0, Q4_1, Q5_1, Q4_K,
// Q5_K and Q6_K in t,
// and act_suffix_bytes and write_act_suffix for the first three.
void add_packed_kernels(KernelTable& t);

}  // namespace glmserve::kernels::avx2
