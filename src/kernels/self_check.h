// A start-up check of one kernel table against another on this very CPU.
//
// Why: the avx512 table's dot products can only be tested where AVX-512 exists, and this
// project's CI has none (it checks their arithmetic on SIMDe's emulation instead). Before a
// process trusts them, dispatch runs them once against the AVX2 kernels, which their contract
// says they equal bit for bit, and falls back to AVX2 if they do not. It costs a few
// milliseconds, once (3 ms for the AVX2 table against itself here).
// Thread: pure function (allocates its scratch; call once, at start-up).
#pragma once

#include <string>

#include "kernels/kernel_table.h"

namespace glmserve::kernels {

// Runs the packed dot products (the candidate's vec_dot_packed_pair where it has one, else
// vec_dot_packed, over two groups) of every type that both tables pack the same way (the same
// pack_rows) on seeded weights and activations, 1..kMaxActRows tokens, and compares the results
// with the reference's vec_dot_packed bit for bit. Returns "" when all agree, else what differed
// first ("Q4_0, n_act 3: row 5 token 2 gave 1.250000 where the reference gave 1.500000").
std::string packed_kernels_mismatch(const KernelTable& candidate, const KernelTable& reference);

}  // namespace glmserve::kernels
