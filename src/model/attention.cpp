// Paged causal GQA attention with a tiled online softmax (see attention.h for the contract).
//
// Work unit: a (token, KV head) pair, i.e. the `group` query heads that share one KV head. For
// a pair and a tile of positions, compute_tile() produces a Partial: per head the tile's max
// score m, s = Σ exp(score - m) and acc = Σ exp(score - m)·v. merge() folds tiles into a
// running Partial in position order:
//   M = max(m_run, m_tile), a = exp(m_run - M), b = exp(m_tile - M),
//   s_run = a·s_run + b·s_tile, acc_run = a·acc_run + b·acc_tile
// and finish() writes acc_run / s_run. The first tile is copied (exactly), not merged.
// Inside a tile the vector ops do the heavy work: dot_f32_f16_tile gives the scores of all the
// group's heads with each K row widened once, axpy_f16_tile accumulates the V rows likewise,
// scale_f32 and exp_f32 (the table's vectorized exp) run over the tile's [positions, heads]
// scores; max, shift and sums are scalar f32. merge()'s two exps per head and tile stay
// std::exp: they only rescale partials, a handful per tile.
// Two schedules compute the same partials and merges, so they give the same bits:
//   - per pair (prefill, or enough pairs for every thread): pairs are dealt to threads in a
//     stride (causal pairs of later tokens cost more; a stride spreads them), and one thread
//     runs all of a pair's tiles and merges as it goes;
//   - split (decode: fewer pairs than threads): in waves of kSplitWaveTiles tiles, every thread
//     computes some tiles into a shared buffer, then one thread per pair merges that wave's
//     tiles in order into the pair's running Partial. Waves bound the buffer whatever the
//     context length.
// Scratch layout (floats): per thread [scores: kAttentionTile·group][2 Partials], then for the
// split schedule [n_pairs running Partials][n_pairs·kSplitWaveTiles tile Partials].
// Thread: see attention.h; within a call each Partial is written by one thread per pool.run().
#include "model/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace glmserve::model {
namespace {

// Tiles per pair per split wave: 4096 positions, enough tiles to keep every thread busy at
// decode while bounding the buffer.
constexpr int64_t kSplitWaveTiles = 32;

size_t sz(int64_t n) {
    return static_cast<size_t>(n);
}

int64_t tiles_for(int64_t n_pos) {
    return (n_pos + kAttentionTile - 1) / kAttentionTile;
}

// Softmax state of one pair's `group` heads, views into scratch: max[G], sum[G], acc[G·D].
struct Partial {
    float* max = nullptr;
    float* sum = nullptr;
    float* acc = nullptr;
};

// One (token, KV head) pair: its group's query and output rows and how many positions it sees.
struct Pair {
    const float* q = nullptr;  // [group, head_dim]
    float* out = nullptr;      // [group, head_dim]
    int64_t n_pos = 0;
    int64_t kv_off = 0;  // offset of its KV head inside a K/V row
};

// The geometry of one call and what it runs on.
struct Job {
    const AttentionShape& shape;
    const AttentionChunk& chunk;
    const AttentionContext& ctx;
    int64_t il = 0;
    int64_t group = 0;         // query heads per KV head
    int64_t partial_size = 0;  // floats in one Partial: group·(head_dim + 2)
    int64_t thread_size = 0;   // floats of per-thread scratch

    int64_t n_pairs() const { return chunk.n_tokens * shape.n_head_kv; }

    // Pair i = (token i / n_head_kv, KV head i % n_head_kv).
    Pair pair(int64_t i) const {
        const int64_t t = i / shape.n_head_kv, g = i % shape.n_head_kv;
        const int64_t off = t * shape.n_head * shape.head_dim + g * group * shape.head_dim;
        return Pair{.q = chunk.q + off,
                    .out = chunk.out + off,
                    .n_pos = chunk.pos0 + t + 1,
                    .kv_off = g * shape.head_dim};
    }

