// What the F32 / F16 / BF16 tile kernels of every ISA (avx2/float_types.cpp,
// avx512/float_types.cpp) share around their register-blocked bodies: gathering a tile's row
// pointers and picking the body compiled for its activation count; vec_dot and vec_dot_rows as
// the tile's 1×1 and 1×n_act cases, so that all three run the same body and every output equals
// vec_dot bit for bit.
// Internal linkage (the unnamed namespace), as in avx2/packed_common.h and for the same reason:
// each ISA's file instantiates these with its own flags. Thread: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/kernel_table.h"

namespace glmserve::kernels::detail {
namespace {

// KernelTable::VecDotTileFn over Rows, which provides Elem (the row element type) and
// run<C>(n, w, n_w, a, out, out_stride): n_w (1..kMaxTileRows) weight rows × C activation
// rows, given as arrays of row pointers.
template <class Rows>
void float_tile(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                size_t act_stride, int n_act, float* out, size_t out_stride) {
    static_assert(kMaxActRows == 4, "one case per activation count below");
    using Elem = typename Rows::Elem;
    const Elem* w_rows[kMaxTileRows];
    const Elem* a_rows[kMaxActRows];
    for (int r = 0; r < n_w; ++r) {
        w_rows[r] = reinterpret_cast<const Elem*>(static_cast<const uint8_t*>(w) + r * w_stride);
    }
    for (int c = 0; c < n_act; ++c) {
        a_rows[c] = reinterpret_cast<const Elem*>(static_cast<const uint8_t*>(a) + c * act_stride);
    }
    switch (n_act) {
        case 1: Rows::template run<1>(n, w_rows, n_w, a_rows, out, out_stride); break;
        case 2: Rows::template run<2>(n, w_rows, n_w, a_rows, out, out_stride); break;
        case 3: Rows::template run<3>(n, w_rows, n_w, a_rows, out, out_stride); break;
        default: Rows::template run<4>(n, w_rows, n_w, a_rows, out, out_stride); break;
    }
}

// KernelTable::VecDotFn: the 1×1 tile.
template <class Rows>
float float_vec_dot(int64_t n, const void* w, const void* a) {
    float out = 0.0f;
    float_tile<Rows>(n, w, 0, 1, a, 0, 1, &out, 1);
    return out;
}

// KernelTable::VecDotRowsFn: the 1×n_act tile.
template <class Rows>
void float_vec_dot_rows(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                        float* out) {
    float_tile<Rows>(n, w, 0, 1, a, act_stride, n_act, out, 1);
}

}  // namespace
}  // namespace glmserve::kernels::detail
