#include "model/weights.h"

#include <fmt/format.h>

#include <set>
#include <string>

namespace glmserve::model {
namespace {

// Looks tensors up by name, checks shapes, and remembers what was used so that leftovers can be
// reported (a tensor the decoder ignores would silently change the model).
class TensorBinder {
public:
    TensorBinder(const gguf::GgufFile& file, const kernels::KernelTable& table)
        : file_(file), table_(table) {}

    bool has(const std::string& name) const { return file_.find_tensor(name) != nullptr; }

    Result<WeightMatrix> matrix(const std::string& name, int64_t n_in, int64_t n_out) {
        GS_ASSIGN_OR_RETURN(const gguf::TensorInfo* t, find(name));
        if (t->n_dims != 2 || t->ne[0] != n_in || t->ne[1] != n_out) {
            return data_loss(fmt::format("tensor '{}' has shape {}, expected [{}, {}]", name,
                                         t->shape_string(), n_in, n_out));
        }
        if (!kernels::can_matmul(table_, t->type)) {
            return unimplemented(
                fmt::format("tensor '{}' has type {}, which this build cannot "
                            "multiply",
                            name, gguf::tensor_type_name(t->type)));
        }
        return WeightMatrix{.type = t->type,
                            .data = t->data.data(),
                            .n_in = n_in,
                            .n_out = n_out,
                            .row_bytes = t->row_bytes()};
    }

    // A 1-D tensor (norm weight or bias) converted to f32.
    Result<std::vector<float>> vector(const std::string& name, int64_t n) {
        GS_ASSIGN_OR_RETURN(const gguf::TensorInfo* t, find(name));
        if (t->n_dims != 1 || t->ne[0] != n) {
            return data_loss(
                fmt::format("tensor '{}' has shape {}, expected [{}]", name, t->shape_string(), n));
        }
        const auto& k = table_[t->type];
        if (!k.supported || k.dequantize_row == nullptr) {
            return unimplemented(fmt::format("tensor '{}' has unsupported type {}", name,
                                             gguf::tensor_type_name(t->type)));
        }
        std::vector<float> out(static_cast<size_t>(n));
        k.dequantize_row(t->data.data(), out.data(), n);
        return out;
    }

    Result<std::vector<float>> optional_vector(const std::string& name, int64_t n) {
        if (!has(name)) return std::vector<float>{};
        return vector(name, n);
    }

    // Every tensor in the file must have been bound.
    Status check_all_used() const {
        for (const auto& t : file_.tensors()) {
            if (used_.count(std::string(t.name)) == 0) {
                return data_loss(
                    fmt::format("unexpected tensor '{}' for this architecture", t.name));
            }
        }
        return ok_status();
    }

private:
    Result<const gguf::TensorInfo*> find(const std::string& name) {
        const gguf::TensorInfo* t = file_.find_tensor(name);
        if (t == nullptr) return data_loss(fmt::format("missing tensor '{}'", name));
        used_.insert(name);
        return t;
    }

