// AVX-512 F32, F16 and BF16 dot products (see float_types.h for what they guarantee).
//
// The shape of the AVX2 kernels (src/kernels/avx2/float_types.cpp), on 16 float lanes: one
// template body, tile_pass<Format, R, C>, computes R weight rows against C activation rows, with
// one accumulator per pair and the same instruction sequence for every pair in every instance,
// so each output equals vec_dot bit for bit whatever the tile shape. The 32 zmm registers hold a
// whole 4×4 pass (16 accumulators, 4 activation vectors, a weight vector): matmul hands the tile
// 4 tokens at a time (TypeKernels::tile_tokens), 16 FMAs per 8 vector loads where AVX2's 4×3 pass
// does 12 per 7.
// The last partial vector of a row is copied into a zero-filled one and takes one more step (a
// zero weight times a zero activation adds +0), so there is no scalar tail. No masked loads: the
// tests' SIMDe build lacks them.
// The same passes also run over packed rows (pack_rows below: a group's 8 rows interleaved one
// step at a time), which the engine uses for its weight matrices: 8×1 passes for a GEMV, 8×3 for
// prompts (BF16 pairs: 4×4 passes over two groups, k-blocked), each output still vec_dot's bits.
// Thread: pure functions.
#include "kernels/avx512/float_types.h"

// Before any header that includes <immintrin.h> itself: intrinsics.h silences GCC 12's false
// warnings from inside it.
// clang-format off
#include "kernels/avx512/intrinsics.h"
// clang-format on

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels/float_tile.h"

