#include "model/random_model.h"

#include <fmt/format.h>

#include <cmath>
#include <functional>
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
    RandomModelSpec glm9bv = glm9b;  // GLM-4.1V-9B's config: mrope_section [8, 12, 12]
    glm9bv.n_ctx = 65536;
    glm9bv.rope_sections = {8, 12, 12, 0};
    p.push_back({"glm4v-9b", glm9bv});
    RandomModelSpec chat9b = make_spec(Arch::ChatGlm, 4096, 4, 32, 2, 13696);
    chat9b.n_ctx = 131072;
    chat9b.rope_freq_base = 5e6f;
    chat9b.rms_eps = 1.5625e-7f;
    p.push_back({"chatglm-9b", chat9b});
    return p;
}

// Where each output row goes in the file: row r of the random draw is stored as row
// row_slot(r). A 1-D tensor (a bias) has one element per output row.
using RowSlot = std::function<int64_t(int64_t)>;

// Writes one tensor of random values (or `fill` + noise for norms) in the requested type. The
// values are drawn in the same order whatever row_slot does, so a permuted tensor holds the
// same rows as an unpermuted one of the same seed.
Status add_tensor(gguf::GgufWriter& w, const kernels::KernelTable& table, const std::string& name,
                  std::vector<int64_t> ne, TensorType type, SeededNormal& rng, float scale,
                  float offset, const RowSlot& row_slot = nullptr) {
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
    const bool is_vector = ne.size() == 1;
    std::vector<float> drawn(is_vector && row_slot ? row.size() : 0);
    for (int64_t r = 0; r < n_rows; ++r) {
        for (float& v : row) v = offset + scale * rng.next();
        if (!drawn.empty()) {  // a bias: permute its elements
            drawn = row;
            for (int64_t i = 0; i < n_in; ++i) row[static_cast<size_t>(row_slot(i))] = drawn[i];
        }
        const int64_t slot = row_slot && !is_vector ? row_slot(r) : r;
        k.quantize_row(row.data(), data.data() + static_cast<uint64_t>(slot) * row_bytes, n_in);
    }
    return w.add_tensor(name, type, ne, data);
}

// The GLM-4.1V converter's order of q/k output rows (and of their biases' elements): within
// each head of head_dim rows, the rotary pairs (2i, 2i + 1) go to (i, i + n_rot / 2), so that
// the runtime's half-split (Neox) pairs are the model's interleaved ones; the pass-through rows
// stay.
RowSlot half_split_rows(int64_t head_dim, int64_t n_rot) {
    return [head_dim, n_rot](int64_t r) {
        const int64_t head = r / head_dim, d = r % head_dim;
        if (d >= n_rot) return r;
        return head * head_dim + (d % 2 == 0 ? d / 2 : n_rot / 2 + d / 2);
    };
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

int64_t rotary_dims(const RandomModelSpec& s) {
    const int64_t head_dim = s.n_embd / s.n_head;
    return s.n_rot > 0 ? s.n_rot : (s.arch == Arch::Llama ? head_dim : head_dim / 2);
}

void add_hparams(const RandomModelSpec& s, gguf::GgufWriter& w) {
    const std::string a(arch_name(s.arch));
    const int64_t n_rot = rotary_dims(s);
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
    if (s.rope_sections != RopeSections{}) {
        std::array<int32_t, 4> sections{};
        for (size_t i = 0; i < sections.size(); ++i) {
            sections[i] = static_cast<int32_t>(s.rope_sections[i]);
        }
        w.set_i32_array(a + ".rope.dimension_sections", sections);
    }
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
    const bool mrope = s.rope_sections != RopeSections{};
    if (mrope && s.arch != Arch::Glm4) {
        return invalid_argument("rope sections (M-RoPE) are a glm4 option");
    }
    add_hparams(s, w);
    SeededNormal rng(s.seed);
    const int64_t E = s.n_embd, F = s.n_ff, head_dim = E / s.n_head;
    const int64_t nq = E, nkv = s.n_head_kv * head_dim;
    auto matrix = [&](const std::string& name, int64_t n_in, int64_t n_out,
                      const RowSlot& row_slot = nullptr) {
        const float scale = 1.0f / std::sqrt(static_cast<float>(n_in));
        return add_tensor(w, table, name, {n_in, n_out}, storage_type_for(s.type, n_in), rng, scale,
                          0.0f, row_slot);
    };
    auto norm = [&](const std::string& name, int64_t n) {
        return add_tensor(w, table, name, {n}, TensorType::F32, rng, 0.05f, 1.0f);
    };
    auto bias = [&](const std::string& name, int64_t n, const RowSlot& row_slot = nullptr) {
        return add_tensor(w, table, name, {n}, TensorType::F32, rng, 0.05f, 0.0f, row_slot);
    };
    // q/k projections and biases: in the converter's half-split order for M-RoPE.
    const RowSlot qk_rows = mrope ? half_split_rows(head_dim, rotary_dims(s)) : nullptr;

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
            GS_RETURN_IF_ERROR(matrix(p + "attn_q.weight", E, nq, qk_rows));
            GS_RETURN_IF_ERROR(matrix(p + "attn_k.weight", E, nkv, qk_rows));
            GS_RETURN_IF_ERROR(matrix(p + "attn_v.weight", E, nkv));
            if (biases) {
                GS_RETURN_IF_ERROR(bias(p + "attn_q.bias", nq, qk_rows));
                GS_RETURN_IF_ERROR(bias(p + "attn_k.bias", nkv, qk_rows));
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
