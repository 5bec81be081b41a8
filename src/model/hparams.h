// Hyper-parameters of a decoder, read from GGUF metadata, and the architecture knobs that
// steer the single decoder implementation (STYLE.md §12.6: one decoder with knobs).
//
// Keys are `<arch>.<name>` as in ../shared/reference/glm-gguf.md §1.6. Knobs that depend on
// which tensors exist (QKV bias, fused QKV, post-norms, tied output) are set by weights.cpp.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "gguf/metadata.h"

namespace glmserve::model {

enum class Arch { Glm4, ChatGlm, Llama };

std::string_view arch_name(Arch arch);
Result<Arch> parse_arch(std::string_view name);

enum class RopeStyle {
    Norm,  // rotate interleaved pairs (v[2k], v[2k+1]): glm4 text, chatglm, llama GGUFs
    Neox,  // rotate half-split pairs (v[k], v[k + n_rot/2]): glm4 with M-RoPE (GLM-4.1V)
};

// M-RoPE (GLM-4.1V, AutoGLM-Phone-9B: ../shared/reference/glm-gguf.md §3.2.4) gives each token
// a (t, h, w) position and rotates pair k by the component its section names: t for the first
// sections[0] pairs, h for the next sections[1], w for the next sections[2]. Text tokens have
// t = h = w = their index, so for text M-RoPE is plain RoPE with Neox pairing (the converter
// permuted each head's q/k rows so that Neox pairs are the model's interleaved pairs). The
// sections are kept for the image path, whose tokens get distinct components.
using RopeSections = std::array<int64_t, 4>;

struct HParams {
    Arch arch = Arch::Glm4;
    int64_t n_vocab = 0;  // rows of token_embd (set from the tensor by weights.cpp)
    int64_t n_ctx_train = 0;
    int64_t n_embd = 0;
    int64_t n_layer = 0;
    int64_t n_head = 0;
    int64_t n_head_kv = 0;
    int64_t n_embd_head = 0;  // head dim (attention.key_length, default n_embd / n_head)
    int64_t n_ff = 0;         // per half when gate and up are fused
    int64_t n_rot = 0;        // rotated dims at the start of each head
    float rope_freq_base = 10000.0f;
    float rms_eps = 1e-5f;
    float attn_scale = 0.0f;  // 1/sqrt(n_embd_head) unless attention.scale is set
    RopeStyle rope_style = RopeStyle::Norm;
    RopeSections rope_sections{};  // all 0 unless M-RoPE

    bool mrope() const { return rope_sections[0] > 0; }

    int64_t n_embd_q() const { return n_head * n_embd_head; }
    int64_t n_embd_kv() const { return n_head_kv * n_embd_head; }
    int64_t n_gqa() const { return n_head / n_head_kv; }
};

// Reads and validates: counts positive, head count divisible by KV heads, n_rot even and
// within the head. Warnings (e.g. a GLM file without rope.dimension_count) go to `warnings`.
Result<HParams> read_hparams(const gguf::Metadata& md, std::string* warnings);

// Bytes of KV cache one token needs: f16 K and V in every layer (model/paged_kv.h).
inline int64_t kv_bytes_per_token(const HParams& hp) {
    return 2 * hp.n_layer * hp.n_embd_kv() * 2;
}

}  // namespace glmserve::model