namespace glmserve::kernels::GLMSERVE_AVX512_NAMESPACE {

namespace {

// How far ahead of the vector it reads a kernel asks for each weight row (prefetcht0). Decode
// reads the R rows of a pass as R streams 8 KiB apart (GLM-4-9B's F16 rows); on Zen 5 the
// hardware prefetchers alone left F16 generation at 59-75% of the memory roofline, with this at
// 71-86% (bench engine, alternating A/B on a noisy host; 512 bytes or 4 KiB ahead: no gain).
constexpr size_t kPrefetchBytes = 2048;

// The same for a GEMV over packed rows (one sequential stream, see pack_rows), per cache line of
// a step. BM_Gemv F16 4096x13696, 2 threads, in one run: 1, 2, 4, 8 and 16 KiB ahead gave 61,
// 62-67, 65, 73-80 and 82 GB/s, the row-major kernel 51-61 GB/s.
constexpr size_t kPackedPrefetchBytes = 16384;

// TypeKernels::tile_tokens of the three float types: the 4×4 pass.
constexpr int kFloatTileTokens = 4;
constexpr int kPassRows = 4;
// TypeKernels::packed_tile_tokens of the FMA formats: vec_dot_packed's 8×3 pass, 24
// accumulators. F16 in a microbenchmark of the packed loops (1 thread, 4096×4096, 120 tokens):
// 8×3 160-161 GFLOP/s, 4×4 138-139, 4×6 150-151, 2×8 122-123.
constexpr int kPackedPassTokens = 3;
static_assert(kFloatTileTokens <= kMaxActRows && kMaxWeightRows == kPassRows,
              "TileRows instantiates passes of 1..4 weight rows");

inline __m128i load_128(const uint16_t* p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

// Sum of the 16 lanes in a fixed order (every caller gets the same bits for the same v).
inline float hsum(__m512 v) {
    const __m256 high = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(v), high);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline void prefetch_ahead(const void* p) {
    _mm_prefetch(static_cast<const char*>(p) + kPrefetchBytes, _MM_HINT_T0);
}

// A format for tile_pass: Elem, the row's element; a step covers kElems elements of each row:
// load(p) brings them into a Vec, and madd(acc, w, a) adds their products w·a into the 16
// float lanes of acc. The FMA formats widen 16 elements to floats, exactly, for one FMA.
// kTileRows is the format's TypeKernels::tile_rows; a format that sets it above kPassRows also
// sets kBlockElems: a tile of several passes and more than one activation goes k-block by
// k-block, that many elements at a time (blocked_tile).
struct FmaFormat {
    static constexpr int kElems = 16;
    static constexpr int kTileRows = kPassRows;
    using Vec = __m512;
    static __m512 madd(__m512 acc, __m512 w, __m512 a) { return _mm512_fmadd_ps(w, a, acc); }
};

struct F32Format : FmaFormat {
    using Elem = float;
    static __m512 load(const float* p) { return _mm512_loadu_ps(p); }
};

struct F16Format : FmaFormat {
    using Elem = uint16_t;
    static __m512 load(const uint16_t* p) { return load_f16x16(p); }
};

struct Bf16Format : FmaFormat {
    using Elem = uint16_t;
    // bf16 is the high half of a float: zero-extend to 32 bits and shift up.
    static __m512 load(const uint16_t* p) {
#if defined(GLMSERVE_EMULATE_AVX512)
        const auto widen = [](const uint16_t* q) {
            return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(load_128(q)), 16));
        };
        return join(widen(p), widen(p + 8));
#else
        const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
        return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
#endif
    }
};

// BF16 on CPUs with AVX512_BF16: vdpbf16ps takes 32 bf16 elements of each operand as they are
// and adds lane j's two products, 2j and 2j + 1, to lane j (each product of two bf16 values is
// exact in float): twice the multiply-adds of an FMA and no widening. The instruction treats
// subnormal inputs and results as zero, so products below 2^-126 (1e-38) count as 0, which
// model weights and activations never come near.
//
// Twice the multiply-adds of an FMA per byte loaded make it the one format whose 4×4 pass waits
// on L2: its 4 activation rows and 4 weight rows (32 KiB each on 4096-element rows) do not fit
// in L1 together. So its prompt tiles take the 16 rows of a matmul chunk, 2048 elements (a
// 16 KiB activation block) at a time (blocked_tile). Zen 5, alternating A/B: BM_Gemm BF16
// 4096x4096, 1 thread, 172-198 -> 202-234 GFLOP/s; pp512 on the 4-layer GLM-4-9B bench model
// +5-13%. (F16 gained nothing from it: its pass is bound by the conversions.)
struct Bf16PairFormat {
    static constexpr int kElems = 32;
    static constexpr int kTileRows = kMaxTileRows;
    static constexpr int64_t kBlockElems = 2048;
    using Elem = uint16_t;
    using Vec = __m512bh;
    static __m512bh load(const uint16_t* p) {
        __m512bh v;
        std::memcpy(&v, p, sizeof(v));
        return v;
    }
    static __m512 madd(__m512 acc, __m512bh w, __m512bh a) { return _mm512_dpbf16_ps(acc, w, a); }
};

// acc[r][c] += the products w_r[i, i + kElems) · a_c[i, i + kElems), one madd per pair: the C
// activation vectors are loaded once for all rows, each weight vector once for all activations.
template <typename F, int R, int C>
inline void step(__m512 (&acc)[R][C], const typename F::Elem* const* w,
                 const typename F::Elem* const* a, int64_t i) {
    typename F::Vec av[C];
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) av[c] = F::load(a[c] + i);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
        const typename F::Vec wv = F::load(w[r] + i);
#pragma GCC unroll 8
        for (int c = 0; c < C; ++c) acc[r][c] = F::madd(acc[r][c], wv, av[c]);
    }
}

// The elements [from, n) of N rows (fewer than F::kElems), each copied into a zero-filled vector.
template <typename F, int N>
struct PartialVectors {
    using Elem = typename F::Elem;
    Elem values[N][F::kElems] = {};
    const Elem* rows[N];

    PartialVectors(const Elem* const* src, int64_t from, int64_t n) {
        for (int r = 0; r < N; ++r) {
            std::memcpy(values[r], src[r] + from, static_cast<size_t>(n - from) * sizeof(Elem));
            rows[r] = values[r];
        }
    }
};

// acc[r][c] += the products of elements [from, to) (whole steps) of w_r and a_c; with kPrefetch,
// asking for each weight row kPrefetchBytes ahead.
template <typename F, int R, int C, bool kPrefetch>
inline void add_steps(__m512 (&acc)[R][C], const typename F::Elem* const* w,
                      const typename F::Elem* const* a, int64_t from, int64_t to) {
    for (int64_t i = from; i < to; i += F::kElems) {
        if constexpr (kPrefetch) {
#pragma GCC unroll 4
            for (int r = 0; r < R; ++r) prefetch_ahead(w[r] + i);
        }
        step<F, R, C>(acc, w, a, i);
    }
}

