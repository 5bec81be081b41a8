// AVX2 vector ops (see vector_ops.h for what they guarantee).
//
// Attention works on head_dim-sized rows (64..256 elements) that sit in L1, so the limits are
// the FMA chains and vcvtph2ps (one per cycle), not bandwidth:
//   - dot_f32_f16 keeps four independent FMA chains (a 128-element row is four steps of 32);
//   - the tile ops serve a GQA group: dot_f32_f16_tile widens each K row once for up to 8 query
//     heads (8 chains), and axpy_f16_tile keeps a block of the group's outputs in registers
//     (R heads × V vectors, R·V = 8 chains) across every V row of the tile, so the outputs are
//     loaded and stored once per tile instead of once per position.
// Thread: pure functions.
#include "kernels/avx2/vector_ops.h"

#include <immintrin.h>

namespace glmserve::kernels::avx2 {

namespace {

// 8 f16 at p (any alignment) -> 8 floats, exactly.
inline __m256 load_f16x8(const uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

// Sum of the 8 lanes in a fixed order.
inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// Lane r = the sum of acc[r]'s 8 lanes, for r < 8 (a transposing hadd tree).
inline __m256 hsum8(const __m256* acc) {
    const __m256 t0 = _mm256_hadd_ps(acc[0], acc[1]);  // [01 23 of 0, of 1 | 45 67 of 0, of 1]
    const __m256 t1 = _mm256_hadd_ps(acc[2], acc[3]);
    const __m256 t2 = _mm256_hadd_ps(acc[4], acc[5]);
    const __m256 t3 = _mm256_hadd_ps(acc[6], acc[7]);
    const __m256 u0 = _mm256_hadd_ps(t0, t1);  // [0123 of 0..3 | 4567 of 0..3]
    const __m256 u1 = _mm256_hadd_ps(t2, t3);  // the same for 4..7
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20),
                         _mm256_permute2f128_ps(u0, u1, 0x31));
}

// out[r] = x_r · y for the R <= 8 rows x_r = x + r·n: y is widened once per 8 elements for all
// of them; one accumulator per row (R independent FMA chains).
template <int R>
inline void dot_x_rows(int64_t n, const float* x, const uint16_t* y, float* out) {
    __m256 acc[8];
#pragma GCC unroll 8
    for (int r = 0; r < 8; ++r) acc[r] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 yv = load_f16x8(y + i);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            acc[r] = _mm256_fmadd_ps(_mm256_loadu_ps(x + r * n + i), yv, acc[r]);
        }
    }
    alignas(32) float sums[8];
    _mm256_store_ps(sums, hsum8(acc));
    for (int r = 0; r < R; ++r) {
        float sum = sums[r];
        for (int64_t t = i; t < n; ++t) sum += x[r * n + t] * _cvtsh_ss(y[t]);
        out[r] = sum;
    }
}

// y_r[i .. i + 8V) += Σ_p a[p·n_y + r]·x_p[i .. i + 8V) for the R rows y_r = y + r·n, with the
// R·V accumulators in registers across all p (R·V <= 8), each x_p slice widened once.
template <int R, int V>
inline void axpy_block(int64_t i, int64_t n, F16Rows x, const float* a, int64_t n_y, float* y) {
    __m256 acc[R][V];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
        for (int v = 0; v < V; ++v) acc[r][v] = _mm256_loadu_ps(y + r * n + i + 8 * v);
    }
    for (int64_t p = 0; p < x.n_rows; ++p) {
        __m256 xv[V];
#pragma GCC unroll 8
        for (int v = 0; v < V; ++v) xv[v] = load_f16x8(x.rows[p] + i + 8 * v);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
            const __m256 w = _mm256_broadcast_ss(a + p * n_y + r);
#pragma GCC unroll 8
            for (int v = 0; v < V; ++v) acc[r][v] = _mm256_fmadd_ps(w, xv[v], acc[r][v]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
        for (int v = 0; v < V; ++v) _mm256_storeu_ps(y + r * n + i + 8 * v, acc[r][v]);
    }
}

