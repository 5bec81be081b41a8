// Matrix products of a GGUF weight matrix with rows of f32 activations.
//
// A weight W in ggml order ne = [n_in, n_out] holds n_out rows of n_in values (PyTorch's
// Linear.weight [out, in]). matmul computes, for each token t and output o,
//   y[t][o] = Σ_i W[o][i] · x[t][i]
// by converting each x row to W's vec_dot_type once (into `scratch`) and calling the table's
// vec_dot per (t, o). Output rows are split across the pool's threads; each y element is one
// vec_dot in a fixed order, so results do not depend on the thread count.
#pragma once

#include <cstdint>
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
};

// Reusable buffer for converted activations; grows to the largest request and is then reused,
// so steady-state steps do not allocate.
class MatmulScratch {
public:
    uint8_t* reserve(uint64_t n_bytes);

private:
    std::vector<uint8_t> bytes_;
};

// x: [n_tokens, w.n_in] row-major; y: [n_tokens, w.n_out] row-major.
void matmul(const KernelTable& table, const WeightMatrix& w, const float* x, int64_t n_tokens,
            float* y, MatmulScratch& scratch, ThreadPool& pool);

// Copies row `row` of w into dst (w.n_in floats), dequantized exactly (embedding lookup).
void dequantize_row(const KernelTable& table, const WeightMatrix& w, int64_t row, float* dst);

}  // namespace glmserve::kernels
