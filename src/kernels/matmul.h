// Matrix products of GGUF weight matrices with rows of f32 activations.
//
// A weight W in ggml order ne = [n_in, n_out] holds n_out rows of n_in values (PyTorch's
// Linear.weight [out, in]). matmul computes, for each token t and output o,
//   y[t][o] = Σ_i W[o][i] · x[t][i]
// by converting each x row to W's vec_dot_type once (into `scratch`) and calling the table's
// vec_dot per (t, o), or its vec_dot_rows for up to kMaxActRows tokens per weight row.
// matmul_many does the same for several matrices that read the same x (Q/K/V, gate/up): x is
// converted once per distinct vec_dot_type and all their rows share one fork-join.
// Determinism: every y[t][o] is bit for bit what a 1-token matmul of token t alone computes,
// whatever n_tokens, the thread count, or the other matrices in a matmul_many (vec_dot_rows is
// bit-identical to vec_dot by the table's contract, and each element is one such call).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "gguf/tensor_type.h"
#include "kernels/kernel_table.h"
#include "kernels/thread_pool.h"

namespace glmserve::kernels {

struct WeightMatrix {
    TensorType type = TensorType::F32;
    const void* data = nullptr;  // view (owner: the model's mapped file or a test buffer)
    int64_t n_in = 0;            // ne[0]
    int64_t n_out = 0;           // ne[1]
    uint64_t row_bytes = 0;      // bytes of one row of n_in values
    // Optional row-interleaved copy of the first n_out / kPackRows · kPackRows rows (see
    // TypeKernels::pack_rows), made by PackedWeights; matmul uses it when packed_with is the
    // table's pack_rows for this type. data stays valid for every row either way.
    const void* packed = nullptr;
    PackRowsFn packed_with = nullptr;
};

// Owns the row-interleaved copies of weight matrices. Memory: about the bytes of the matrices
// packed; callers release the original pages (the mapped file) if they no longer read them.
// Thread: pack() from one thread at a time; the copies are immutable afterwards.
class PackedWeights {
public:
    // Packs w's whole groups when `table` has a packed kernel for w.type and w has at least one
    // group; sets w.packed and w.packed_with. Returns whether it packed.
    bool pack(const KernelTable& table, WeightMatrix& w);
    uint64_t bytes() const { return bytes_; }

private:
    struct FreeDeleter {
        void operator()(uint8_t* p) const;
    };
    std::vector<std::unique_ptr<uint8_t, FreeDeleter>> buffers_;
    uint64_t bytes_ = 0;
};

// Reusable buffer for converted activations; grows to the largest request and is then reused,
// so steady-state steps do not allocate.
class MatmulScratch {
public:
    uint8_t* reserve(uint64_t n_bytes);

private:
    std::vector<uint8_t> bytes_;
};

// One product of a matmul_many: y [n_tokens, w->n_out] row-major = x · w^T.
struct MatmulJob {
    const WeightMatrix* w = nullptr;  // borrowed for the call
    float* y = nullptr;               // must not overlap x or another job's y
};

// matmul_many takes at most this many jobs (a layer groups at most Q, K, V).
inline constexpr size_t kMaxMatmulJobs = 8;

// x: [n_tokens, w.n_in] row-major; y: [n_tokens, w.n_out] row-major.
void matmul(const KernelTable& table, const WeightMatrix& w, const float* x, int64_t n_tokens,
            float* y, MatmulScratch& scratch, ThreadPool& pool);

// Every job's w has the same n_in; x: [n_tokens, n_in] row-major. Equal, bit for bit, to one
// matmul() per job, but with one activation conversion per vec_dot_type and one pool.run for
// the products.
void matmul_many(const KernelTable& table, std::span<const MatmulJob> jobs, const float* x,
                 int64_t n_tokens, MatmulScratch& scratch, ThreadPool& pool);

// Copies row `row` of w into dst (w.n_in floats), dequantized exactly (embedding lookup).
void dequantize_row(const KernelTable& table, const WeightMatrix& w, int64_t row, float* dst);

}  // namespace glmserve::kernels
