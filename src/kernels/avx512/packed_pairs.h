// AVX-512 dot products over two adjacent row-interleaved groups at once (16 rows, one 512-bit
// vector lane each) for Q8_0, Q4_0, Q5_0, Q4_1, Q5_1, Q4_K, Q5_K and Q6_K:
// TypeKernels::vec_dot_packed_pair. Same layouts as the AVX2 groups (src/kernels/avx2/packed.h),
// and for every row and token the same result bit for bit as vec_dot_packed on each group
// (packed_pairs.cpp says why).
// Only called through the KernelTable; the CPU must have the avx512 level, which dispatch checks.
// Thread: pure functions over caller-owned buffers.
#pragma once

#include "kernels/kernel_table.h"

namespace glmserve::kernels::avx512 {

// Sets vec_dot_packed_pair of those formats in t, a copy of the AVX2 table (whose
// pack_rows, packed_group_bytes and activation suffixes these kernels read).
void add_packed_pair_kernels(KernelTable& t);

}  // namespace glmserve::kernels::avx512

// The same source built for tests with SIMDe's portable AVX-512 instructions (see
// packed_vnni.h).
namespace glmserve::kernels::avx512_emulated {

void add_packed_pair_kernels(KernelTable& t);

}  // namespace glmserve::kernels::avx512_emulated
