// Seeded random models: the hyper-parameters and weights that `glmserve make-model`, the demo
// model and the tests' tiny models are made of.
//
// Weights are N(0, 1/sqrt(n_in)) from a portable generator (splitmix64 + Box-Muller, not
// std::normal_distribution, whose output differs between standard libraries), so a seed gives
// the same file on every machine. Norm weights are near 1; biases small. 2-D weights are stored
// as spec.type (falling back like quantize does when a row length does not divide into blocks);
// norms and biases stay F32. The vocabulary is written by the caller (tokenizer module), which
// also fixes n_vocab.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "gguf/tensor_type.h"
#include "gguf/writer.h"
#include "kernels/kernel_table.h"
#include "model/hparams.h"

namespace glmserve::model {

struct RandomModelSpec {
    Arch arch = Arch::Glm4;
    int64_t n_vocab = 0;
    int64_t n_embd = 256;
    int64_t n_layer = 2;
    int64_t n_head = 4;
    int64_t n_head_kv = 2;
    int64_t n_ff = 512;
    int64_t n_ctx = 2048;
    int64_t n_rot = 0;  // 0: half the head for glm4/chatglm, the whole head for llama
    float rope_freq_base = 10000.0f;
    float rms_eps = 1e-5f;
    // glm4 only: non-zero makes the file a GLM-4.1V-style M-RoPE model, written as its converter
    // writes one (rope.dimension_sections, each head's rotary q/k rows permuted to half-split
    // order), so that it computes what the same weights without sections compute.
    RopeSections rope_sections{};
    bool qkv_bias = true;  // ignored for llama (no biases)
    bool tied_output = false;
    gguf::TensorType type = gguf::TensorType::F32;
    uint64_t seed = 1;
    std::string name = "glmserve-random";
};

// Named shapes: "tiny" (64 wide, 2 layers), "small" (256 wide like ../shared/golden),
// "demo" (the built-in demo model), "glm4-9b" (GLM-4-9B-0414 layer shapes: 4096 hidden,
// 13696 FFN, 32 heads, 2 KV heads; use with few layers), "glm4v-9b" (the same with GLM-4.1V's
// M-RoPE: the text tower of GLM-4.1V-9B and AutoGLM-Phone-9B), "chatglm-9b" (glm-4-9b-chat
// shapes).
Result<RandomModelSpec> random_model_preset(std::string_view name);
std::vector<std::string_view> random_model_preset_names();

// Writes `<arch>.*` hyper-parameters, general.* keys and every tensor into `writer`.
Status add_random_model(const RandomModelSpec& spec, const kernels::KernelTable& table,
                        gguf::GgufWriter& writer);

// A deterministic stream of normal variates (shared with tests that need random tensors).
class SeededNormal {
public:
    explicit SeededNormal(uint64_t seed) : state_(seed) {}
    float next();

private:
    uint64_t next_u64();
    uint64_t state_;
    bool has_spare_ = false;
    float spare_ = 0.0f;
};

// general.file_type (llama_ftype) for a file whose big matrices are `type`.
uint32_t file_type_for(gguf::TensorType type);

// The type a 2-D weight with rows of n_in values gets when `wanted` is requested: wanted itself
// when n_in divides into its blocks, else the fallback GGUF quantizers use (Q4_K→Q5_0,
// Q5_K→Q5_1, Q6_K→Q8_0, a 32-block type→F16).
gguf::TensorType storage_type_for(gguf::TensorType wanted, int64_t n_in);

}  // namespace glmserve::model