// Where a pass writes output (r, c): out[r * row_stride + c * col_stride].
struct OutLayout {
    size_t row_stride = 0;
    size_t col_stride = 1;
};

// Adds the products of elements [i, n) (less than a step) of w_r and a_c, then writes the sum of
// acc[r][c]'s lanes as output (r, c).
template <typename F, int R, int C>
inline void finish(__m512 (&acc)[R][C], int64_t n, int64_t i, const typename F::Elem* const* w,
                   const typename F::Elem* const* a, float* out, OutLayout layout) {
    if (i < n) {
        const PartialVectors<F, R> w_rest(w, i, n);
        const PartialVectors<F, C> a_rest(a, i, n);
        step<F, R, C>(acc, w_rest.rows, a_rest.rows, 0);
    }
    // Unrolled too: a variable index into acc would keep the whole array on the stack.
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
        for (int c = 0; c < C; ++c) {
            out[static_cast<size_t>(r) * layout.row_stride +
                static_cast<size_t>(c) * layout.col_stride] = hsum(acc[r][c]);
        }
    }
}

// Sets every accumulator of a pass (in registers or in memory) to 0; unrolled, as a variable
// index would keep a register array on the stack.
template <int R, int C>
inline void zero_all(__m512 (&acc)[R][C]) {
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
    }
}

// out[r * out_stride + c] = Σ_i w_r[i]·a_c[i] for r < R, c < C: w, a: R and C rows of n.
template <typename F, int R, int C>
inline void tile_pass(int64_t n, const typename F::Elem* const* w, const typename F::Elem* const* a,
                      float* out, size_t out_stride) {
    __m512 acc[R][C];
    zero_all(acc);
    const int64_t whole = n / F::kElems * F::kElems;
    add_steps<F, R, C, true>(acc, w, a, 0, whole);
    finish<F, R, C>(acc, n, whole, w, a, out, {.row_stride = out_stride});
}

// The accumulators of one pass of up to kPassRows rows, kept in memory between k-blocks.
template <int C>
using PassSums = __m512[kPassRows][C];

// acc = the first R rows of sums, or (kStore) the other way, unrolled (a variable index would
// keep the register array on the stack).
template <bool kStore, int R, int C>
inline void move_pass(__m512 (&acc)[R][C], PassSums<C>& sums) {
    static_assert(R <= kPassRows);
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r) {
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
            if constexpr (kStore) {
                sums[r][c] = acc[r][c];
            } else {
                acc[r][c] = sums[r][c];
            }
        }
    }
}

// Calls body.template operator()<R>() with R = rows (1..kPassRows) as a constant.
template <class Body>
inline void with_pass_rows(int rows, Body&& body) {
    switch (rows) {
        case 1: body.template operator()<1>(); break;
        case 2: body.template operator()<2>(); break;
        case 3: body.template operator()<3>(); break;
        default: body.template operator()<4>(); break;
    }
}

// The tile_pass of each kPassRows rows of n_w (up to kMaxTileRows) × C, k-block by k-block:
// every pass adds its products of one block of kBlockElems elements, then the next pass the
// same block, whose activations are still in L1. Each pass's accumulators wait in memory
// between blocks; every lane adds the same products in the same order as in tile_pass, so
// each output is tile_pass's (vec_dot's) bit for bit. No software prefetch: with tile_pass's
// (2 KiB ahead of each row) it was no faster than the 4-row passes (BM_Gemm BF16, 1 thread,
// 165-220 against 176-202 GFLOP/s); without, 202-234.
template <typename F, int C>
void blocked_tile(int64_t n, const typename F::Elem* const* w, int n_w,
                  const typename F::Elem* const* a, float* out, size_t out_stride) {
    static_assert(F::kBlockElems > 0 && F::kBlockElems % F::kElems == 0,
                  "whole steps per block, or the steps' order would change");
    constexpr int kMaxPasses = kMaxTileRows / kPassRows;
    PassSums<C> sums[kMaxPasses];
    const int n_passes = (n_w + kPassRows - 1) / kPassRows;
    for (int p = 0; p < n_passes; ++p) zero_all(sums[p]);
    const auto pass_rows = [n_w](int p) { return std::min(kPassRows, n_w - p * kPassRows); };
    const int64_t whole = n / F::kElems * F::kElems;
    for (int64_t from = 0; from < whole; from += F::kBlockElems) {
        const int64_t to = std::min(from + F::kBlockElems, whole);
        for (int p = 0; p < n_passes; ++p) {
            with_pass_rows(pass_rows(p), [&]<int R>() {
                __m512 acc[R][C];
                move_pass<false>(acc, sums[p]);
                add_steps<F, R, C, false>(acc, w + p * kPassRows, a, from, to);
                move_pass<true>(acc, sums[p]);
            });
        }
    }
    for (int p = 0; p < n_passes; ++p) {
        with_pass_rows(pass_rows(p), [&]<int R>() {
            __m512 acc[R][C];
            move_pass<false>(acc, sums[p]);
            finish<F, R, C>(acc, n, whole, w + p * kPassRows, a,
                            out + static_cast<size_t>(p * kPassRows) * out_stride,
                            {.row_stride = out_stride});
        });
    }
}