// axpy_f16_tile for R consecutive y rows: blocks of 8V elements, then of 8, then scalar (one
// rounding per term everywhere, like the vectors).
template <int R, int V>
inline void axpy_y_rows(int64_t n, F16Rows x, const float* a, int64_t n_y, float* y) {
    int64_t i = 0;
    for (; i + 8 * V <= n; i += 8 * V) axpy_block<R, V>(i, n, x, a, n_y, y);
    for (; i + 8 <= n; i += 8) axpy_block<R, 1>(i, n, x, a, n_y, y);
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

float dot_f32_f16(int64_t n, const float* x, const uint16_t* y) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps(), acc3 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), load_f16x8(y + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), load_f16x8(y + i + 8), acc1);
        acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), load_f16x8(y + i + 16), acc2);
        acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), load_f16x8(y + i + 24), acc3);
    }
    for (; i + 8 <= n; i += 8) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), load_f16x8(y + i), acc0);
    }
    float sum = hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
    for (; i < n; ++i) sum += x[i] * _cvtsh_ss(y[i]);
    return sum;
}

void axpy_f16(int64_t n, float a, const uint16_t* x, float* y) {
    const __m256 av = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, load_f16x8(x + i), _mm256_loadu_ps(y + i)));
    }
    // The tail rounds once too, so every element gets the same arithmetic.
    const __m128 as = _mm_set_ss(a);
    for (; i < n; ++i) {
        y[i] = _mm_cvtss_f32(_mm_fmadd_ss(as, _mm_set_ss(_cvtsh_ss(x[i])), _mm_set_ss(y[i])));
    }
}

void scale_f32(int64_t n, float a, float* y) {
    const __m256 av = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), av));
    for (; i < n; ++i) y[i] *= a;
}

void dot_f32_f16_tile(int64_t n, const float* x, int64_t n_x, F16Rows y, float* out) {
    for (int64_t p = 0; p < y.n_rows; ++p) {
        const uint16_t* row = y.rows[p];
        float* o = out + p * n_x;
        int64_t r = 0;
        for (; r + 8 <= n_x; r += 8) dot_x_rows<8>(n, x + r * n, row, o + r);
        switch (n_x - r) {
            case 1: dot_x_rows<1>(n, x + r * n, row, o + r); break;
            case 2: dot_x_rows<2>(n, x + r * n, row, o + r); break;
            case 3: dot_x_rows<3>(n, x + r * n, row, o + r); break;
            case 4: dot_x_rows<4>(n, x + r * n, row, o + r); break;
            case 5: dot_x_rows<5>(n, x + r * n, row, o + r); break;
            case 6: dot_x_rows<6>(n, x + r * n, row, o + r); break;
            case 7: dot_x_rows<7>(n, x + r * n, row, o + r); break;
            default: break;
        }
    }
}

void axpy_f16_tile(int64_t n, F16Rows x, const float* a, int64_t n_y, float* y) {
    int64_t r = 0;
    for (; r + 4 <= n_y; r += 4) axpy_y_rows<4, 2>(n, x, a + r, n_y, y + r * n);
    switch (n_y - r) {
        case 1: axpy_y_rows<1, 8>(n, x, a + r, n_y, y + r * n); break;
        case 2: axpy_y_rows<2, 4>(n, x, a + r, n_y, y + r * n); break;
        case 3: axpy_y_rows<3, 2>(n, x, a + r, n_y, y + r * n); break;
        default: break;
    }
}

void add_vector_kernels(KernelTable& t) {
    t.vec.dot_f32_f16 = dot_f32_f16;
    t.vec.axpy_f16 = axpy_f16;
    t.vec.scale_f32 = scale_f32;
    t.vec.dot_f32_f16_tile = dot_f32_f16_tile;
    t.vec.axpy_f16_tile = axpy_f16_tile;
}

}  // namespace glmserve::kernels::avx2
