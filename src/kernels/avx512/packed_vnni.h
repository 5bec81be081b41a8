// AVX-512 VNNI dot products for the row-interleaved weight groups of the AVX2 table (Q8_0, Q4_0,
// Q5_0, Q4_1, Q5_1, Q4_K, Q5_K, Q6_K; src/kernels/avx2/packed.h): the same layouts, packed by the
// same pack_rows, and for every row and token the same result bit for bit (hence vec_dot's),
// with several times fewer instructions per multiply-add (packed_vnni.cpp says why).
// Only called through the KernelTable; the CPU must have the avx512 level (cpu_features.h:
// F, BW, VL and VNNI, with OS support), which dispatch checks.
// Thread: pure functions over caller-owned buffers.
#pragma once

#include "kernels/kernel_table.h"

namespace glmserve::kernels::avx512 {

// Replaces vec_dot_packed of the packed formats in t, a copy of the AVX2 table (whose
// pack_rows, packed_group_bytes and activation suffixes these kernels read).
void add_vnni_packed_kernels(KernelTable& t);

}  // namespace glmserve::kernels::avx512

// The same source built for tests with SIMDe's portable versions of the AVX-512 instructions
// (GLMSERVE_EMULATE_AVX512), linked only into the kernels test: it checks the arithmetic on CPUs
// without AVX-512, this project's CI machines included.
namespace glmserve::kernels::avx512_emulated {

void add_vnni_packed_kernels(KernelTable& t);

}  // namespace glmserve::kernels::avx512_emulated