// float_tile's Rows for format F: a tile of n_w (1..F::kTileRows) weight rows × C activations,
// in one pass up to kPassRows rows.
template <typename F>
struct TileRows {
    using Elem = typename F::Elem;

    template <int C>
    static void run(int64_t n, const Elem* const* w, int n_w, const Elem* const* a, float* out,
                    size_t out_stride) {
        if constexpr (F::kTileRows > kPassRows && C > 1) {
            if (n_w > kPassRows) {
                blocked_tile<F, C>(n, w, n_w, a, out, out_stride);
                return;
            }
        }
        // One pass at a time, also for a GEMV (C = 1): it reads each weight once in any order,
        // and k-blocked it ran at 73-94% of the memory roofline against 86-111% this way.
        for (int p = 0; p < n_w; p += kPassRows) {
            with_pass_rows(std::min(kPassRows, n_w - p), [&]<int R>() {
                tile_pass<F, R, C>(n, w + p, a, out + static_cast<size_t>(p) * out_stride,
                                   out_stride);
            });
        }
    }
};

// Packed rows (TypeKernels::pack_rows): a group's kPackRows rows interleaved one step (F::kElems
// elements) at a time,
//   [row 0, elements 0..15][row 1, elements 0..15]...[row 7, elements 0..15][row 0, 16..31]...
// (F16; BF16 pairs step 32 elements), the last partial step's elements of each row after them,
// [row 0, whole..n)[row 1, whole..n)... A pass over packed rows makes the row-major pass's steps
// in the same order and each output equals vec_dot bit for bit; only the addresses differ.
// What that buys: a GEMV reads a group as one sequential stream (4 cache lines per F16 step),
// where the row-major pass reads 4 streams a row apart; and a prompt's passes over all 8 rows
// (vec_dot_packed) read each step's weights as 256 (BF16 pairs: 512) contiguous bytes.
// Alternating A/B against the row-major kernels on the 4-layer GLM-4-9B bench model (bench
// engine, 2 threads): F16 pp512 +16% with 4×4 passes over packed rows, +7-10% more with the 8×3
// passes (pp128 likewise), generation 101-105% of the roofline against 90-103%; BF16 pp512
// +25-35% with packed_blocked_pair below, generation unchanged within the noise.
template <typename F>
uint64_t packed_group_bytes(int64_t n) {
    return static_cast<uint64_t>(kPackRows) * static_cast<uint64_t>(n) * sizeof(typename F::Elem);
}

template <typename F>
void pack_rows(int64_t n, const void* rows, size_t row_bytes, void* group) {
    using Elem = typename F::Elem;
    auto* dst = static_cast<Elem*>(group);
    for (int64_t k0 = 0; k0 < n; k0 += F::kElems) {
        const int64_t len = std::min<int64_t>(F::kElems, n - k0);
        for (int r = 0; r < kPackRows; ++r) {
            const auto* row = reinterpret_cast<const Elem*>(static_cast<const uint8_t*>(rows) +
                                                            static_cast<size_t>(r) * row_bytes);
            std::memcpy(dst, row + k0, static_cast<size_t>(len) * sizeof(Elem));
            dst += len;
        }
    }
}

