// The avx512 table as the kernels tests can run it anywhere with AVX2: the AVX2 table with the
// AVX-512 kernels built on SIMDe's portable AVX-512 intrinsics (src/kernels/avx512/
// packed_vnni.h, the avx512_emulated namespace).
#pragma once

#include "kernels/avx512/float_types.h"
#include "kernels/avx512/packed_pairs.h"
#include "kernels/avx512/packed_vnni.h"
#include "kernels/avx512/vector_ops.h"
#include "kernels/kernel_table.h"
#include "kernels/simd_tables.h"

namespace glmserve::kernels::testing {

// Call only on a CPU with the avx2 level.
inline const KernelTable& avx512_emulated_kernels() {
    static const KernelTable table = [] {
        KernelTable t = avx2_kernels();
        t.name = "avx512_emulated";
        avx512_emulated::add_float_kernels(t, /*bf16_pairs=*/true);
        avx512_emulated::add_vnni_packed_kernels(t);
        avx512_emulated::add_packed_pair_kernels(t);
        avx512_emulated::add_vector_kernels(t);
        return t;
    }();
    return table;
}

}  // namespace glmserve::kernels::testing
