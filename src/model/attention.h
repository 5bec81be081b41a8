// Causal multi-head attention that reads K and V through a sequence's block table.
//
// For a chunk of n_tokens new tokens at positions pos0 .. pos0+n_tokens-1 (their K/V already
// stored in the pool), query token t attends positions 0 .. pos0+t. Query head h uses KV head
// h / (n_head / n_head_kv) (contiguous GQA groups); the heads of one group are computed together,
// so each K/V row is loaded once for all of them.
// Math is f32 on K/V rows read as f16, through the kernel table's vector ops. Softmax is online
// (flash-attention style, Dao et al. 2022): positions are cut into fixed tiles of kAttentionTile
// by absolute position; each tile yields its own max, exp-sum and weighted V sum (a two-pass
// softmax over at most kAttentionTile scores), and tiles are merged in position order with a
// running max and sum. No buffer grows with the context.
// Determinism: the tiles and the merge order depend only on positions, never on the thread
// count or on how a prompt was chunked, and each output element is computed by one thread. With
// few (token, KV head) pairs (decode), tiles are computed by all threads and then merged by one
// thread per pair (split-K, as in flash-decoding); that merge is the same arithmetic as the
// in-thread merge, so both paths give the same bits.
// Thread: paged_attention runs on the caller's thread and the pool's workers; callers serialise
// calls (the decoder's one step at a time).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/kernel_table.h"
#include "kernels/thread_pool.h"
#include "model/paged_kv.h"

namespace glmserve::model {

// Positions per softmax tile: scores of one group's heads for one tile fit in L1.
inline constexpr int64_t kAttentionTile = 128;

struct AttentionShape {
    int64_t n_head = 0;
    int64_t n_head_kv = 0;  // divides n_head
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

// What a call runs on; everything is borrowed for the call.
struct AttentionContext {
    const kernels::VectorKernels& vec;  // the decoder's kernel table's vector ops
    KvPool& kv;
    kernels::ThreadPool& pool;
    // Per-thread tiles and split-K partials: resized here as needed (to a size set by the
    // shape, the thread count and, for decode, the number of tiles), so it stops growing once
    // warm.
    std::vector<float>& scratch;
};

void paged_attention(const AttentionShape& shape, const AttentionChunk& chunk, int64_t il,
                     const AttentionContext& ctx);

}  // namespace glmserve::model
