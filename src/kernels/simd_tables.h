// The SIMD kernel tables: each starts from the scalar reference table and overrides what its
// ISA speeds up (STYLE.md §6).
//
//   avx2_kernels()   AVX2 + FMA + F16C: F32/F16/BF16, the 32-element block formats, the
//                    K-quants, the activation quantizers and attention's vector ops
//                    (src/kernels/avx2/).
//   avx512_kernels() the AVX2 table, with AVX-512 VNNI dot products for the row-interleaved
//                    Q8_0, Q4_0, Q5_0 and Q4_K groups, where prompt processing spends its time
//                    (src/kernels/avx512/). The other kernels are AVX2's: decode is bound by
//                    memory bandwidth, which wider vectors do not raise.
// Thread: each table is built once, on first use, and immutable after.
#pragma once

#include "kernels/kernel_table.h"

namespace glmserve::kernels {

// Call only on a CPU with the AVX2 level (cpu_features.h): building the table runs code
// compiled for AVX2. Dispatch guarantees that.
const KernelTable& avx2_kernels();

// Call only on a CPU with the avx512 level (F, BW, VL, VNNI).
const KernelTable& avx512_kernels();

}  // namespace glmserve::kernels
