// AVX2 kernels on row-interleaved weight groups (KernelTable::pack_rows / vec_dot_packed) for
// Q8_0, Q4_0, Q5_0, Q4_1, Q5_1, Q4_K, Q5_K and Q6_K, the formats whose decode the row-major
// kernels left compute-bound. Q5_0 is also what quantizing to Q4_K gives the matrices whose rows
// are not a multiple of 256, such as GLM-4's 13696-wide ffn_down (a third of a Q4_K file's
// bytes); Q6_K is a whole Q6_K file, and the output matrix of most Q4_K_M and Q5_K_M files; Q5_K
// is most of a Q5_K_M file, with Q5_1 where rows are not a multiple of 256.
//
// Guarantees of the entries these set, tested against the row-major kernels of q_legacy.h and
// q_k.h and the scalar reference:
//   - pack_rows writes packed_group_bytes(n) bytes: Q8_0, Q4_0 and Q4_1 groups are exactly their
//     kPackRows rows' bytes, moved; Q5_0's and Q5_1's are as many bytes, their high bits
//     regrouped; Q4_K's and Q5_K's add 32 bytes per super-block of decoded scales; Q6_K's are its
//     rows' bytes, moved.
//   - vec_dot_packed gives, for every row and token, vec_dot's result bit for bit, so a model
//     computes the same logits with packed weights or without. Its activation rows are the
//     type's vec_dot_type (Q8_0; Q4_1, Q5_1: Q8_1; K-quants: Q8_K), the Q8_0 ones each followed
//     by the suffix that write_act_suffix writes (each block's -8·Σ q_a and d as a float).
// Only called through the KernelTable; the CPU must have the avx2 level (dispatch checks).
// n is a multiple of the block (32, K-quants 256); Q8 activations lie in [-127, 127] as the
// quantizers produce them. Kernels never allocate, lock or log. Thread: pure functions over
// caller-owned buffers.
#pragma once

#include "kernels/kernel_table.h"

namespace glmserve::kernels::avx2 {

// Sets packed_group_bytes, pack_rows and vec_dot_packed for every format above in t, and
// act_suffix_bytes and write_act_suffix for the three with Q8_0 activations (one suffix, so that
// one conversion serves them all in a matmul_many). Calls the two below.
void add_packed_kernels(KernelTable& t);

// The same for Q4_K and Q5_K (packed_q4_k.cpp), and for Q6_K (packed_q6_k.cpp).
void add_packed_k_kernels(KernelTable& t);
void add_packed_q6_k_kernels(KernelTable& t);

}  // namespace glmserve::kernels::avx2
