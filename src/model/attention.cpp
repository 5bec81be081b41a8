#include "model/attention.h"

#include <algorithm>
#include <cmath>

#include "kernels/float16.h"

namespace glmserve::model {
namespace {

// One query head of one token: out[d] = Σ_p softmax_p(q·k_p · scale) v_p[d], with K and V
// read from f16 and everything else in f32.
void attend_one(const AttentionShape& s, const float* q, float* out, int64_t n_pos,
                const BlockTable& blocks, KvPool& kv, int64_t il, int64_t kv_head, float* scores) {
    const int32_t bs = kv.block_size();
    const int64_t kv_off = kv_head * s.head_dim;
    float max_score = -INFINITY;
    for (int64_t p = 0; p < n_pos; ++p) {
        const uint16_t* k =
            kv.k_row(blocks.blocks[static_cast<size_t>(p / bs)], il, static_cast<int32_t>(p % bs)) +
            kv_off;
        float dot = 0.0f;
        for (int64_t d = 0; d < s.head_dim; ++d) dot += q[d] * kernels::fp16_to_fp32(k[d]);
        scores[p] = dot * s.scale;
        max_score = std::max(max_score, scores[p]);
    }
    float sum = 0.0f;
    for (int64_t p = 0; p < n_pos; ++p) {
        scores[p] = std::exp(scores[p] - max_score);
        sum += scores[p];
    }
    const float inv_sum = 1.0f / sum;
    std::fill(out, out + s.head_dim, 0.0f);
    for (int64_t p = 0; p < n_pos; ++p) {
        const uint16_t* v =
            kv.v_row(blocks.blocks[static_cast<size_t>(p / bs)], il, static_cast<int32_t>(p % bs)) +
            kv_off;
        const float w = scores[p] * inv_sum;
        for (int64_t d = 0; d < s.head_dim; ++d) out[d] += w * kernels::fp16_to_fp32(v[d]);
    }
}

}  // namespace

void paged_attention(const AttentionShape& shape, const AttentionChunk& chunk, KvPool& kv,
                     int64_t il, std::vector<float>& scores, kernels::ThreadPool& pool) {
    const int64_t n_ctx = chunk.pos0 + chunk.n_tokens;
    const size_t need = static_cast<size_t>(pool.size()) * static_cast<size_t>(n_ctx);
    if (scores.size() < need) scores.resize(need);
    const int64_t n_pairs = chunk.n_tokens * shape.n_head;
    const int64_t group = shape.n_head / shape.n_head_kv;
    const int64_t width = shape.n_head * shape.head_dim;
    pool.run([&](int ith, int nth) {
        float* thread_scores =
            scores.data() + static_cast<size_t>(ith) * static_cast<size_t>(n_ctx);
        const auto [begin, end] = kernels::ThreadPool::split(n_pairs, ith, nth);
        for (int64_t i = begin; i < end; ++i) {
            const int64_t t = i / shape.n_head;
            const int64_t h = i % shape.n_head;
            const int64_t off = t * width + h * shape.head_dim;
            attend_one(shape, chunk.q + off, chunk.out + off, chunk.pos0 + t + 1, *chunk.blocks, kv,
                       il, h / group, thread_scores);
        }
    });
}

}  // namespace glmserve::model
