// AVX2 vector ops (see vector_ops.h for what they guarantee).
//
// Attention works on head_dim-sized rows (64..256 elements) that sit in L1, so the limits are
// the FMA chains and vcvtph2ps (one per cycle), not bandwidth:
//   - dot_f32_f16 keeps four independent FMA chains (a 128-element row is four steps of 32);
//   - the tile ops serve a GQA group: dot_f32_f16_tile widens each K row once for up to 8 query
//     heads (8 chains), and axpy_f16_tile keeps a block of the group's outputs in registers
//     (R heads × V vectors, R·V = 8 chains) across every V row of the tile, so the outputs are
//     loaded and stored once per tile instead of once per position.
// The decoder's element-wise ops (exp, add, rms_norm, swiglu) stream rows of n_embd or n_ff
// floats. exp is a Cody-Waite reduction x = k·ln2 + r, |r| <= ln2/2, a degree-7 Taylor
// polynomial for e^r (truncation below 2^-27 relative) and a scaling by 2^k done in two halves,
// so that k in [-150, 128] (the whole float range, subnormal results included) needs no special
// case. Element-wise tails go through the same 8-lane code on a stack copy, so an element's
// result never depends on where it sits in the row (nor, for the decoder, on the batch).
// Thread: pure functions.
#include "kernels/avx2/vector_ops.h"

#include <immintrin.h>

#include <cmath>

#include "kernels/f16_tile_ops.h"

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
    _mm256_store_ps(sums, detail::sum_lanes_8x8(acc));
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
    detail::axpy_tail<R>(i, n, x, a, n_y, y);
}

// e^x for 8 lanes (see the file comment). Clamping to [-104, 89] keeps k in [-150, 128]
// without changing any result: below -103.98 e^x rounds to +0, above 88.73 to +inf. The
// operand order of max/min lets a NaN through (they return the second operand on NaN).
inline __m256 exp8(__m256 x) {
    constexpr float kLn2Hi = 0.693359375f;     // ln 2 to 9 bits: k·kLn2Hi is exact for |k| < 2^15
    constexpr float kLn2Lo = -2.12194440e-4f;  // ln 2 - kLn2Hi
    constexpr float kLog2e = 1.44269504088896341f;
    x = _mm256_min_ps(_mm256_set1_ps(89.0f), _mm256_max_ps(_mm256_set1_ps(-104.0f), x));
    const __m256 k = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(kLn2Hi), x);  // exact
    r = _mm256_fnmadd_ps(k, _mm256_set1_ps(kLn2Lo), r);
    // e^r = Σ_{j<=7} r^j / j!, Horner from the highest term.
    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    // 2^k = 2^k1 · 2^k2 with k1 = floor(k / 2), both in [-75, 64]: normal floats built from
    // their exponent bits. p·2^k1 is exact; the second product rounds only into subnormals.
    const __m256i ki = _mm256_cvtps_epi32(k);
    const __m256i k1 = _mm256_srai_epi32(ki, 1);
    const __m256i k2 = _mm256_sub_epi32(ki, k1);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k1, bias), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(k2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

// silu(g)·u = g / (1 + e^-g) · u for 8 lanes, in ref's order of operations.
inline __m256 swiglu8(__m256 g, __m256 u) {
    const __m256 e = exp8(_mm256_xor_ps(g, _mm256_set1_ps(-0.0f)));
    return _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.0f), e)), u);
}

// Copies the last n < 8 floats of a row into a zero-padded 8-lane buffer and back, so a tail
// runs the same lane code as the rest of the row.
struct Tail {
    alignas(32) float v[8] = {};
    __m256 load(const float* p, int64_t n) {
        for (int64_t i = 0; i < n; ++i) v[i] = p[i];
        return _mm256_load_ps(v);
    }
    void store(__m256 x, float* p, int64_t n) {
        _mm256_store_ps(v, x);
        for (int64_t i = 0; i < n; ++i) p[i] = v[i];
    }
};

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
    detail::dot_tile<8, DotXRows>(n, x, n_x, y, out, [](int64_t) {});
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

void exp_f32(int64_t n, const float* x, float* y) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, exp8(_mm256_loadu_ps(x + i)));
    if (i < n) {
        Tail tail;
        tail.store(exp8(tail.load(x + i, n - i)), y + i, n - i);
    }
}

void add_f32(int64_t n, const float* x, float* y) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_loadu_ps(x + i)));
    }
    for (; i < n; ++i) y[i] += x[i];
}

void rms_norm_f32(int64_t n, const float* x, const float* w, float eps, float* y) {
    if (n <= 0) return;
    // Σ x² in double as ref: each square is exact in double, so the four 4-lane accumulators
    // differ from ref's index-order sum only in the double roundings of the additions.
    __m256d acc[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(),
                      _mm256_setzero_pd()};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 lo = _mm256_loadu_ps(x + i), hi = _mm256_loadu_ps(x + i + 8);
        const __m256d d[4] = {_mm256_cvtps_pd(_mm256_castps256_ps128(lo)),
                              _mm256_cvtps_pd(_mm256_extractf128_ps(lo, 1)),
                              _mm256_cvtps_pd(_mm256_castps256_ps128(hi)),
                              _mm256_cvtps_pd(_mm256_extractf128_ps(hi, 1))};
#pragma GCC unroll 4
        for (int k = 0; k < 4; ++k) acc[k] = _mm256_fmadd_pd(d[k], d[k], acc[k]);
    }
    const __m256d both =
        _mm256_add_pd(_mm256_add_pd(acc[0], acc[1]), _mm256_add_pd(acc[2], acc[3]));
    alignas(32) double lanes[4];
    _mm256_store_pd(lanes, both);
    double sum_sq = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; i < n; ++i) sum_sq += static_cast<double>(x[i]) * x[i];
    // From here on the same float operations as ref, so the same mean gives the same bits.
    const float mean = static_cast<float>(sum_sq / static_cast<double>(n));
    const float scale = 1.0f / std::sqrt(mean + eps);
    const __m256 sv = _mm256_set1_ps(scale);
    for (i = 0; i + 8 <= n; i += 8) {
        const __m256 scaled = _mm256_mul_ps(_mm256_loadu_ps(x + i), sv);
        _mm256_storeu_ps(y + i, _mm256_mul_ps(scaled, _mm256_loadu_ps(w + i)));
    }
    for (; i < n; ++i) y[i] = x[i] * scale * w[i];
}

void swiglu_f32(int64_t n, const float* gate, const float* up, float* out) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(out + i, swiglu8(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
    }
    if (i < n) {
        Tail g, u;
        const __m256 gv = g.load(gate + i, n - i);
        g.store(swiglu8(gv, u.load(up + i, n - i)), out + i, n - i);
    }
}

void add_vector_kernels(KernelTable& t) {
    t.vec.dot_f32_f16 = dot_f32_f16;
    t.vec.axpy_f16 = axpy_f16;
    t.vec.scale_f32 = scale_f32;
    t.vec.dot_f32_f16_tile = dot_f32_f16_tile;
    t.vec.axpy_f16_tile = axpy_f16_tile;
    t.vec.exp_f32 = exp_f32;
    t.vec.add_f32 = add_f32;
    t.vec.rms_norm_f32 = rms_norm_f32;
    t.vec.swiglu_f32 = swiglu_f32;
}

}  // namespace glmserve::kernels::avx2
