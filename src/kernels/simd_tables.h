// The SIMD kernel tables: each starts from the scalar reference table and overrides what its
// ISA speeds up (STYLE.md §6).
//
//   avx2_kernels()   AVX2 + FMA + F16C: F32/F16/BF16, the 32-element block formats, the
//                    K-quants, the activation quantizers and attention's vector ops
//                    (src/kernels/avx2/).
// AVX-512 kernels are not written yet (no machine here runs them to test them), so the avx512
// level uses the AVX2 table.
// Thread: each table is built once, on first use, and immutable after.
#pragma once

#include "kernels/kernel_table.h"

namespace glmserve::kernels {

// Call only on a CPU with the AVX2 level (cpu_features.h): building the table runs code
// compiled for AVX2. Dispatch guarantees that.
const KernelTable& avx2_kernels();

}  // namespace glmserve::kernels