// acc[r][c] += the products of elements [from, to) (whole steps) of rows r0 + r of a packed
// group and a_c; with kPrefetch, asking for each line of a step kPackedPrefetchBytes ahead.
template <typename F, int R, int C, bool kPrefetch>
inline void add_packed_steps(__m512 (&acc)[R][C], const typename F::Elem* group, int r0,
                             const typename F::Elem* const* a, int64_t from, int64_t to) {
    using Elem = typename F::Elem;
    constexpr int kStepLines = static_cast<int>(kPackRows * F::kElems * sizeof(Elem) / 64);
    for (int64_t i = from; i < to; i += F::kElems) {
        const Elem* s = group + i * kPackRows;  // step i / kElems of all the group's rows
        if constexpr (kPrefetch) {
#pragma GCC unroll 8
            for (int line = 0; line < kStepLines; ++line) {
                _mm_prefetch(reinterpret_cast<const char*>(s) + kPackedPrefetchBytes + line * 64,
                             _MM_HINT_T0);
            }
        }
        const Elem* w[R];
        const Elem* step_a[C];
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) w[r] = s + (r0 + r) * F::kElems;
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) step_a[c] = a[c] + i;
        step<F, R, C>(acc, w, step_a, 0);
    }
}

// finish() for rows r0 + r of a packed group: the partial step (each row's elements past the
// whole steps, row after row, after them), then output (r, c) to out[c * out_stride + r0 + r].
template <typename F, int R, int C>
inline void finish_packed(__m512 (&acc)[R][C], int64_t n, const typename F::Elem* group, int r0,
                          const typename F::Elem* const* a, float* out, size_t out_stride) {
    using Elem = typename F::Elem;
    const int64_t whole = n / F::kElems * F::kElems, rest = n - whole;
    const Elem* w[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) w[r] = group + whole * kPackRows + (r0 + r) * rest - whole;
    finish<F, R, C>(acc, n, whole, w, a, out + r0, {.row_stride = 1, .col_stride = out_stride});
}

// Rows [r0, r0 + R) of a packed group against C activation rows, in one pass.
template <typename F, int R, int C, bool kPrefetch>
void packed_pass(int64_t n, const typename F::Elem* group, int r0, const typename F::Elem* const* a,
                 float* out, size_t out_stride) {
    __m512 acc[R][C];
    zero_all(acc);
    add_packed_steps<F, R, C, kPrefetch>(acc, group, r0, a, 0, n / F::kElems * F::kElems);
    finish_packed<F, R, C>(acc, n, group, r0, a, out, out_stride);
}

// The four 4-row passes of two adjacent packed groups (16 rows) against C activations, k-block
// by k-block as blocked_tile does for row-major rows (and for the same reason: a block of the
// activations, read into L1 once, serves all 16 rows); each output is packed_pass's bit for bit.
template <typename F, int C>
void packed_blocked_pair(int64_t n, const typename F::Elem* groups, size_t group_elems,
                         const typename F::Elem* const* a, float* out, size_t out_stride) {
    static_assert(F::kBlockElems > 0 && F::kBlockElems % F::kElems == 0);
    constexpr int kPasses = 2 * kPackRows / kPassRows;
    PassSums<C> sums[kPasses];
    for (PassSums<C>& pass : sums) zero_all(pass);
    // Pass p: rows (p % 2)·4.. of group p / 2, whose outputs are rows p·4.. of the pair.
    const auto group_of = [&](int p) { return groups + (p / 2) * group_elems; };
    const auto first_row = [](int p) { return (p % 2) * kPassRows; };
    const int64_t whole = n / F::kElems * F::kElems;
    for (int64_t from = 0; from < whole; from += F::kBlockElems) {
        const int64_t to = std::min(from + F::kBlockElems, whole);
        for (int p = 0; p < kPasses; ++p) {
            __m512 acc[kPassRows][C];
            move_pass<false>(acc, sums[p]);
            add_packed_steps<F, kPassRows, C, false>(acc, group_of(p), first_row(p), a, from, to);
            move_pass<true>(acc, sums[p]);
        }
    }
    for (int p = 0; p < kPasses; ++p) {
        __m512 acc[kPassRows][C];
        move_pass<false>(acc, sums[p]);
        finish_packed<F, kPassRows, C>(acc, n, group_of(p), first_row(p), a,
                                       out + (p / 2) * kPackRows, out_stride);
    }
}

// The activation row pointers of a packed kernel's call.
template <typename Elem>
struct ActRows {
    const Elem* rows[kMaxActRows];

