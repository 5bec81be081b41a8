// AVX-512 tile ops for attention (see vector_ops.h for what they guarantee).
//
// The shapes of the AVX2 kernels (avx2/vector_ops.cpp) on 16 lanes. Attention's rows are
// head_dim long (64..256 elements) and sit in L1, so the limits are loads and FMAs, not
// bandwidth; twice the lanes halve both per element:
//   - dot_f32_f16_tile widens each K row once for up to 8 query heads (8 independent FMA
//     chains), then folds the 8 accumulators into 8 sums with one transposing reduction;
//   - axpy_f16_tile keeps a block of R heads × V vectors of the outputs in registers across
//     every V row of the tile (R·V up to 16 chains), so the outputs are loaded and stored once
//     per tile.
// On the 4-layer GLM-4-9B bench model (Q4_0, Zen 5), where the AVX2 tile ops took 18% of a
// 2048-token prefill, alternating A/B: pp2048 +9-12%, pp512 +2-4%. Most of it is the prefetch
// of the K/V rows two ahead: without it the same kernels gained nothing measurable (the loads
// of each short row waited on L2); the AVX2 kernels, slower per row, gained nothing from it.
// Two K rows per call (16 accumulators) measured no better than one.
// Tails shorter than a vector go element by element through the AVX2 kernels' code
// (f16_tile_ops.h). Thread: pure functions.
#include "kernels/avx512/vector_ops.h"

// Before any header that includes <immintrin.h> itself: intrinsics.h silences GCC 12's false
// warnings from inside it.
// clang-format off
#include "kernels/avx512/intrinsics.h"
// clang-format on

#include "kernels/f16_tile_ops.h"

namespace glmserve::kernels::GLMSERVE_AVX512_NAMESPACE {

namespace {

// Heads per dot_x_rows call: the accumulators the transposing reduction folds at once.
constexpr int kDotRows = 8;

// How many K/V rows ahead of the one it works on a tile op asks for: rows sit wherever the
// paged cache put them, out of reach of the hardware prefetchers, and each takes only a few
// dozen cycles, so without this every row waited on L2.
constexpr int64_t kRowsAhead = 2;

// The 256-bit halves of v added: 8 lanes whose sum is v's.
inline __m256 fold_halves(__m512 v) {
    const __m256 high = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    return _mm256_add_ps(_mm512_castps512_ps256(v), high);
}

// Lane r = the sum of acc[r]'s 16 lanes, for r < 8, in a fixed order (fold the halves, then
// the AVX2 kernel's transposing tree).
inline __m256 hsum8(const __m512 (&acc)[kDotRows]) {
    __m256 s[kDotRows];
#pragma GCC unroll 8
    for (int r = 0; r < kDotRows; ++r) s[r] = fold_halves(acc[r]);
    return detail::sum_lanes_8x8(s);
}

// out[r] = x_r · y for the R <= 8 rows x_r = x + r·n: y is widened once per 16 elements for all
// of them; one accumulator per row (R independent FMA chains).
template <int R>
inline void dot_x_rows(int64_t n, const float* x, const uint16_t* y, float* out) {
    static_assert(R >= 1 && R <= kDotRows);
    __m512 acc[kDotRows];
#pragma GCC unroll 8
    for (int r = 0; r < kDotRows; ++r) acc[r] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 yv = load_f16x16(y + i);
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
            acc[r] = _mm512_fmadd_ps(_mm512_loadu_ps(x + r * n + i), yv, acc[r]);
        }
    }
    alignas(32) float sums[kDotRows];
    _mm256_store_ps(sums, hsum8(acc));
    for (int r = 0; r < R; ++r) {
        float sum = sums[r];
        for (int64_t t = i; t < n; ++t) sum += x[r * n + t] * _cvtsh_ss(y[t]);
        out[r] = sum;
    }
}

// dot_x_rows for detail::dot_tile.
struct DotXRows {
    template <int R>
    static void run(int64_t n, const float* x, const uint16_t* y, float* out) {
        dot_x_rows<R>(n, x, y, out);
    }
};

// Asks for the n f16 elements at `row` (prefetcht0, a line at a time).
inline void prefetch_row(const uint16_t* row, int64_t n) {
    const char* bytes = reinterpret_cast<const char*>(row);
    for (int64_t b = 0; b < n * 2; b += 64) _mm_prefetch(bytes + b, _MM_HINT_T0);
}

// y_r[i .. i + 16V) += Σ_p a[p·n_y + r]·x_p[i .. i + 16V) for the R rows y_r = y + r·n, with
// the R·V accumulators in registers across all p, each x_p slice widened once.
template <int R, int V>
inline void axpy_block(int64_t i, int64_t n, F16Rows x, const float* a, int64_t n_y, float* y) {
    __m512 acc[R][V];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
        for (int v = 0; v < V; ++v) acc[r][v] = _mm512_loadu_ps(y + r * n + i + 16 * v);
    }
    for (int64_t p = 0; p < x.n_rows; ++p) {
        if (p + kRowsAhead < x.n_rows) prefetch_row(x.rows[p + kRowsAhead] + i, 16 * V);
        __m512 xv[V];
#pragma GCC unroll 8
        for (int v = 0; v < V; ++v) xv[v] = load_f16x16(x.rows[p] + i + 16 * v);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
            const __m512 w = _mm512_set1_ps(a[p * n_y + r]);
#pragma GCC unroll 8
            for (int v = 0; v < V; ++v) acc[r][v] = _mm512_fmadd_ps(w, xv[v], acc[r][v]);
        }
    }
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
        for (int v = 0; v < V; ++v) _mm512_storeu_ps(y + r * n + i + 16 * v, acc[r][v]);
    }
}

// axpy_f16_tile for R consecutive y rows: blocks of 16V elements, then of 16, then one element
// at a time (one rounding per term everywhere, like the vectors).
template <int R, int V>
inline void axpy_y_rows(int64_t n, F16Rows x, const float* a, int64_t n_y, float* y) {
    int64_t i = 0;
    for (; i + 16 * V <= n; i += 16 * V) axpy_block<R, V>(i, n, x, a, n_y, y);
    for (; i + 16 <= n; i += 16) axpy_block<R, 1>(i, n, x, a, n_y, y);
    detail::axpy_tail<R>(i, n, x, a, n_y, y);
}

void dot_f32_f16_tile(int64_t n, const float* x, int64_t n_x, F16Rows y, float* out) {
    detail::dot_tile<kDotRows, DotXRows>(n, x, n_x, y, out, [n, y](int64_t p) {
        if (p + kRowsAhead < y.n_rows) prefetch_row(y.rows[p + kRowsAhead], n);
    });
}

void axpy_f16_tile(int64_t n, F16Rows x, const float* a, int64_t n_y, float* y) {
    int64_t r = 0;
    for (; r + 4 <= n_y; r += 4) axpy_y_rows<4, 4>(n, x, a + r, n_y, y + r * n);
    switch (n_y - r) {
        case 1: axpy_y_rows<1, 8>(n, x, a + r, n_y, y + r * n); break;
        case 2: axpy_y_rows<2, 4>(n, x, a + r, n_y, y + r * n); break;
        case 3: axpy_y_rows<3, 4>(n, x, a + r, n_y, y + r * n); break;
        default: break;
    }
}

}  // namespace

void add_vector_kernels(KernelTable& t) {
    t.vec.dot_f32_f16_tile = dot_f32_f16_tile;
    t.vec.axpy_f16_tile = axpy_f16_tile;
}

}  // namespace glmserve::kernels::GLMSERVE_AVX512_NAMESPACE
