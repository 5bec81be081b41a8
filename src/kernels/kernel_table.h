// KernelTable: the per-type row kernels every matrix operation is built from.
//
// One entry per tensor type id. For a weight type W, `vec_dot_type` names the activation format
// the activations are converted to before the dot product (F32, F16, BF16, Q8_0, Q8_1 or Q8_K,
// as GGUF runtimes do: ../shared/reference/glm-gguf.md §2.5), so results agree with them.
// `ref_kernels()` is the scalar specification (kernels/ref/); SIMD tables (avx2/, avx512/) are
// filled from it and override what they speed up. `active_kernels()` picks one table once, from
// cpuid and GLMSERVE_KERNELS=ref|avx2|avx512, and is what the engine uses; kernels do not log,
// so the caller logs `active_kernels_reason()` (dispatch.h).
// Kernels never allocate, lock or log. Thread: tables are immutable after start-up.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gguf/tensor_type.h"

namespace glmserve::kernels {

using gguf::TensorType;

// Converts n floats to n values of this type (n a multiple of the block size).
using QuantizeRowFn = void (*)(const float* src, void* dst, int64_t n);
// Converts n values of this type to floats (n a multiple of the block size).
using DequantizeRowFn = void (*)(const void* src, float* dst, int64_t n);
// Dot product of n weights of this type with n activations of its vec_dot_type.
using VecDotFn = float (*)(int64_t n, const void* weights, const void* activations);

// One weight row against n_act activation rows (1 <= n_act <= kMaxActRows) that start
// act_stride bytes apart: out[j] = vec_dot(n, weights, activations + j * act_stride). The weight
// row is loaded (and unpacked) once for all of them — the register blocking of prefill and
// batched decode. Each out[j] must equal vec_dot's result bit for bit, so that a token's output
// never depends on which other tokens share its batch (the engine's determinism guarantee).
inline constexpr int kMaxActRows = 4;
using VecDotRowsFn = void (*)(int64_t n, const void* weights, const void* activations,
                              size_t act_stride, int n_act, float* out);

// A tile of weight rows × activation rows (1 <= n_w <= the type's tile_rows, 1 <= n_act <=
// kMaxActRows): out[r * out_stride + c] = vec_dot(n, weights + r * w_stride,
// activations + c * act_stride), each bit for bit as vec_dot computes it. Register blocking on
// both sides: a weight block is unpacked once for every token of the tile, an activation block
// (and its scale) loaded once for every row. One token (n_act = 1) is batched decode's and
// single-sequence decode's GEMV; several are prefill's GEMM.
// Every vec_dot_tile accepts up to kMaxWeightRows rows; one whose TypeKernels::tile_rows says so,
// up to that many (at most kMaxTileRows).
inline constexpr int kMaxWeightRows = 4;
inline constexpr int kMaxTileRows = 16;
using VecDotTileFn = void (*)(int64_t n, const void* weights, size_t w_stride, int n_w,
                              const void* activations, size_t act_stride, int n_act, float* out,
                              size_t out_stride);

// Row-interleaved weight groups: kPackRows rows stored so that one vector load holds the same
// few columns of every row of the group, and a kernel keeps row r in lane r (no horizontal
// reductions; see avx2/packed.cpp for the layouts). The float layouts (avx512/float_types.cpp)
// interleave whole SIMD steps of each row instead, so that their kernels read a group as one
// stream and sum as vec_dot does. A group holds the bytes of its rows, plus
// whatever a layout adds to save the kernel work (Q4_K: decoded scales, 2.8% more);
// packed_group_bytes(n) says how many. pack_rows writes one group from kPackRows rows that
// start row_bytes apart.
inline constexpr int kPackRows = 8;
using PackedGroupBytesFn = uint64_t (*)(int64_t n);
using PackRowsFn = void (*)(int64_t n, const void* rows, size_t row_bytes, void* group);
// All kPackRows rows of one group against n_act activation rows (1..kMaxActRows):
// out[c * out_stride + r] = vec_dot(n, row r, activations + c * act_stride), bit for bit.
// Token-major output, so matmul writes y rows directly. Where the type has an activation
// suffix, each activation row is followed by its act_suffix_bytes(n) bytes.
using VecDotPackedFn = void (*)(int64_t n, const void* group, const void* activations,
                                size_t act_stride, int n_act, float* out, size_t out_stride);
// Facts about one activation row that a packed kernel would otherwise recompute for every group
// of kPackRows weight rows (Q4_0: each block's quant sums, 1 of 5 instructions of a decode
// GEMV; AVX2's Q8_0-activation formats also keep each block's scale there as a float).
// write_act_suffix writes act_suffix_bytes(n) bytes at `suffix` from an activation row of n
// values in the vec_dot_type; matmul stores them right after the row, and kernels other than
// vec_dot_packed skip them (they take the row stride).
using ActSuffixBytesFn = uint64_t (*)(int64_t n);
using WriteActSuffixFn = void (*)(int64_t n, const void* act_row, void* suffix);

struct TypeKernels {
    bool supported = false;
    TensorType vec_dot_type = TensorType::F32;
    QuantizeRowFn quantize_row = nullptr;  // null where we cannot produce this type
    DequantizeRowFn dequantize_row = nullptr;
    VecDotFn vec_dot = nullptr;           // null for activation-only types
    VecDotRowsFn vec_dot_rows = nullptr;  // optional; matmul falls back to vec_dot per token
    VecDotTileFn vec_dot_tile = nullptr;  // optional; preferred by matmul when present
    // Tokens per vec_dot_tile call in a matmul (1..kMaxActRows): the count whose register
    // blocking runs fastest (the float tiles: 3, for their 4×3 pass). Speed only; every count
    // gives the same results.
    int tile_tokens = kMaxActRows;
    // Weight rows per vec_dot_tile call in a matmul (1..kMaxTileRows, matmul's 16-output chunk),
    // and the most the kernel accepts. Above kMaxWeightRows for a kernel that keeps the
    // accumulators of several row groups across k-blocks, so that a block of the tile's
    // activations, read once into L1, serves them all. Speed only, like tile_tokens.
    int tile_rows = kMaxWeightRows;
    // Optional, all three or none: the packed layout.
    PackedGroupBytesFn packed_group_bytes = nullptr;
    PackRowsFn pack_rows = nullptr;
    VecDotPackedFn vec_dot_packed = nullptr;
    // Tokens per vec_dot_packed (or _pair) call in a matmul (1..kMaxActRows), as tile_tokens is
    // for vec_dot_tile. Speed only.
    int packed_tile_tokens = kMaxActRows;
    // Optional, only with the packed layout: two adjacent groups (2·kPackRows rows, the second
    // packed_group_bytes(n) after the first) per call, out[c * out_stride + r] for r < 16, each
    // equal to vec_dot_packed's bit for bit. Where one vector holds both groups (AVX-512).
    VecDotPackedFn vec_dot_packed_pair = nullptr;
    // Optional, both or neither; only with the packed layout.
    ActSuffixBytesFn act_suffix_bytes = nullptr;
    WriteActSuffixFn write_act_suffix = nullptr;
};

// f16 rows that need not be contiguous (K or V rows of consecutive positions, wherever the
// paged cache put them): rows[p] points at n elements, for p < n_rows.
struct F16Rows {
    const uint16_t* const* rows = nullptr;
    int64_t n_rows = 0;
};

// Vector ops for the parts of the model that are not matmuls: attention reads its K/V rows as
// f16 from the paged cache. The _tile ops serve the query heads of one GQA group against a tile
// of positions, so each K/V row is loaded and widened once for all of them. The _f32 ops after
// them are the decoder's element-wise work on rows of n floats. Every entry is set in every
// table. Rows are row-major; n is the row length (head_dim for attention's ops).
struct VectorKernels {
    // Σ x[i]·y[i] for i < n: x f32, y f16 bit patterns.
    float (*dot_f32_f16)(int64_t n, const float* x, const uint16_t* y) = nullptr;
    // y[i] += a·x[i] for i < n: x f16 bit patterns, y f32.
    void (*axpy_f16)(int64_t n, float a, const uint16_t* x, float* y) = nullptr;
    // y[i] *= a for i < n.
    void (*scale_f32)(int64_t n, float a, float* y) = nullptr;
    // out[p·n_x + r] = Σ_i x[r·n + i]·y.rows[p][i]: x [n_x, n] f32, out [y.n_rows, n_x].
    void (*dot_f32_f16_tile)(int64_t n, const float* x, int64_t n_x, F16Rows y,
                             float* out) = nullptr;
    // y[r·n + i] += Σ_p a[p·n_y + r]·x.rows[p][i], adding p = 0, 1, ... in order: a [x.n_rows,
    // n_y], y [n_y, n] f32.
    void (*axpy_f16_tile)(int64_t n, F16Rows x, const float* a, int64_t n_y, float* y) = nullptr;
    // y[i] = e^x[i] for i < n (softmax weights); y may alias x. Element i's result depends on
    // x[i] only (not on n or i), so batching never changes it.
    void (*exp_f32)(int64_t n, const float* x, float* y) = nullptr;
    // y[i] += x[i] for i < n (residual adds, biases).
    void (*add_f32)(int64_t n, const float* x, float* y) = nullptr;
    // RMSNorm of one row: y[i] = x[i] / sqrt(mean_j(x[j]²) + eps) · w[i]; y may alias x.
    void (*rms_norm_f32)(int64_t n, const float* x, const float* w, float eps, float* y) = nullptr;
    // out[i] = silu(gate[i])·up[i], silu(z) = z / (1 + e^-z); out may alias gate or up. Like
    // exp_f32, element i depends on gate[i] and up[i] only.
    void (*swiglu_f32)(int64_t n, const float* gate, const float* up, float* out) = nullptr;
};

struct KernelTable {
    std::string_view name;  // "ref", "avx2", "avx512"
    std::array<TypeKernels, gguf::kTensorTypeIdLimit> types{};
    VectorKernels vec;

    const TypeKernels& operator[](TensorType t) const { return types[static_cast<uint32_t>(t)]; }
    TypeKernels& operator[](TensorType t) { return types[static_cast<uint32_t>(t)]; }
};

const KernelTable& ref_kernels();

// The table chosen for this process (first call decides; see dispatch.h for why).
const KernelTable& active_kernels();

// True when `table` can multiply weights of `type` (supported, with a vec_dot). The model
// loader checks this for every weight before calling matmul(), which requires it.
bool can_matmul(const KernelTable& table, TensorType type);

}  // namespace glmserve::kernels
