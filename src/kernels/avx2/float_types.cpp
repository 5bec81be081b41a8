// AVX2 kernels for F32, F16 and BF16 rows (see float_types.h for what they guarantee).
//
// Dot products: one template body, tile_pass<Format, R, C>, computes R weight rows against C
// activation rows; vec_dot is its 1×1 instance, vec_dot_rows its 1×C and vec_dot_tile cuts a
// tile into passes of it. Every (row, activation) pair runs the same instruction sequence in
// every instance: one 8-lane accumulator, one FMA per 8 elements in index order, a fixed
// horizontal sum, then the scalar tail in index order. So each output equals vec_dot bit for
// bit whatever the tile shape.
// Why one accumulator per pair: the tile must keep R·C accumulators plus the C activation
// vectors and a weight vector in the 16 ymm registers. With one each, a 4×3, 2×4 or 4×2 pass
// fits (16, 13 and 11 registers) and loads each weight vector once for its C activations and
// each activation vector once for its R rows; 4×4 is two 2×4 passes. Independent chains come
// from the pairs: decode's 4×1 pass runs four. A lone vec_dot is one chain, bound by FMA
// latency; matmul uses the tile.
// Prompt processing: matmul hands these tiles 3 tokens at a time (TypeKernels::tile_tokens), for
// the 4×3 pass: 7 vector loads per 12 FMAs where 2×4 needs 6 per 8, so less of the weight and
// activation rows' traffic from L2 per FMA. BM_Gemm F16 4096×4096, 128 tokens, one thread:
// 72-74 GFLOP/s with 2×4 passes, 79-82 with 4×3 (a standalone copy of the loop reaches 85-90
// with its data in L3, against an FMA peak near 95 on this Zen 3).
// Conversions: F16 uses F16C with an explicit round-to-nearest-even immediate (not MXCSR),
// which handles NaN (quieted, top payload bits kept), overflow to inf and subnormals exactly as
// kernels::fp32_to_fp16 does; BF16 rounds with the same integer recipe as ref.
// Thread: pure functions.
#include "kernels/avx2/float_types.h"

#include <immintrin.h>

#include <bit>

#include "kernels/float16.h"
#include "kernels/float_tile.h"

namespace glmserve::kernels::avx2 {

namespace {

// TypeKernels::tile_tokens of the three float types: the 4×3 pass.
constexpr int kFloatTileTokens = 3;

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

// A format for tile_pass: load(p) widens the 8 elements at p to floats, exactly; scalar(x)
// widens one.
struct F32Format {
    using Elem = float;
    static __m256 load(const float* p) { return _mm256_loadu_ps(p); }
    static float scalar(float x) { return x; }
};

struct F16Format {
    using Elem = uint16_t;
    static __m256 load(const uint16_t* p) { return _mm256_cvtph_ps(load_128(p)); }
    static float scalar(uint16_t h) { return _cvtsh_ss(h); }
};

struct Bf16Format {
    using Elem = uint16_t;
    // bf16 is the high half of a float: zero-extend to 32 bits and shift up.
    static __m256 load(const uint16_t* p) {
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(load_128(p)), 16));
    }
    // Inline (bf16_to_fp32 is an out-of-line call, which would spill the accumulators).
    static float scalar(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }
};

// acc[r][c] += w_r[i, i + 8) · a_c[i, i + 8), lane by lane (one FMA per pair): the C activation
// vectors are widened once for all rows, each weight vector once for all activations.
template <typename F, int R, int C>
inline void step(__m256 (&acc)[R][C], const typename F::Elem* const* w,
                 const typename F::Elem* const* a, int64_t i) {
    __m256 av[C];
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) av[c] = F::load(a[c] + i);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
        const __m256 wv = F::load(w[r] + i);
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) acc[r][c] = _mm256_fmadd_ps(wv, av[c], acc[r][c]);
    }
}

// out[r * out_stride + c] = Σ_i w_r[i]·a_c[i] for r < R, c < C: w, a: R and C rows of n.
template <typename F, int R, int C>
inline void tile_pass(int64_t n, const typename F::Elem* const* w, const typename F::Elem* const* a,
                      float* out, size_t out_stride) {
    __m256 acc[R][C];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();
    }
    int64_t i = 0;
    // Four steps per iteration (a 64-byte line of f16 per row) only to cut loop overhead; the
    // chains see the same FMAs in the same order as in the one-step loop after it. Not for the
    // 4×3 pass: its accumulators and vectors fill all 16 registers, and GCC, scheduling four
    // steps together, spilled some of them in every iteration.
    constexpr bool kUnroll = R * C + C + 1 < 16;
    for (; kUnroll && i + 32 <= n; i += 32) {
#pragma GCC unroll 4
        for (int k = 0; k < 4; ++k) step<F, R, C>(acc, w, a, i + 8 * k);
    }
    for (; i + 8 <= n; i += 8) step<F, R, C>(acc, w, a, i);
        // Unrolled too: a variable index into acc would keep the whole array on the stack.
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
            float sum = hsum(acc[r][c]);
            for (int64_t t = i; t < n; ++t) sum += F::scalar(w[r][t]) * F::scalar(a[c][t]);
            out[static_cast<size_t>(r) * out_stride + static_cast<size_t>(c)] = sum;
        }
    }
}

