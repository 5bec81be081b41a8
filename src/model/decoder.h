// Decoder: the one forward pass for glm4, chatglm and llama, steered by ArchKnobs.
//
// forward() runs a batch of sequence chunks through every layer (../shared/reference/
// glm-gguf.md §3.2.2, §3.3.2, §3.4):
//   x = token_embd[token]
//   per layer: h = RMSNorm(x); q,k,v = W·h (+b); RoPE(q,k); store k,v in the paged pool;
//              a = causal GQA attention; o = Wo·a; [glm4: o = RMSNorm(o)]; x += o
//              h = RMSNorm(x); f = Wdown·SwiGLU(Wup·h [, Wgate·h]); [glm4: f = RMSNorm(f)]; x += f
//   logits = Woutput · RMSNorm(x)
// Tokens of all chunks share the matmuls (the batching the serving issue builds on); attention
// runs per chunk over its own block table. Buffers are sized once for max_batch_tokens, so a
// step does not allocate once warm.
// Thread: one caller at a time (the engine's scheduler thread); kernels use the thread pool.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/status.h"
#include "kernels/kernel_table.h"
#include "kernels/matmul.h"
#include "kernels/thread_pool.h"
#include "model/model.h"
#include "model/paged_kv.h"

namespace glmserve::model {

enum class LogitsMode { None, Last, All };

struct SequenceChunk {
    std::span<const int32_t> tokens;     // new tokens of one sequence
    int64_t pos0 = 0;                    // position of tokens[0]
    const BlockTable* blocks = nullptr;  // must cover pos0 + tokens.size() positions
    LogitsMode logits = LogitsMode::Last;
};

struct DecoderConfig {
    int64_t max_batch_tokens = 512;  // tokens per forward() over all chunks
};

class Decoder {
public:
    Decoder(std::shared_ptr<const Model> model, const kernels::KernelTable& table,
            kernels::ThreadPool& pool, DecoderConfig config);

    const Model& model() const { return *model_; }
    int64_t max_batch_tokens() const { return config_.max_batch_tokens; }

    // logits is resized to [rows, n_vocab], rows in chunk order (all of a chunk's positions
    // for All, its last for Last, none for None). InvalidArgument for bad token ids, too many
    // tokens or a block table that does not cover the chunk.
    Status forward(std::span<const SequenceChunk> chunks, KvPool& kv, std::vector<float>& logits);

private:
    Status validate(std::span<const SequenceChunk> chunks, const KvPool& kv) const;
    void embed(std::span<const SequenceChunk> chunks);
    void attention_block(const LayerWeights& lw, int64_t il, std::span<const SequenceChunk> chunks,
                         KvPool& kv);
    void ffn_block(const LayerWeights& lw);
    void project_qkv(const LayerWeights& lw);
    void store_kv(int64_t il, std::span<const SequenceChunk> chunks, KvPool& kv);
    void keep_logit_rows(std::span<const SequenceChunk> chunks);
    void compute_logits(std::vector<float>& logits);
    void matmul(const kernels::WeightMatrix& w, const float* x, int64_t n_rows, float* y);

    std::shared_ptr<const Model> model_;
    const kernels::KernelTable& table_;
    kernels::ThreadPool& pool_;
    DecoderConfig config_;
    kernels::MatmulScratch matmul_scratch_;

    // Activations of the current step, [n_tokens, width] row-major. In the last layer, from its
    // output projection on, only the rows that need logits (keep_logit_rows).
    int64_t n_tokens_ = 0;
    std::vector<float> x_;          // residual stream [T, E]
    std::vector<float> h_;          // normed input [T, E]
    std::vector<float> qkv_;        // fused projection [T, Hq·D + 2·Hkv·D]
    std::vector<float> q_, k_, v_;  // [T, Hq·D], [T, Hkv·D], [T, Hkv·D]
    std::vector<float> attn_;       // [T, Hq·D]
    std::vector<float> proj_;       // sublayer output [T, E]
    std::vector<float> up_;         // [T, 2F] (or [T, F] with a separate gate)
    std::vector<float> gate_;       // [T, F]
    std::vector<float> act_;        // [T, F]
    std::vector<int64_t> pos_;      // position of each token
    std::vector<float> scores_;     // attention scratch, per thread
};

}  // namespace glmserve::model
