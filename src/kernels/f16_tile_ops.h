// What the AVX2 and AVX-512 tile ops for attention (avx2/vector_ops.cpp, avx512/vector_ops.cpp)
// share around their vector bodies: dot_f32_f16_tile's walk over the K rows and blocks of query
// rows and its transposing horizontal sum, and axpy_f16_tile's element-by-element tail, whose
// arithmetic (one FMA per term, p in order) the vector bodies repeat lane by lane, so that both
// ISAs give the same bits there. Internal linkage (the unnamed namespace), as in float_tile.h and
// for the same reason: each ISA's file instantiates these with its own flags. Thread: pure
// functions.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "kernels/kernel_table.h"

namespace glmserve::kernels::detail {
namespace {

// body.template operator()<R>() with R = count, for count in [1, kMax].
template <int kMax, class Body>
inline void with_count(int64_t count, Body&& body) {
    if constexpr (kMax > 1) {
        if (count < kMax) return with_count<kMax - 1>(count, body);
    }
    body.template operator()<kMax>();
}

// Lane r = the sum of acc[r]'s 8 lanes, for r < 8 (a transposing hadd tree, the same order for
// every r).
inline __m256 sum_lanes_8x8(const __m256* acc) {
    const __m256 t0 = _mm256_hadd_ps(acc[0], acc[1]);  // [01 23 of 0, of 1 | 45 67 of 0, of 1]
    const __m256 t1 = _mm256_hadd_ps(acc[2], acc[3]);
    const __m256 t2 = _mm256_hadd_ps(acc[4], acc[5]);
    const __m256 t3 = _mm256_hadd_ps(acc[6], acc[7]);
    const __m256 u0 = _mm256_hadd_ps(t0, t1);  // [0123 of 0..3 | 4567 of 0..3]
    const __m256 u1 = _mm256_hadd_ps(t2, t3);  // the same for 4..7
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20),
                         _mm256_permute2f128_ps(u0, u1, 0x31));
}

// KernelTable's dot_f32_f16_tile over XRows::run<R>(n, x, y_row, out): out[r] = x_r · y_row for
// the R (1..kXRows) query rows x_r = x + r·n. Before K row p, ahead(p) (a prefetch, or nothing).
template <int kXRows, class XRows, class Ahead>
inline void dot_tile(int64_t n, const float* x, int64_t n_x, F16Rows y, float* out, Ahead ahead) {
    for (int64_t p = 0; p < y.n_rows; ++p) {
        ahead(p);
        const uint16_t* row = y.rows[p];
        float* o = out + p * n_x;
        int64_t r = 0;
        for (; r + kXRows <= n_x; r += kXRows) {
            XRows::template run<kXRows>(n, x + r * n, row, o + r);
        }
        if (r < n_x) {
            with_count<kXRows - 1>(
                n_x - r, [&]<int R>() { XRows::template run<R>(n, x + r * n, row, o + r); });
        }
    }
}

// The elements [i, n) of the R rows y_r = y + r·n of axpy_f16_tile, one at a time:
// y_r[t] += a[p·n_y + r]·x_p[t] for p in order, one rounding per term (FMA).
template <int R>
inline void axpy_tail(int64_t i, int64_t n, F16Rows x, const float* a, int64_t n_y, float* y) {
    for (; i < n; ++i) {
        for (int r = 0; r < R; ++r) {
            __m128 sum = _mm_set_ss(y[r * n + i]);
            for (int64_t p = 0; p < x.n_rows; ++p) {
                sum = _mm_fmadd_ss(_mm_set_ss(a[p * n_y + r]), _mm_set_ss(_cvtsh_ss(x.rows[p][i])),
                                   sum);
            }
            y[r * n + i] = _mm_cvtss_f32(sum);
        }
    }
}

}  // namespace
}  // namespace glmserve::kernels::detail
