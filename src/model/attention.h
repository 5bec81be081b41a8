// Causal multi-head attention that reads K and V through a sequence's block table.
//
// For a chunk of n_tokens new tokens at positions pos0 .. pos0+n_tokens-1 (their K/V already
// stored in the pool), query token t attends positions 0 .. pos0+t. Query head h uses KV head
// h / (n_head / n_head_kv) (contiguous GQA groups). Scores and softmax are f32, max-subtracted.
// Work is split over (token, head) pairs; each pair is computed by one thread in a fixed order,
// so the result does not depend on the thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/thread_pool.h"
#include "model/paged_kv.h"

namespace glmserve::model {

struct AttentionShape {
    int64_t n_head = 0;
    int64_t n_head_kv = 0;
    int64_t head_dim = 0;
    float scale = 1.0f;
};

struct AttentionChunk {
    const float* q = nullptr;  // [n_tokens, n_head·head_dim]
    float* out = nullptr;      // [n_tokens, n_head·head_dim]
    int64_t n_tokens = 0;
    int64_t pos0 = 0;
    const BlockTable* blocks = nullptr;
};

// scores: scratch of at least pool.size() · (pos0 + n_tokens) floats.
void paged_attention(const AttentionShape& shape, const AttentionChunk& chunk, KvPool& kv,
                     int64_t il, std::vector<float>& scores, kernels::ThreadPool& pool);

}  // namespace glmserve::model
