// AVX2 kernels for F32, F16 and BF16 rows (see float_types.h for what they guarantee).
//
// Dot products: one template body, dot_rows<Format, N>, serves vec_dot (N = 1) and
// vec_dot_rows (N = n_act), so each activation row sees the same instruction sequence whatever
// N is. A step covers 16 elements as two 8-lane vectors, each with its own accumulator per row
// (two independent FMA chains hide the FMA latency; more would not fit four rows' accumulators
// in the 16 ymm registers). Lane order inside a step is the format's business: BF16 splits a
// 16-element load into its even and odd elements with a shift and a mask (no shuffles), which
// pairs weights and activations the same way. After the steps, F32 and F16 take one more
// 8-element vector into the first accumulator; the rest is scalar, added in index order to the
// horizontal sum.
// Conversions: F16 uses F16C with an explicit round-to-nearest-even immediate (not MXCSR),
// which handles NaN (quieted, top payload bits kept), overflow to inf and subnormals exactly as
// kernels::fp32_to_fp16 does; BF16 rounds with the same integer recipe as ref.
// Thread: pure functions.
#include "kernels/avx2/float_types.h"

#include <immintrin.h>

#include "kernels/float16.h"

namespace glmserve::kernels::avx2 {

namespace {

// Sum of the 8 lanes in a fixed order (every caller gets the same bits for the same v).
inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline __m128i load_128(const uint16_t* p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

inline __m256i load_256(const void* p) {
    return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

// A format for dot_rows: load(p, k) gives vector k (0 or 1) of the 16-element step at p; the
// same k selects the same elements for weights and activations.
struct F32Format {
    using Elem = float;
    static constexpr bool kVectorTail = true;  // load(p, 0) also reads just 8 elements
    static __m256 load(const float* p, int k) { return _mm256_loadu_ps(p + 8 * k); }
    static float scalar(float x) { return x; }
};

struct F16Format {
    using Elem = uint16_t;
    static constexpr bool kVectorTail = true;
    static __m256 load(const uint16_t* p, int k) { return _mm256_cvtph_ps(load_128(p + 8 * k)); }
    static float scalar(uint16_t h) { return _cvtsh_ss(h); }
};

struct Bf16Format {
    using Elem = uint16_t;
    static constexpr bool kVectorTail = false;
    // k = 0: the even elements (low halves of the 32-bit lanes, shifted up); k = 1: the odd ones
    // (high halves, already in place once the low half is cleared).
    static __m256 load(const uint16_t* p, int k) {
        const __m256i v = load_256(p);
        return _mm256_castsi256_ps(k == 0 ? _mm256_slli_epi32(v, 16)
                                          : _mm256_and_si256(v, _mm256_set1_epi32(-65536)));
    }
    static float scalar(uint16_t h) { return bf16_to_fp32(h); }
};

// out[j] = Σ_i w[i]·a[j][i] for j < N. a: N activation rows of n elements.
template <typename F, int N>
inline void dot_rows(int64_t n, const typename F::Elem* w, const typename F::Elem* const* a,
                     float* out) {
    constexpr int64_t kStep = 16;
    __m256 acc[N][2];
#pragma GCC unroll 4
    for (int j = 0; j < N; ++j) acc[j][0] = acc[j][1] = _mm256_setzero_ps();
    int64_t i = 0;
    // Fully unrolled so that the accumulators live in registers (GCC keeps a rolled loop's
    // array on the stack).
    for (; i + kStep <= n; i += kStep) {
#pragma GCC unroll 2
        for (int k = 0; k < 2; ++k) {
            const __m256 wv = F::load(w + i, k);
#pragma GCC unroll 4
            for (int j = 0; j < N; ++j) {
                acc[j][k] = _mm256_fmadd_ps(wv, F::load(a[j] + i, k), acc[j][k]);
            }
        }
    }
    if constexpr (F::kVectorTail) {
        if (i + 8 <= n) {
            const __m256 wv = F::load(w + i, 0);
#pragma GCC unroll 4
            for (int j = 0; j < N; ++j) {
                acc[j][0] = _mm256_fmadd_ps(wv, F::load(a[j] + i, 0), acc[j][0]);
            }
            i += 8;
        }
    }
    for (int j = 0; j < N; ++j) {
        float sum = hsum(_mm256_add_ps(acc[j][0], acc[j][1]));
        for (int64_t t = i; t < n; ++t) sum += F::scalar(w[t]) * F::scalar(a[j][t]);
        out[j] = sum;
    }
}

template <typename F>
float vec_dot(int64_t n, const void* w, const void* a) {
    const auto* act = static_cast<const typename F::Elem*>(a);
    float out = 0.0f;
    dot_rows<F, 1>(n, static_cast<const typename F::Elem*>(w), &act, &out);
    return out;
}

template <typename F>
void vec_dot_rows(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                  float* out) {
    using Elem = typename F::Elem;
    const Elem* rows[kMaxActRows];
    for (int j = 0; j < n_act; ++j) {
        rows[j] = reinterpret_cast<const Elem*>(static_cast<const uint8_t*>(a) + j * act_stride);
    }
    const auto* wp = static_cast<const Elem*>(w);
    switch (n_act) {
        case 1: dot_rows<F, 1>(n, wp, rows, out); break;
        case 2: dot_rows<F, 2>(n, wp, rows, out); break;
        case 3: dot_rows<F, 3>(n, wp, rows, out); break;
        default: dot_rows<F, 4>(n, wp, rows, out); break;
    }
}

// Round 8 floats to bf16 bit patterns in the low halves of the 32-bit lanes, as fp32_to_bf16:
// NaN -> (bits >> 16) | 0x40; otherwise (bits + 0x7FFF + lowest kept bit) >> 16.
inline __m256i round_to_bf16(__m256i bits) {
    const __m256i abs = _mm256_and_si256(bits, _mm256_set1_epi32(0x7FFFFFFF));
    const __m256i is_nan = _mm256_cmpgt_epi32(abs, _mm256_set1_epi32(0x7F800000));
    const __m256i high = _mm256_srli_epi32(bits, 16);
    const __m256i bias =
        _mm256_add_epi32(_mm256_set1_epi32(0x7FFF), _mm256_and_si256(high, _mm256_set1_epi32(1)));
    const __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(bits, bias), 16);
    const __m256i quiet_nan = _mm256_or_si256(high, _mm256_set1_epi32(0x40));
    return _mm256_blendv_epi8(rounded, quiet_nan, is_nan);
}

}  // namespace

// ---- conversions ----

void quantize_row_f16(const float* x, void* y, int64_t n) {
    auto* h = static_cast<uint16_t*>(y);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m128i packed = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(h + i), packed);
    }
    for (; i < n; ++i) h[i] = static_cast<uint16_t>(_cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT));
}

