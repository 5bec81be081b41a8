// AVX-512 versions of attention's two tile ops (KernelTable::vec), on 16-lane vectors: the
// other vector ops stay the AVX2 ones (avx2/vector_ops.h), which run at memory speed or take
// little time.
//
// Guarantees, tested against kernels/ref/vector_ops.cpp as the AVX2 ones are:
//   - dot_f32_f16_tile widens each f16 row once for up to 8 x rows (one 16-lane accumulator
//     per x row, a fixed horizontal sum, the tail in index order): ref differs by float
//     summation rounding only, within (n/16 + 40)·2^-24·Σ|x_i·y_i| per output. Not the AVX2
//     kernel's bits (another summation order); a process uses one table throughout.
//   - axpy_f16_tile adds the terms in p order with one rounding each (FMA), the same
//     arithmetic per element as the AVX2 kernel, so the same bits.
// Any n >= 0; data may be unaligned. Only called through the KernelTable; the CPU must have the
// avx512 level, which dispatch checks. Kernels never allocate, lock or log. Thread: pure
// functions.
#pragma once

#include "kernels/kernel_table.h"

namespace glmserve::kernels::avx512 {

// Overrides dot_f32_f16_tile and axpy_f16_tile of t.vec.
void add_vector_kernels(KernelTable& t);

}  // namespace glmserve::kernels::avx512

// The same source built for tests with SIMDe's portable AVX-512 instructions (see
// packed_vnni.h).
namespace glmserve::kernels::avx512_emulated {

void add_vector_kernels(KernelTable& t);

}  // namespace glmserve::kernels::avx512_emulated
