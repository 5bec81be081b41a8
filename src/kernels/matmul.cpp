// matmul and dequantize_row over a KernelTable (see matmul.h).
//
// Shapes: W [n_out, n_in] in its own type (row stride w.row_bytes); x [n_tokens, n_in] f32;
// y [n_tokens, n_out] f32; scratch holds x converted to W's vec_dot_type, [n_tokens, act_row].
// Steps:
//   1. Convert each activation row to the vec_dot_type, tokens split across threads (skipped
//      for F32 weights, whose activations are used as they are).
//   2. Split the n_out weight rows across threads; each thread walks its rows and, for each,
//      every token, so a weight row is read once per call while it is hot in cache. Every
//      y[t][o] is one vec_dot call, so the result does not depend on the thread count.
// Thread: one call at a time per scratch; the pool provides the parallelism.
#include "kernels/matmul.h"

#include "common/check.h"

namespace glmserve::kernels {

namespace {

// Bytes of one row of n elements of `type` (GS_CHECK: callers pass validated shapes).
uint64_t checked_row_bytes(TensorType type, int64_t n) {
    const Result<uint64_t> bytes = gguf::row_bytes(type, n);
    GS_CHECK(bytes.ok());
    return bytes.value();
}

}  // namespace

bool can_matmul(const KernelTable& table, TensorType type) {
    if (static_cast<uint32_t>(type) >= gguf::kTensorTypeIdLimit) return false;
    const TypeKernels& k = table[type];
    return k.supported && k.vec_dot != nullptr && table[k.vec_dot_type].quantize_row != nullptr;
}

uint8_t* MatmulScratch::reserve(uint64_t n_bytes) {
    if (bytes_.size() < n_bytes) bytes_.resize(n_bytes);
    return bytes_.data();
}

void matmul(const KernelTable& table, const WeightMatrix& w, const float* x, int64_t n_tokens,
            float* y, MatmulScratch& scratch, ThreadPool& pool) {
    GS_CHECK(can_matmul(table, w.type));
    GS_CHECK(n_tokens >= 0 && w.n_in > 0 && w.n_out >= 0);
    GS_DCHECK(w.row_bytes == checked_row_bytes(w.type, w.n_in));
    const TypeKernels& wk = table[w.type];
    const TensorType act_type = wk.vec_dot_type;
    const VecDotFn vec_dot = wk.vec_dot;
    const int64_t n_in = w.n_in;
    const int64_t n_out = w.n_out;

    // 1. Activations in the vec_dot_type: act [n_tokens, act_row_bytes].
    const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
    uint64_t act_row_bytes = static_cast<uint64_t>(n_in) * sizeof(float);
    if (act_type != TensorType::F32) {
        act_row_bytes = checked_row_bytes(act_type, n_in);
        uint8_t* converted = scratch.reserve(act_row_bytes * static_cast<uint64_t>(n_tokens));
        const QuantizeRowFn quantize = table[act_type].quantize_row;
        pool.run([&](int ith, int nth) {
            const auto [t_begin, t_end] = ThreadPool::split(n_tokens, ith, nth);
            for (int64_t t = t_begin; t < t_end; ++t) {
                quantize(x + t * n_in, converted + static_cast<uint64_t>(t) * act_row_bytes, n_in);
            }
        });
        act = converted;
    }

    // 2. y[t][o] = vec_dot(W[o], act[t]); output rows split across threads.
    const auto* weights = static_cast<const uint8_t*>(w.data);
    pool.run([&](int ith, int nth) {
        const auto [o_begin, o_end] = ThreadPool::split(n_out, ith, nth);
        for (int64_t o = o_begin; o < o_end; ++o) {
            const uint8_t* w_row = weights + static_cast<uint64_t>(o) * w.row_bytes;
            for (int64_t t = 0; t < n_tokens; ++t) {
                y[t * n_out + o] =
                    vec_dot(n_in, w_row, act + static_cast<uint64_t>(t) * act_row_bytes);
            }
        }
    });
}

void dequantize_row(const KernelTable& table, const WeightMatrix& w, int64_t row, float* dst) {
    const TypeKernels& k = table[w.type];
    GS_CHECK(k.supported && k.dequantize_row != nullptr);
    GS_CHECK(row >= 0 && row < w.n_out);
    const auto* src =
        static_cast<const uint8_t*>(w.data) + static_cast<uint64_t>(row) * w.row_bytes;
    k.dequantize_row(src, dst, w.n_in);
}

}  // namespace glmserve::kernels