void dequantize_row_f16(const void* x, float* y, int64_t n) {
    const auto* h = static_cast<const uint16_t*>(x);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_cvtph_ps(load_128(h + i)));
    for (; i < n; ++i) y[i] = _cvtsh_ss(h[i]);
}

void quantize_row_bf16(const float* x, void* y, int64_t n) {
    auto* h = static_cast<uint16_t*>(y);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256i lo = round_to_bf16(load_256(x + i));
        const __m256i hi = round_to_bf16(load_256(x + i + 8));
        // packus works per 128-bit lane: [lo0-3 hi0-3 | lo4-7 hi4-7]; reorder the 64-bit
        // quarters to [lo0-3 lo4-7 | hi0-3 hi4-7]. Values are <= 0xFFFF, so nothing saturates.
        const __m256i packed = _mm256_packus_epi32(lo, hi);
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(h + i),
                            _mm256_permute4x64_epi64(packed, _MM_SHUFFLE(3, 1, 2, 0)));
    }
    for (; i < n; ++i) h[i] = fp32_to_bf16(x[i]);
}

void dequantize_row_bf16(const void* x, float* y, int64_t n) {
    const auto* h = static_cast<const uint16_t*>(x);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256i wide = _mm256_slli_epi32(_mm256_cvtepu16_epi32(load_128(h + i)), 16);
        _mm256_storeu_ps(y + i, _mm256_castsi256_ps(wide));
    }
    for (; i < n; ++i) y[i] = bf16_to_fp32(h[i]);
}

// ---- dot products ----

float vec_dot_f32(int64_t n, const void* w, const void* a) {
    return vec_dot<F32Format>(n, w, a);
}

float vec_dot_f16(int64_t n, const void* w, const void* a) {
    return vec_dot<F16Format>(n, w, a);
}

float vec_dot_bf16(int64_t n, const void* w, const void* a) {
    return vec_dot<Bf16Format>(n, w, a);
}

void vec_dot_rows_f32(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                      float* out) {
    vec_dot_rows<F32Format>(n, w, a, act_stride, n_act, out);
}

void vec_dot_rows_f16(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                      float* out) {
    vec_dot_rows<F16Format>(n, w, a, act_stride, n_act, out);
}

void vec_dot_rows_bf16(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                       float* out) {
    vec_dot_rows<Bf16Format>(n, w, a, act_stride, n_act, out);
}

void add_float_kernels(KernelTable& t) {
    using T = TensorType;
    t[T::F32].vec_dot = vec_dot_f32;
    t[T::F32].vec_dot_rows = vec_dot_rows_f32;
    t[T::F16].quantize_row = quantize_row_f16;
    t[T::F16].dequantize_row = dequantize_row_f16;
    t[T::F16].vec_dot = vec_dot_f16;
    t[T::F16].vec_dot_rows = vec_dot_rows_f16;
    t[T::BF16].quantize_row = quantize_row_bf16;
    t[T::BF16].dequantize_row = dequantize_row_bf16;
    t[T::BF16].vec_dot = vec_dot_bf16;
    t[T::BF16].vec_dot_rows = vec_dot_rows_bf16;
}

}  // namespace glmserve::kernels::avx2