    const gguf::GgufFile& file_;
    const kernels::KernelTable& table_;
    std::set<std::string> used_;
};

ArchKnobs detect_knobs(const TensorBinder& b, const HParams& hp) {
    ArchKnobs k;
    k.fused_qkv = b.has("blk.0.attn_qkv.weight");
    k.qkv_bias = b.has(k.fused_qkv ? "blk.0.attn_qkv.bias" : "blk.0.attn_q.bias");
    k.attn_output_bias = b.has("blk.0.attn_output.bias");
    k.post_norms = hp.arch == Arch::Glm4;
    k.fused_gate_up = hp.arch != Arch::Llama;
    k.tied_output = !b.has("output.weight");
    return k;
}

Status bind_attention(TensorBinder& b, const HParams& hp, const ArchKnobs& k, const std::string& p,
                      LayerWeights& l) {
    const int64_t E = hp.n_embd, nq = hp.n_embd_q(), nkv = hp.n_embd_kv();
    if (k.fused_qkv) {
        GS_ASSIGN_OR_RETURN(l.wqkv, b.matrix(p + "attn_qkv.weight", E, nq + 2 * nkv));
        if (k.qkv_bias) {
            GS_ASSIGN_OR_RETURN(std::vector<float> bqkv,
                                b.vector(p + "attn_qkv.bias", nq + 2 * nkv));
            l.bq.assign(bqkv.begin(), bqkv.begin() + nq);
            l.bk.assign(bqkv.begin() + nq, bqkv.begin() + nq + nkv);
            l.bv.assign(bqkv.begin() + nq + nkv, bqkv.end());
        }
    } else {
        GS_ASSIGN_OR_RETURN(l.wq, b.matrix(p + "attn_q.weight", E, nq));
        GS_ASSIGN_OR_RETURN(l.wk, b.matrix(p + "attn_k.weight", E, nkv));
        GS_ASSIGN_OR_RETURN(l.wv, b.matrix(p + "attn_v.weight", E, nkv));
        if (k.qkv_bias) {
            GS_ASSIGN_OR_RETURN(l.bq, b.vector(p + "attn_q.bias", nq));
            GS_ASSIGN_OR_RETURN(l.bk, b.vector(p + "attn_k.bias", nkv));
            GS_ASSIGN_OR_RETURN(l.bv, b.vector(p + "attn_v.bias", nkv));
        }
    }
    GS_ASSIGN_OR_RETURN(l.wo, b.matrix(p + "attn_output.weight", nq, E));
    if (k.attn_output_bias) {
        GS_ASSIGN_OR_RETURN(l.bo, b.vector(p + "attn_output.bias", E));
    }
    return ok_status();
}

Status bind_layer(TensorBinder& b, const HParams& hp, const ArchKnobs& k, int64_t il,
                  LayerWeights& l) {
    const std::string p = fmt::format("blk.{}.", il);
    const int64_t E = hp.n_embd, F = hp.n_ff;
    GS_ASSIGN_OR_RETURN(l.attn_norm, b.vector(p + "attn_norm.weight", E));
    GS_RETURN_IF_ERROR(bind_attention(b, hp, k, p, l));
    GS_ASSIGN_OR_RETURN(l.ffn_norm, b.vector(p + "ffn_norm.weight", E));
    if (k.fused_gate_up) {
        GS_ASSIGN_OR_RETURN(l.ffn_up, b.matrix(p + "ffn_up.weight", E, 2 * F));
    } else {
        GS_ASSIGN_OR_RETURN(l.ffn_gate, b.matrix(p + "ffn_gate.weight", E, F));
        GS_ASSIGN_OR_RETURN(l.ffn_up, b.matrix(p + "ffn_up.weight", E, F));
    }
    GS_ASSIGN_OR_RETURN(l.ffn_down, b.matrix(p + "ffn_down.weight", F, E));
    if (k.post_norms) {
        GS_ASSIGN_OR_RETURN(l.post_attn_norm, b.vector(p + "post_attention_norm.weight", E));
        GS_ASSIGN_OR_RETURN(l.post_ffn_norm, b.vector(p + "post_ffw_norm.weight", E));
    }
    return ok_status();
}

}  // namespace

Result<ModelWeights> bind_weights(const gguf::GgufFile& file, HParams& hp,
                                  const kernels::KernelTable& table) {
    TensorBinder b(file, table);
    const gguf::TensorInfo* embd = file.find_tensor("token_embd.weight");
    if (embd == nullptr) return data_loss("missing tensor 'token_embd.weight'");
    if (embd->n_dims != 2) {
        return data_loss(
            fmt::format("tensor 'token_embd.weight' has shape {}, expected [{}, n_vocab]",
                        embd->shape_string(), hp.n_embd));
    }
    hp.n_vocab = embd->ne[1];

    ModelWeights w;
    w.knobs = detect_knobs(b, hp);
    GS_ASSIGN_OR_RETURN(w.token_embd, b.matrix("token_embd.weight", hp.n_embd, hp.n_vocab));
    GS_ASSIGN_OR_RETURN(w.output_norm, b.vector("output_norm.weight", hp.n_embd));
    if (w.knobs.tied_output) {
        w.output = w.token_embd;
    } else {
        GS_ASSIGN_OR_RETURN(w.output, b.matrix("output.weight", hp.n_embd, hp.n_vocab));
    }
    // Layers are bound one at a time, so a block_count that lies fails at the first missing
    // tensor instead of reserving memory for billions of layers.
    for (int64_t il = 0; il < hp.n_layer; ++il) {
        LayerWeights& layer = w.layers.emplace_back();
        GS_RETURN_IF_ERROR(bind_layer(b, hp, w.knobs, il, layer));
    }
    GS_RETURN_IF_ERROR(b.check_all_used());
    return w;
}

}  // namespace glmserve::model