    Partial partial_at(float* base) const {
        return Partial{.max = base, .sum = base + group, .acc = base + 2 * group};
    }
};

// The tile `tile` of `pair` into `out`; scores: [kAttentionTile, group] scratch.
void compute_tile(const Job& job, const Pair& pair, int64_t tile, float* scores,
                  const Partial& out) {
    const kernels::VectorKernels& vec = job.ctx.vec;
    KvPool& kv = job.ctx.kv;
    const std::vector<int32_t>& blocks = job.chunk.blocks->blocks;
    const int64_t D = job.shape.head_dim, G = job.group;
    const int32_t bs = kv.block_size();
    const int64_t p0 = tile * kAttentionTile;
    const int64_t n = std::min(kAttentionTile, pair.n_pos - p0);
    const uint16_t* rows[kAttentionTile];  // this tile's K, then V, rows of the pair's KV head

    // 1. scores[p][j] = q_j · k_p: the tile op widens each K row once for the group's heads.
    for (int64_t p = 0; p < n; ++p) {
        const int64_t pos = p0 + p;
        rows[p] =
            kv.k_row(blocks[sz(pos / bs)], job.il, static_cast<int32_t>(pos % bs)) + pair.kv_off;
    }
    vec.dot_f32_f16_tile(D, pair.q, G, kernels::F16Rows{.rows = rows, .n_rows = n}, scores);
    // 2. Per head j: scale, the tile's max m_j, exp(score - m_j) in place and their sum s_j.
    //    The [positions, heads] scores are walked position by position, all heads at a time
    //    (contiguous), so each head still meets its positions in order.
    vec.scale_f32(n * G, job.shape.scale, scores);
    std::fill(out.max, out.max + G, -INFINITY);
    for (int64_t p = 0; p < n; ++p) {
        for (int64_t j = 0; j < G; ++j) out.max[j] = std::max(out.max[j], scores[p * G + j]);
    }
    for (int64_t p = 0; p < n; ++p) {
        for (int64_t j = 0; j < G; ++j) scores[p * G + j] -= out.max[j];
    }
    vec.exp_f32(n * G, scores, scores);
    std::fill(out.sum, out.sum + G, 0.0f);
    for (int64_t p = 0; p < n; ++p) {
        for (int64_t j = 0; j < G; ++j) out.sum[j] += scores[p * G + j];
    }
    // 3. acc_j = Σ_p exp(score_pj - m_j)·v_p, likewise one widening per V row for the group.
    for (int64_t p = 0; p < n; ++p) {
        const int64_t pos = p0 + p;
        rows[p] =
            kv.v_row(blocks[sz(pos / bs)], job.il, static_cast<int32_t>(pos % bs)) + pair.kv_off;
    }
    std::fill(out.acc, out.acc + G * D, 0.0f);
    vec.axpy_f16_tile(D, kernels::F16Rows{.rows = rows, .n_rows = n}, scores, G, out.acc);
}

// Folds `tile` (the next tile in position order) into `run`.
void merge(const Job& job, const Partial& run, const Partial& tile) {
    const int64_t D = job.shape.head_dim;
    for (int64_t j = 0; j < job.group; ++j) {
        const float m = std::max(run.max[j], tile.max[j]);
        const float a = std::exp(run.max[j] - m);
        const float b = std::exp(tile.max[j] - m);
        run.max[j] = m;
        run.sum[j] = a * run.sum[j] + b * tile.sum[j];
        float* o = run.acc + j * D;
        const float* x = tile.acc + j * D;
        for (int64_t d = 0; d < D; ++d) o[d] = a * o[d] + b * x[d];
    }
}

// out_j = acc_j / sum_j.
void finish(const Job& job, const Pair& pair, const Partial& run) {
    const int64_t D = job.shape.head_dim;
    for (int64_t j = 0; j < job.group; ++j) {
        float* out = pair.out + j * D;
        std::memcpy(out, run.acc + j * D, sz(D) * sizeof(float));
        job.ctx.vec.scale_f32(D, 1.0f / run.sum[j], out);
    }
}

// Per-pair schedule: one thread runs every tile of a pair. mine: this thread's scratch.
void attend_pair(const Job& job, const Pair& pair, float* mine) {
    float* scores = mine;
    const Partial run = job.partial_at(mine + job.group * kAttentionTile);
    const Partial tile = job.partial_at(mine + job.group * kAttentionTile + job.partial_size);
    const int64_t n_tiles = tiles_for(pair.n_pos);
    compute_tile(job, pair, 0, scores, run);  // the first tile is the running state as is
    for (int64_t c = 1; c < n_tiles; ++c) {
        compute_tile(job, pair, c, scores, tile);
        merge(job, run, tile);
    }
    finish(job, pair, run);
}

void run_per_pair(const Job& job) {
    float* scratch = job.ctx.scratch.data();
    const int64_t n_pairs = job.n_pairs();
    job.ctx.pool.run([&](int ith, int nth) {
        float* mine = scratch + sz(ith * job.thread_size);
        for (int64_t i = ith; i < n_pairs; i += nth) attend_pair(job, job.pair(i), mine);
    });
}

// Split schedule, one wave: tiles [c0, c1) of every pair, then their merge.
void split_wave(const Job& job, int64_t c0, int64_t c1) {
    const int64_t n_pairs = job.n_pairs(), P = job.partial_size, wave = c1 - c0;
    float* scratch = job.ctx.scratch.data();
    float* runs = scratch + sz(job.ctx.pool.size() * job.thread_size);
    float* tiles = runs + sz(n_pairs * P);
    job.ctx.pool.run([&](int ith, int nth) {
        float* scores = scratch + sz(ith * job.thread_size);
        const auto [begin, end] = kernels::ThreadPool::split(n_pairs * wave, ith, nth);
        for (int64_t i = begin; i < end; ++i) {
            const Pair pair = job.pair(i / wave);
            const int64_t c = c0 + i % wave;
            if (c >= tiles_for(pair.n_pos)) continue;  // an earlier token sees fewer positions
            compute_tile(job, pair, c, scores, job.partial_at(tiles + i * P));
        }
    });
    job.ctx.pool.run([&](int ith, int nth) {
        const auto [begin, end] = kernels::ThreadPool::split(n_pairs, ith, nth);
        for (int64_t i = begin; i < end; ++i) {
            const Pair pair = job.pair(i);
            const int64_t n_tiles = tiles_for(pair.n_pos);
            if (c0 >= n_tiles) continue;
            float* run_base = runs + i * P;
            for (int64_t c = c0; c < std::min(c1, n_tiles); ++c) {
                float* tile_base = tiles + (i * wave + c - c0) * P;
                if (c == 0) {
                    std::memcpy(run_base, tile_base, sz(P) * sizeof(float));
                } else {
                    merge(job, job.partial_at(run_base), job.partial_at(tile_base));
                }
            }
            if (c1 >= n_tiles) finish(job, pair, job.partial_at(run_base));
        }
    });
}

}  // namespace

void paged_attention(const AttentionShape& shape, const AttentionChunk& chunk, int64_t il,
                     const AttentionContext& ctx) {
    const int64_t group = shape.n_head / shape.n_head_kv;
    const int64_t partial_size = group * (shape.head_dim + 2);
    const Job job{.shape = shape,
                  .chunk = chunk,
                  .ctx = ctx,
                  .il = il,
                  .group = group,
                  .partial_size = partial_size,
                  .thread_size = group * kAttentionTile + 2 * partial_size};
    const int nth = ctx.pool.size();
    const int64_t n_pairs = job.n_pairs();
    const bool split = n_pairs < nth;
    int64_t need = nth * job.thread_size;
    if (split) need += n_pairs * partial_size * (1 + kSplitWaveTiles);
    if (ctx.scratch.size() < sz(need)) ctx.scratch.resize(sz(need));
    if (!split) {
        run_per_pair(job);
        return;
    }
    const int64_t n_tiles = tiles_for(chunk.pos0 + chunk.n_tokens);  // the last token's
    for (int64_t c0 = 0; c0 < n_tiles; c0 += kSplitWaveTiles) {
        split_wave(job, c0, std::min(c0 + kSplitWaveTiles, n_tiles));
    }
}

}  // namespace glmserve::model