// float_tile's Rows for format F: a tile of n_w rows (1..kMaxWeightRows) × C activations, in
// passes of kPassRows rows: as many as fit the registers with C activation vectors (4 for
// C <= 3, else 2).
template <typename F>
struct TileRows {
    using Elem = typename F::Elem;

    template <int C>
    static void run(int64_t n, const Elem* const* w, int n_w, const Elem* const* a, float* out,
                    size_t out_stride) {
        constexpr int kPassRows = C <= 3 ? 4 : 2;
        int r = 0;
        for (; r + kPassRows <= n_w; r += kPassRows) {
            tile_pass<F, kPassRows, C>(n, w + r, a, out + r * out_stride, out_stride);
        }
        float* rest = out + r * out_stride;
        switch (n_w - r) {
            case 1: tile_pass<F, 1, C>(n, w + r, a, rest, out_stride); break;
            case 2:
                if constexpr (kPassRows > 2) tile_pass<F, 2, C>(n, w + r, a, rest, out_stride);
                break;
            case 3:
                if constexpr (kPassRows > 3) tile_pass<F, 3, C>(n, w + r, a, rest, out_stride);
                break;
            default: break;
        }
    }
};

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
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Bf16Format::load(h + i));
    for (; i < n; ++i) y[i] = bf16_to_fp32(h[i]);
}

// ---- dot products ----

float vec_dot_f32(int64_t n, const void* w, const void* a) {
    return detail::float_vec_dot<TileRows<F32Format>>(n, w, a);
}

float vec_dot_f16(int64_t n, const void* w, const void* a) {
    return detail::float_vec_dot<TileRows<F16Format>>(n, w, a);
}

float vec_dot_bf16(int64_t n, const void* w, const void* a) {
    return detail::float_vec_dot<TileRows<Bf16Format>>(n, w, a);
}

void vec_dot_rows_f32(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                      float* out) {
    detail::float_vec_dot_rows<TileRows<F32Format>>(n, w, a, act_stride, n_act, out);
}

void vec_dot_rows_f16(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                      float* out) {
    detail::float_vec_dot_rows<TileRows<F16Format>>(n, w, a, act_stride, n_act, out);
}

void vec_dot_rows_bf16(int64_t n, const void* w, const void* a, size_t act_stride, int n_act,
                       float* out) {
    detail::float_vec_dot_rows<TileRows<Bf16Format>>(n, w, a, act_stride, n_act, out);
}

void vec_dot_tile_f32(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                      size_t act_stride, int n_act, float* out, size_t out_stride) {
    detail::float_tile<TileRows<F32Format>>(n, w, w_stride, n_w, a, act_stride, n_act, out,
                                            out_stride);
}

void vec_dot_tile_f16(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                      size_t act_stride, int n_act, float* out, size_t out_stride) {
    detail::float_tile<TileRows<F16Format>>(n, w, w_stride, n_w, a, act_stride, n_act, out,
                                            out_stride);
}

void vec_dot_tile_bf16(int64_t n, const void* w, size_t w_stride, int n_w, const void* a,
                       size_t act_stride, int n_act, float* out, size_t out_stride) {
    detail::float_tile<TileRows<Bf16Format>>(n, w, w_stride, n_w, a, act_stride, n_act, out,
                                             out_stride);
}

void add_float_kernels(KernelTable& t) {
    using T = TensorType;
    t[T::F32].vec_dot = vec_dot_f32;
    t[T::F32].vec_dot_rows = vec_dot_rows_f32;
    t[T::F32].vec_dot_tile = vec_dot_tile_f32;
    t[T::F16].quantize_row = quantize_row_f16;
    t[T::F16].dequantize_row = dequantize_row_f16;
    t[T::F16].vec_dot = vec_dot_f16;
    t[T::F16].vec_dot_rows = vec_dot_rows_f16;
    t[T::F16].vec_dot_tile = vec_dot_tile_f16;
    t[T::BF16].quantize_row = quantize_row_bf16;
    t[T::BF16].dequantize_row = dequantize_row_bf16;
    t[T::BF16].vec_dot = vec_dot_bf16;
    t[T::BF16].vec_dot_rows = vec_dot_rows_bf16;
    t[T::BF16].vec_dot_tile = vec_dot_tile_bf16;
    for (const T type : {T::F32, T::F16, T::BF16}) t[type].tile_tokens = kFloatTileTokens;
}

}  // namespace glmserve::kernels::avx2
