#include "model/hparams.h"

#include <fmt/format.h>

#include <cmath>

namespace glmserve::model {
namespace {

// Reads `<arch>.<name>` as a positive count; `fallback` < 0 means the key is required.
Result<int64_t> read_count(const gguf::Metadata& md, const std::string& prefix,
                           std::string_view name, int64_t fallback) {
    const std::string key = prefix + std::string(name);
    if (!md.contains(key)) {
        if (fallback < 0) return data_loss(fmt::format("missing required metadata key '{}'", key));
        return fallback;
    }
    auto value = md.get_u32(key);
    if (!value.ok()) return value.status();
    if (*value == 0) return data_loss(fmt::format("metadata key '{}' must be > 0", key));
    return static_cast<int64_t>(*value);
}

// rope.dimension_sections: 4 non-negative pair counts. As in the GGUF runtimes, the key switches
// glm4 to M-RoPE only when the first two sections are non-zero (otherwise it is ignored and the
// result is all 0). Their sum must cover the rotary pairs exactly: a file whose sections do not
// describe its n_rot / 2 pairs was not made by the GLM-4.1V converter.
Result<RopeSections> read_rope_sections(const gguf::Metadata& md, const std::string& prefix,
                                        const HParams& hp) {
    const std::string key = prefix + "rope.dimension_sections";
    RopeSections sections{};
    // The count first: a hostile file's array may be huge, and nothing needs it read.
    GS_ASSIGN_OR_RETURN(const uint64_t count, md.get_array_size(key));
    if (count != sections.size()) {
        return data_loss(
            fmt::format("{} must have {} elements, has {}", key, sections.size(), count));
    }
    GS_ASSIGN_OR_RETURN(const std::vector<int64_t> values, md.get_int_array(key));
    int64_t sum = 0;
    for (size_t i = 0; i < sections.size(); ++i) {
        if (values[i] < 0 || values[i] > hp.n_rot) {
            return data_loss(fmt::format("{}[{}] = {} is outside 0..{} (the rotary dims)", key, i,
                                         values[i], hp.n_rot));
        }
        sections[i] = values[i];
        sum += values[i];
    }
    if (sections[0] == 0 || sections[1] == 0) return RopeSections{};
    if (hp.arch != Arch::Glm4) {
        return unimplemented(
            fmt::format("M-RoPE ({}) is supported for glm4 only, not {}", key, arch_name(hp.arch)));
    }
    if (2 * sum != hp.n_rot) {
        return data_loss(
            fmt::format("{} [{}] covers {} rotary pairs; rope.dimension_count {} has {}", key,
                        fmt::join(sections, ", "), sum, hp.n_rot, hp.n_rot / 2));
    }
    return sections;
}

Status validate(const HParams& hp) {
    if (hp.n_head % hp.n_head_kv != 0) {
        return data_loss(
            fmt::format("attention.head_count {} is not a multiple of head_count_kv {}", hp.n_head,
                        hp.n_head_kv));
    }
    if (hp.n_rot <= 0 || hp.n_rot % 2 != 0 || hp.n_rot > hp.n_embd_head) {
        return data_loss(
            fmt::format("rope.dimension_count {} must be even and within the head "
                        "dimension {}",
                        hp.n_rot, hp.n_embd_head));
    }
    if (!(hp.rms_eps > 0.0f) || !std::isfinite(hp.rms_eps)) {
        return data_loss("attention.layer_norm_rms_epsilon must be a positive finite number");
    }
    if (!(hp.rope_freq_base > 0.0f) || !std::isfinite(hp.rope_freq_base)) {
        return data_loss("rope.freq_base must be a positive finite number");
    }
    return ok_status();
}

}  // namespace

std::string_view arch_name(Arch arch) {
    switch (arch) {
        case Arch::Glm4: return "glm4";
        case Arch::ChatGlm: return "chatglm";
        case Arch::Llama: return "llama";
    }
    return "?";
}

Result<Arch> parse_arch(std::string_view name) {
    if (name == "glm4") return Arch::Glm4;
    if (name == "chatglm") return Arch::ChatGlm;
    if (name == "llama") return Arch::Llama;
    return unimplemented(
        fmt::format("unsupported model architecture '{}' (supported: glm4, chatglm, llama)", name));
}

Result<HParams> read_hparams(const gguf::Metadata& md, std::string* warnings) {
    HParams hp;
    GS_ASSIGN_OR_RETURN(const std::string_view arch_str, md.get_string("general.architecture"));
    GS_ASSIGN_OR_RETURN(hp.arch, parse_arch(arch_str));
    const std::string prefix = std::string(arch_str) + ".";

    GS_ASSIGN_OR_RETURN(hp.n_ctx_train, read_count(md, prefix, "context_length", -1));
    GS_ASSIGN_OR_RETURN(hp.n_embd, read_count(md, prefix, "embedding_length", -1));
    GS_ASSIGN_OR_RETURN(hp.n_layer, read_count(md, prefix, "block_count", -1));
    GS_ASSIGN_OR_RETURN(hp.n_ff, read_count(md, prefix, "feed_forward_length", -1));
    GS_ASSIGN_OR_RETURN(hp.n_head, read_count(md, prefix, "attention.head_count", -1));
    GS_ASSIGN_OR_RETURN(hp.n_head_kv, read_count(md, prefix, "attention.head_count_kv", hp.n_head));
    if (hp.n_embd % hp.n_head != 0 && !md.contains(prefix + "attention.key_length")) {
        return data_loss(fmt::format("embedding_length {} is not a multiple of head_count {}",
                                     hp.n_embd, hp.n_head));
    }
    GS_ASSIGN_OR_RETURN(hp.n_embd_head,
                        read_count(md, prefix, "attention.key_length", hp.n_embd / hp.n_head));
    GS_ASSIGN_OR_RETURN(const int64_t n_embd_head_v,
                        read_count(md, prefix, "attention.value_length", hp.n_embd_head));
    if (n_embd_head_v != hp.n_embd_head) {
        return unimplemented("attention.value_length different from key_length is not supported");
    }

    const bool is_glm = hp.arch != Arch::Llama;
    if (is_glm && !md.contains(prefix + "rope.dimension_count") && warnings != nullptr) {
        // Early GLM-4-0414 conversions lack the key; half the head reproduces the HF model
        // (../shared/reference/glm-gguf.md §3.2.3).
        *warnings += fmt::format("{}rope.dimension_count missing: rotating half the head ({})\n",
                                 prefix, hp.n_embd_head / 2);
    }
    GS_ASSIGN_OR_RETURN(hp.n_rot, read_count(md, prefix, "rope.dimension_count",
                                             is_glm ? hp.n_embd_head / 2 : hp.n_embd_head));

    GS_ASSIGN_OR_RETURN(const double eps,
                        md.get_float(prefix + "attention.layer_norm_rms_epsilon"));
    hp.rms_eps = static_cast<float>(eps);
    GS_ASSIGN_OR_RETURN(const double base, md.get_float_or(prefix + "rope.freq_base", 10000.0));
    hp.rope_freq_base = static_cast<float>(base);
    GS_ASSIGN_OR_RETURN(const double scale, md.get_float_or(prefix + "attention.scale", 0.0));
    hp.attn_scale = scale > 0.0 ? static_cast<float>(scale)
                                : 1.0f / std::sqrt(static_cast<float>(hp.n_embd_head));

    if (md.contains(prefix + "rope.dimension_sections")) {
        GS_ASSIGN_OR_RETURN(hp.rope_sections, read_rope_sections(md, prefix, hp));
        if (hp.mrope()) hp.rope_style = RopeStyle::Neox;
    }
    if (md.contains(prefix + "rope.scaling.type")) {
        GS_ASSIGN_OR_RETURN(const std::string_view scaling,
                            md.get_string(prefix + "rope.scaling.type"));
        if (scaling != "none") {
            GS_ASSIGN_OR_RETURN(const double factor,
                                md.get_float_or(prefix + "rope.scaling.factor", 1.0));
            if (factor != 1.0 && factor != 0.0) {
                return unimplemented(
                    fmt::format("rope scaling '{}' (factor {}) is not supported", scaling, factor));
            }
        }
    }
    GS_RETURN_IF_ERROR(validate(hp));
    return hp;
}

}  // namespace glmserve::model
