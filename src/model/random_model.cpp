#include "model/random_model.h"

#include <fmt/format.h>

#include <cmath>
#include <numbers>

namespace glmserve::model {
namespace {

using gguf::TensorType;

struct Preset {
    std::string_view name;
    RandomModelSpec spec;
};

RandomModelSpec make_spec(Arch arch, int64_t n_embd, int64_t n_layer, int64_t n_head,
                          int64_t n_head_kv, int64_t n_ff) {
    RandomModelSpec s;
    s.arch = arch;
    s.n_embd = n_embd;
    s.n_layer = n_layer;
    s.n_head = n_head;
    s.n_head_kv = n_head_kv;
    s.n_ff = n_ff;
    return s;
}

std::vector<Preset> presets() {
    std::vector<Preset> p;
    p.push_back({"tiny", make_spec(Arch::Glm4, 64, 2, 4, 2, 96)});
    p.push_back({"small", make_spec(Arch::Glm4, 256, 2, 4, 2, 512)});
    p.push_back({"demo", make_spec(Arch::Glm4, 256, 4, 8, 2, 768)});
    RandomModelSpec glm9b = make_spec(Arch::Glm4, 4096, 4, 32, 2, 13696);
    glm9b.n_ctx = 32768;
    p.push_back({"glm4-9b", glm9b});
    RandomModelSpec chat9b = make_spec(Arch::ChatGlm, 4096, 4, 32, 2, 13696);
    chat9b.n_ctx = 131072;
    chat9b.rope_freq_base = 5e6f;
    chat9b.rms_eps = 1.5625e-7f;
    p.push_back({"chatglm-9b", chat9b});
    return p;
}

// Writes one tensor of random values (or `fill` + noise for norms) in the requested type.
Status add_tensor(gguf::GgufWriter& w, const kernels::KernelTable& table, const std::string& name,
                  std::vector<int64_t> ne, TensorType type, SeededNormal& rng, float scale,
                  float offset) {
    const int64_t n_in = ne[0];
    int64_t n_rows = 1;
    for (size_t i = 1; i < ne.size(); ++i) n_rows *= ne[i];
    std::vector<float> row(static_cast<size_t>(n_in));
    GS_ASSIGN_OR_RETURN(const uint64_t row_bytes, gguf::row_bytes(type, n_in));
    std::vector<uint8_t> data(static_cast<size_t>(row_bytes * static_cast<uint64_t>(n_rows)));
    const auto& k = table[type];
    if (k.quantize_row == nullptr) {
        return unimplemented(
            fmt::format("cannot write tensors of type {}", gguf::tensor_type_name(type)));
    }
    for (int64_t r = 0; r < n_rows; ++r) {
        for (float& v : row) v = offset + scale * rng.next();
        k.quantize_row(row.data(), data.data() + static_cast<uint64_t>(r) * row_bytes, n_in);
    }
    return w.add_tensor(name, type, ne, data);
}

}  // namespace

float SeededNormal::next() {
    if (has_spare_) {
        has_spare_ = false;
        return spare_;
    }
    // Box-Muller on two uniforms in (0, 1].
    const double u1 = (static_cast<double>(next_u64() >> 11) + 1.0) * 0x1.0p-53;
    const double u2 = static_cast<double>(next_u64() >> 11) * 0x1.0p-53;
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    spare_ = static_cast<float>(radius * std::sin(angle));
    has_spare_ = true;
    return static_cast<float>(radius * std::cos(angle));
}

uint64_t SeededNormal::next_u64() {
    // splitmix64 (Steele, Lea, Flood 2014).
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

Result<RandomModelSpec> random_model_preset(std::string_view name) {
    for (const Preset& p : presets()) {
        if (p.name == name) {
            RandomModelSpec spec = p.spec;
            spec.name = fmt::format("glmserve-{}", name);
            return spec;
        }
    }
    return invalid_argument(fmt::format("unknown preset '{}' (known: {})", name,
                                        fmt::join(random_model_preset_names(), ", ")));
}

std::vector<std::string_view> random_model_preset_names() {
    std::vector<std::string_view> names;
    for (const Preset& p : presets()) names.push_back(p.name);
    return names;
}

uint32_t file_type_for(TensorType type) {
    switch (type) {
        case TensorType::F32: return 0;
        case TensorType::F16: return 1;
        case TensorType::Q4_0: return 2;
        case TensorType::Q4_1: return 3;
        case TensorType::Q8_0: return 7;
        case TensorType::Q5_0: return 8;
        case TensorType::Q5_1: return 9;
        case TensorType::Q4_K: return 14;
        case TensorType::Q5_K: return 16;
        case TensorType::Q6_K: return 18;
        case TensorType::BF16: return 32;
        default: return 0;
    }
}

TensorType storage_type_for(TensorType wanted, int64_t n_in) {
    const int64_t block = gguf::tensor_type_info(wanted).block_size;
    if (n_in % block == 0) return wanted;
    switch (wanted) {
        case TensorType::Q4_K: return n_in % 32 == 0 ? TensorType::Q5_0 : TensorType::F16;
        case TensorType::Q5_K: return n_in % 32 == 0 ? TensorType::Q5_1 : TensorType::F16;
        case TensorType::Q6_K: return n_in % 32 == 0 ? TensorType::Q8_0 : TensorType::F16;
        default: return TensorType::F16;
    }
}

namespace {

void add_hparams(const RandomModelSpec& s, gguf::GgufWriter& w) {
    const std::string a(arch_name(s.arch));
    const int64_t head_dim = s.n_embd / s.n_head;
    const int64_t n_rot = s.n_rot > 0 ? s.n_rot : (s.arch == Arch::Llama ? head_dim : head_dim / 2);
    w.set_string("general.architecture", a);
    w.set_string("general.name", s.name);
    w.set_u32("general.file_type", file_type_for(s.type));
    w.set_u32("general.quantization_version", 2);
    w.set_u32(a + ".context_length", static_cast<uint32_t>(s.n_ctx));
    w.set_u32(a + ".embedding_length", static_cast<uint32_t>(s.n_embd));
    w.set_u32(a + ".block_count", static_cast<uint32_t>(s.n_layer));
    w.set_u32(a + ".feed_forward_length", static_cast<uint32_t>(s.n_ff));
    w.set_u32(a + ".attention.head_count", static_cast<uint32_t>(s.n_head));
    w.set_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(s.n_head_kv));
    w.set_f32(a + ".attention.layer_norm_rms_epsilon", s.rms_eps);
    w.set_f32(a + ".rope.freq_base", s.rope_freq_base);
    w.set_u32(a + ".rope.dimension_count", static_cast<uint32_t>(n_rot));
}

}  // namespace

Status add_random_model(const RandomModelSpec& s, const kernels::KernelTable& table,
                        gguf::GgufWriter& w) {
    if (s.n_vocab <= 0 || s.n_embd <= 0 || s.n_layer <= 0 || s.n_head <= 0 || s.n_head_kv <= 0 ||
        s.n_ff <= 0 || s.n_embd % s.n_head != 0 || s.n_head % s.n_head_kv != 0) {
        return invalid_argument(fmt::format(
            "invalid model shape: n_vocab {}, n_embd {}, n_layer {}, n_head {}, n_head_kv {}, "
            "n_ff {} (n_embd must divide by n_head, n_head by n_head_kv)",
            s.n_vocab, s.n_embd, s.n_layer, s.n_head, s.n_head_kv, s.n_ff));
    }
    add_hparams(s, w);
    SeededNormal rng(s.seed);
    const int64_t E = s.n_embd, F = s.n_ff, head_dim = E / s.n_head;
    const int64_t nq = E, nkv = s.n_head_kv * head_dim;
    auto matrix = [&](const std::string& name, int64_t n_in, int64_t n_out) {
        const float scale = 1.0f / std::sqrt(static_cast<float>(n_in));
        return add_tensor(w, table, name, {n_in, n_out}, storage_type_for(s.type, n_in), rng, scale,
                          0.0f);
    };
    auto norm = [&](const std::string& name, int64_t n) {
        return add_tensor(w, table, name, {n}, TensorType::F32, rng, 0.05f, 1.0f);
    };
    auto bias = [&](const std::string& name, int64_t n) {
        return add_tensor(w, table, name, {n}, TensorType::F32, rng, 0.05f, 0.0f);
    };

    GS_RETURN_IF_ERROR(matrix("token_embd.weight", E, s.n_vocab));
    GS_RETURN_IF_ERROR(norm("output_norm.weight", E));
    if (!s.tied_output) GS_RETURN_IF_ERROR(matrix("output.weight", E, s.n_vocab));
    const bool biases = s.qkv_bias && s.arch != Arch::Llama;
    for (int64_t il = 0; il < s.n_layer; ++il) {
        const std::string p = fmt::format("blk.{}.", il);
        GS_RETURN_IF_ERROR(norm(p + "attn_norm.weight", E));
        if (s.arch == Arch::ChatGlm) {
            GS_RETURN_IF_ERROR(matrix(p + "attn_qkv.weight", E, nq + 2 * nkv));
            if (biases) GS_RETURN_IF_ERROR(bias(p + "attn_qkv.bias", nq + 2 * nkv));
        } else {
            GS_RETURN_IF_ERROR(matrix(p + "attn_q.weight", E, nq));
            GS_RETURN_IF_ERROR(matrix(p + "attn_k.weight", E, nkv));
            GS_RETURN_IF_ERROR(matrix(p + "attn_v.weight", E, nkv));
            if (biases) {
                GS_RETURN_IF_ERROR(bias(p + "attn_q.bias", nq));
                GS_RETURN_IF_ERROR(bias(p + "attn_k.bias", nkv));
                GS_RETURN_IF_ERROR(bias(p + "attn_v.bias", nkv));
            }
        }
        GS_RETURN_IF_ERROR(matrix(p + "attn_output.weight", nq, E));
        if (s.arch == Arch::Glm4) GS_RETURN_IF_ERROR(norm(p + "post_attention_norm.weight", E));
        GS_RETURN_IF_ERROR(norm(p + "ffn_norm.weight", E));
        if (s.arch == Arch::Llama) {
            GS_RETURN_IF_ERROR(matrix(p + "ffn_gate.weight", E, F));
            GS_RETURN_IF_ERROR(matrix(p + "ffn_up.weight", E, F));
        } else {
            GS_RETURN_IF_ERROR(matrix(p + "ffn_up.weight", E, 2 * F));
        }
        GS_RETURN_IF_ERROR(matrix(p + "ffn_down.weight", F, E));
        if (s.arch == Arch::Glm4) GS_RETURN_IF_ERROR(norm(p + "post_ffw_norm.weight", E));
    }
    return ok_status();
}

}  // namespace glmserve::model
