#include "kernels/simd_tables.h"

#include "kernels/avx2/float_types.h"
#include "kernels/avx2/packed.h"
#include "kernels/avx2/q_k.h"
#include "kernels/avx2/q_legacy.h"
#include "kernels/avx2/vector_ops.h"
#include "kernels/avx512/float_types.h"
#include "kernels/avx512/packed_pairs.h"
#include "kernels/avx512/packed_vnni.h"
#include "kernels/avx512/vector_ops.h"
#include "kernels/cpu_features.h"

namespace glmserve::kernels {

const KernelTable& avx2_kernels() {
    static const KernelTable table = [] {
        KernelTable t = ref_kernels();
        t.name = "avx2";
        avx2::add_float_kernels(t);
        avx2::add_legacy_kernels(t);
        avx2::add_k_kernels(t);
        avx2::add_packed_kernels(t);
        avx2::add_vector_kernels(t);
        return t;
    }();
    return table;
}

const KernelTable& avx512_kernels() {
    static const KernelTable table = [] {
        KernelTable t = avx2_kernels();
        t.name = "avx512";
        avx512::add_float_kernels(t, detect_cpu_features().avx512bf16);
        avx512::add_vnni_packed_kernels(t);
        avx512::add_packed_pair_kernels(t);
        avx512::add_vector_kernels(t);
        return t;
    }();
    return table;
}

}  // namespace glmserve::kernels