    ActRows(const void* act, size_t act_stride, int n_act) {
        for (int c = 0; c < n_act; ++c) {
            rows[c] = reinterpret_cast<const Elem*>(static_cast<const uint8_t*>(act) +
                                                    static_cast<size_t>(c) * act_stride);
        }
    }
};

// KernelTable::VecDotPackedFn: passes over all the group's rows, each step's 8 weight vectors
// contiguous, for up to kPackedPassTokens tokens at a time (4 tokens go as 2 + 2).
template <typename F>
void vec_dot_packed(int64_t n, const void* group, const void* act, size_t act_stride, int n_act,
                    float* out, size_t out_stride) {
    using Elem = typename F::Elem;
    const auto* g = static_cast<const Elem*>(group);
    const ActRows<Elem> a(act, act_stride, n_act);
    static_assert(kMaxActRows == 4 && kPackedPassTokens == 3, "one case per token count below");
    switch (n_act) {
        case 1: packed_pass<F, kPackRows, 1, true>(n, g, 0, a.rows, out, out_stride); break;
        case 2: packed_pass<F, kPackRows, 2, false>(n, g, 0, a.rows, out, out_stride); break;
        case 3: packed_pass<F, kPackRows, 3, false>(n, g, 0, a.rows, out, out_stride); break;
        default:
            packed_pass<F, kPackRows, 2, false>(n, g, 0, a.rows, out, out_stride);
            packed_pass<F, kPackRows, 2, false>(n, g, 0, a.rows + 2, out + 2 * out_stride,
                                                out_stride);
            break;
    }
}

// KernelTable::vec_dot_packed_pair of a format that k-blocks its prompt tiles (F::kTileRows >
// kPassRows, BF16 pairs): a GEMV streams each group as vec_dot_packed does; several tokens go
// through packed_blocked_pair.
template <typename F>
void vec_dot_packed_pair(int64_t n, const void* group, const void* act, size_t act_stride,
                         int n_act, float* out, size_t out_stride) {
    using Elem = typename F::Elem;
    const auto* g = static_cast<const Elem*>(group);
    const size_t group_elems = packed_group_bytes<F>(n) / sizeof(Elem);
    const ActRows<Elem> a(act, act_stride, n_act);
    switch (n_act) {
        case 1:
            packed_pass<F, kPackRows, 1, true>(n, g, 0, a.rows, out, out_stride);
            packed_pass<F, kPackRows, 1, true>(n, g + group_elems, 0, a.rows, out + kPackRows,
                                               out_stride);
            break;
        case 2: packed_blocked_pair<F, 2>(n, g, group_elems, a.rows, out, out_stride); break;
        case 3: packed_blocked_pair<F, 3>(n, g, group_elems, a.rows, out, out_stride); break;
        default: packed_blocked_pair<F, 4>(n, g, group_elems, a.rows, out, out_stride); break;
    }
}

template <typename F>
void set_float_kernels(TypeKernels& k) {
    k.vec_dot = detail::float_vec_dot<TileRows<F>>;
    k.vec_dot_rows = detail::float_vec_dot_rows<TileRows<F>>;
    k.vec_dot_tile = detail::float_tile<TileRows<F>>;
    k.tile_tokens = kFloatTileTokens;
    k.tile_rows = F::kTileRows;
    k.packed_group_bytes = packed_group_bytes<F>;
    k.pack_rows = pack_rows<F>;
    k.vec_dot_packed = vec_dot_packed<F>;
    k.packed_tile_tokens = kPackedPassTokens;
    if constexpr (F::kTileRows > kPassRows) {
        k.vec_dot_packed_pair = vec_dot_packed_pair<F>;
        k.packed_tile_tokens = kFloatTileTokens;  // the blocked pair's 4×4 passes
    }
}

}  // namespace

void add_float_kernels(KernelTable& t, bool bf16_pairs) {
    set_float_kernels<F32Format>(t[TensorType::F32]);
    set_float_kernels<F16Format>(t[TensorType::F16]);
    if (bf16_pairs) {
        set_float_kernels<Bf16PairFormat>(t[TensorType::BF16]);
    } else {
        set_float_kernels<Bf16Format>(t[TensorType::BF16]);
    }
}

}  // namespace glmserve::kernels::GLMSERVE_AVX512_NAMESPACE
