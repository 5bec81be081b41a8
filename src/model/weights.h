// The decoder's weights, bound by name from a GGUF file, with shapes checked at load.
//
// Matrices stay in the mapped file (kernels::WeightMatrix views; owner: the Model's GgufFile).
// Norm weights and biases are small, so they are converted to owned f32 vectors once.
// Which optional tensors exist sets the architecture knobs (fused QKV, QKV bias, sandwich
// norms, fused gate+up, tied output). A missing or mis-shaped tensor, or one the decoder would
// not use, is a DataLoss error naming it.
#pragma once

#include <cstdint>
#include <vector>

#include "common/status.h"
#include "gguf/reader.h"
#include "kernels/kernel_table.h"
#include "kernels/matmul.h"
#include "model/hparams.h"

namespace glmserve::model {

using kernels::WeightMatrix;

struct ArchKnobs {
    bool fused_qkv = false;  // one attn_qkv [E, Hq·D + 2·Hkv·D]: Q rows, then K, then V
    bool qkv_bias = false;
    bool attn_output_bias = false;
    bool post_norms = false;     // glm4 sandwich norms after attention and after the FFN
    bool fused_gate_up = false;  // ffn_up [E, 2F] with the gate in the first half
    bool tied_output = false;    // no output.weight: the lm head is token_embd
};

struct LayerWeights {
    std::vector<float> attn_norm;       // [E]
    WeightMatrix wq, wk, wv;            // separate Q/K/V (when !fused_qkv)
    WeightMatrix wqkv;                  // fused (when fused_qkv)
    std::vector<float> bq, bk, bv;      // [Hq·D], [Hkv·D], [Hkv·D]; empty without bias
    WeightMatrix wo;                    // [Hq·D -> E]
    std::vector<float> bo;              // [E] or empty
    std::vector<float> post_attn_norm;  // [E] (glm4)
    std::vector<float> ffn_norm;        // [E]
    WeightMatrix ffn_up;                // [E -> 2F] fused, or [E -> F]
    WeightMatrix ffn_gate;              // [E -> F] (when !fused_gate_up)
    WeightMatrix ffn_down;              // [F -> E]
    std::vector<float> post_ffn_norm;   // [E] (glm4)
};

struct ModelWeights {
    ArchKnobs knobs;
    WeightMatrix token_embd;         // [E, V]: row v is token v's embedding
    std::vector<float> output_norm;  // [E]
    WeightMatrix output;             // [E -> V] (token_embd when tied)
    std::vector<LayerWeights> layers;
};

// Binds every tensor; sets hp.n_vocab from token_embd. Uses `table` to convert non-f32 norms.
Result<ModelWeights> bind_weights(const gguf::GgufFile& file, HParams& hp,
                                  const kernels::KernelTable& table);

}  // namespace glmserve::model
