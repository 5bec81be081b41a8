#include "model/decoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "kernels/float16.h"
#include "model/attention.h"
#include "model/ops.h"

namespace glmserve::model {
namespace {

size_t sz(int64_t n) {
    return static_cast<size_t>(n);
}

int64_t logit_rows(const SequenceChunk& c) {
    switch (c.logits) {
        case LogitsMode::None: return 0;
        case LogitsMode::Last: return 1;
        case LogitsMode::All: return static_cast<int64_t>(c.tokens.size());
    }
    return 0;
}

}  // namespace

Decoder::Decoder(std::shared_ptr<const Model> model, const kernels::KernelTable& table,
                 kernels::ThreadPool& pool, DecoderConfig config)
    : model_(std::move(model)), table_(table), pool_(pool), config_(config) {
    const HParams& hp = model_->hparams();
    const int64_t T = config_.max_batch_tokens;
    x_.resize(sz(T * hp.n_embd));
    h_.resize(sz(T * hp.n_embd));
    if (model_->weights().knobs.fused_qkv)
        qkv_.resize(sz(T * (hp.n_embd_q() + 2 * hp.n_embd_kv())));
    q_.resize(sz(T * hp.n_embd_q()));
    k_.resize(sz(T * hp.n_embd_kv()));
    v_.resize(sz(T * hp.n_embd_kv()));
    attn_.resize(sz(T * hp.n_embd_q()));
    proj_.resize(sz(T * hp.n_embd));
    const bool fused = model_->weights().knobs.fused_gate_up;
    up_.resize(sz(T * hp.n_ff * (fused ? 2 : 1)));
    if (!fused) gate_.resize(sz(T * hp.n_ff));
    act_.resize(sz(T * hp.n_ff));
    pos_.resize(sz(T));
}

Status Decoder::validate(std::span<const SequenceChunk> chunks, const KvPool& kv) const {
    const HParams& hp = model_->hparams();
    int64_t total = 0;
    for (const SequenceChunk& c : chunks) {
        if (c.tokens.empty()) return invalid_argument("a sequence chunk has no tokens");
        if (c.blocks == nullptr || c.pos0 < 0 ||
            c.blocks->capacity(kv.block_size()) < c.pos0 + static_cast<int64_t>(c.tokens.size())) {
            return invalid_argument("a sequence chunk's block table does not cover its positions");
        }
        for (int32_t id : c.tokens) {
            if (id < 0 || id >= hp.n_vocab) {
                return invalid_argument(
                    fmt::format("token id {} is out of range [0, {})", id, hp.n_vocab));
            }
        }
        total += static_cast<int64_t>(c.tokens.size());
    }
    if (total > config_.max_batch_tokens) {
        return invalid_argument(fmt::format("{} tokens in one step exceed max_batch_tokens {}",
                                            total, config_.max_batch_tokens));
    }
    return ok_status();
}

Status Decoder::forward(std::span<const SequenceChunk> chunks, KvPool& kv,
                        std::vector<float>& logits) {
    GS_RETURN_IF_ERROR(validate(chunks, kv));
    embed(chunks);
    const ModelWeights& w = model_->weights();
    for (int64_t il = 0; il < model_->hparams().n_layer; ++il) {
        const LayerWeights& lw = w.layers[sz(il)];
        attention_block(lw, il, chunks, kv);
        ffn_block(lw);
    }
    compute_logits(logits);
    return ok_status();
}

void Decoder::embed(std::span<const SequenceChunk> chunks) {
    const int64_t E = model_->hparams().n_embd;
    int64_t t = 0;
    for (const SequenceChunk& c : chunks) {
        for (size_t i = 0; i < c.tokens.size(); ++i, ++t) {
            kernels::dequantize_row(table_, model_->weights().token_embd, c.tokens[i],
                                    x_.data() + t * E);
            pos_[sz(t)] = c.pos0 + static_cast<int64_t>(i);
        }
    }
    n_tokens_ = t;
}

void Decoder::matmul(const kernels::WeightMatrix& w, const float* x, int64_t n_rows, float* y) {
    kernels::matmul(table_, w, x, n_rows, y, matmul_scratch_, pool_);
}

void Decoder::project_qkv(const LayerWeights& lw) {
    const HParams& hp = model_->hparams();
    const int64_t T = n_tokens_, nq = hp.n_embd_q(), nkv = hp.n_embd_kv();
    if (model_->weights().knobs.fused_qkv) {
        // qkv: [T, nq + 2·nkv] with Q, K, V side by side in each row.
        const int64_t width = nq + 2 * nkv;
        matmul(lw.wqkv, h_.data(), T, qkv_.data());
        for (int64_t t = 0; t < T; ++t) {
            const float* row = qkv_.data() + t * width;
            std::memcpy(q_.data() + t * nq, row, sz(nq) * sizeof(float));
            std::memcpy(k_.data() + t * nkv, row + nq, sz(nkv) * sizeof(float));
            std::memcpy(v_.data() + t * nkv, row + nq + nkv, sz(nkv) * sizeof(float));
        }
    } else {
        // One conversion of h and one fork-join for all three (matmul.h: same bits as three
        // matmuls).
        const kernels::MatmulJob jobs[] = {{.w = &lw.wq, .y = q_.data()},
                                           {.w = &lw.wk, .y = k_.data()},
                                           {.w = &lw.wv, .y = v_.data()}};
        kernels::matmul_many(table_, jobs, h_.data(), T, matmul_scratch_, pool_);
    }
    if (!lw.bq.empty()) {
        ops::add_bias(table_.vec, q_.data(), lw.bq, T);
        ops::add_bias(table_.vec, k_.data(), lw.bk, T);
        ops::add_bias(table_.vec, v_.data(), lw.bv, T);
    }
    // One position per token: for M-RoPE files the text tokens' t, h and w components are all
    // this index, so the Neox rotation by it is the whole of M-RoPE (hparams.h).
    for (int64_t t = 0; t < T; ++t) {
        ops::rope(q_.data() + t * nq, hp.n_head, hp.n_embd_head, hp.n_rot, pos_[sz(t)],
                  hp.rope_freq_base, hp.rope_style);
        ops::rope(k_.data() + t * nkv, hp.n_head_kv, hp.n_embd_head, hp.n_rot, pos_[sz(t)],
                  hp.rope_freq_base, hp.rope_style);
    }
}

void Decoder::store_kv(int64_t il, std::span<const SequenceChunk> chunks, KvPool& kv) {
    const int64_t nkv = model_->hparams().n_embd_kv();
    const int32_t bs = kv.block_size();
    int64_t t = 0;
    for (const SequenceChunk& c : chunks) {
        for (size_t i = 0; i < c.tokens.size(); ++i, ++t) {
            const int64_t p = c.pos0 + static_cast<int64_t>(i);
            const int32_t block = c.blocks->blocks[sz(p / bs)];
            const auto slot = static_cast<int32_t>(p % bs);
            uint16_t* k_dst = kv.k_row(block, il, slot);
            uint16_t* v_dst = kv.v_row(block, il, slot);
            for (int64_t d = 0; d < nkv; ++d) {
                k_dst[d] = kernels::fp32_to_fp16(k_[sz(t * nkv + d)]);
                v_dst[d] = kernels::fp32_to_fp16(v_[sz(t * nkv + d)]);
            }
        }
    }
}

void Decoder::attention_block(const LayerWeights& lw, int64_t il,
                              std::span<const SequenceChunk> chunks, KvPool& kv) {
    const HParams& hp = model_->hparams();
    const int64_t T = n_tokens_, E = hp.n_embd, nq = hp.n_embd_q();
    ops::rms_norm(table_.vec, lw.attn_norm, hp.rms_eps, x_.data(), h_.data(), T);
    project_qkv(lw);
    store_kv(il, chunks, kv);

    const AttentionShape shape{.n_head = hp.n_head,
                               .n_head_kv = hp.n_head_kv,
                               .head_dim = hp.n_embd_head,
                               .scale = hp.attn_scale};
    const AttentionContext ctx{.vec = table_.vec, .kv = kv, .pool = pool_, .scratch = scores_};
    int64_t t0 = 0;
    for (const SequenceChunk& c : chunks) {
        const AttentionChunk ac{.q = q_.data() + t0 * nq,
                                .out = attn_.data() + t0 * nq,
                                .n_tokens = static_cast<int64_t>(c.tokens.size()),
                                .pos0 = c.pos0,
                                .blocks = c.blocks};
        paged_attention(shape, ac, il, ctx);
        t0 += ac.n_tokens;
    }

    if (il == hp.n_layer - 1) keep_logit_rows(chunks);
    const int64_t T_out = n_tokens_;
    matmul(lw.wo, attn_.data(), T_out, proj_.data());
    if (!lw.bo.empty()) ops::add_bias(table_.vec, proj_.data(), lw.bo, T_out);
    if (!lw.post_attn_norm.empty()) {
        ops::rms_norm(table_.vec, lw.post_attn_norm, hp.rms_eps, proj_.data(), proj_.data(), T_out);
    }
    ops::add_in_place(table_.vec, x_.data(), proj_.data(), T_out * E);
}

// The last layer's output feeds nothing but the logits, so once its attention has run (its K
// and V are in the cache by then) the rows that need no logits are dropped: its output
// projection and FFN then run on a prompt chunk's last token instead of all of them, as GGUF
// runtimes do. Keeps x_'s and attn_'s rows that need logits, in chunk order, at the front. Each
// kept row's values are what they would have been (matmul and the row ops compute every row
// independently of the others).
void Decoder::keep_logit_rows(std::span<const SequenceChunk> chunks) {
    const HParams& hp = model_->hparams();
    const int64_t E = hp.n_embd, nq = hp.n_embd_q();
    int64_t t0 = 0, kept = 0;
    for (const SequenceChunk& c : chunks) {
        const auto n = static_cast<int64_t>(c.tokens.size());
        for (int64_t i = n - logit_rows(c); i < n; ++i, ++kept) {
            const int64_t t = t0 + i;  // kept <= t: rows move towards the front only
            if (t == kept) continue;
            std::memcpy(x_.data() + kept * E, x_.data() + t * E, sz(E) * sizeof(float));
            std::memcpy(attn_.data() + kept * nq, attn_.data() + t * nq, sz(nq) * sizeof(float));
        }
        t0 += n;
    }
    n_tokens_ = kept;
}

void Decoder::ffn_block(const LayerWeights& lw) {
    const HParams& hp = model_->hparams();
    const int64_t T = n_tokens_, E = hp.n_embd, F = hp.n_ff;
    ops::rms_norm(table_.vec, lw.ffn_norm, hp.rms_eps, x_.data(), h_.data(), T);
    if (model_->weights().knobs.fused_gate_up) {
        matmul(lw.ffn_up, h_.data(), T, up_.data());
        ops::swiglu_fused(table_.vec, up_.data(), act_.data(), T, F);
    } else {
        // gate and up read the same h: one conversion, one fork-join.
        const kernels::MatmulJob jobs[] = {{.w = &lw.ffn_gate, .y = gate_.data()},
                                           {.w = &lw.ffn_up, .y = up_.data()}};
        kernels::matmul_many(table_, jobs, h_.data(), T, matmul_scratch_, pool_);
        ops::swiglu(table_.vec, gate_.data(), up_.data(), act_.data(), T * F);
    }
    matmul(lw.ffn_down, act_.data(), T, proj_.data());
    if (!lw.post_ffn_norm.empty()) {
        ops::rms_norm(table_.vec, lw.post_ffn_norm, hp.rms_eps, proj_.data(), proj_.data(), T);
    }
    ops::add_in_place(table_.vec, x_.data(), proj_.data(), T * E);
}

void Decoder::compute_logits(std::vector<float>& logits) {
    const HParams& hp = model_->hparams();
    // x_'s first n_tokens_ rows are the rows that need logits (keep_logit_rows), so the large
    // lm-head matmul runs only on those.
    const int64_t rows = n_tokens_;
    logits.resize(sz(rows * hp.n_vocab));
    if (rows == 0) return;
    ops::rms_norm(table_.vec, model_->weights().output_norm, hp.rms_eps, x_.data(), h_.data(),
                  rows);
    matmul(model_->weights().output, h_.data(), rows, logits.data());
}

}  // namespace glmserve::model
