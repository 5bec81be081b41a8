#include "support/float64_decoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <string>

namespace glmserve::testing {
namespace {

using gguf::TensorType;

// The compiler's binary16, not the engine's conversion code: round to nearest even.
double round_to_f16(double v) {
    return static_cast<double>(static_cast<_Float16>(static_cast<float>(v)));
}

// Round to nearest even on the float's upper 16 bits (NaN passes through).
double round_to_bf16(double v) {
    if (std::isnan(v)) return v;
    const uint32_t bits = std::bit_cast<uint32_t>(static_cast<float>(v));
    const uint32_t rounded = (bits + 0x7fff + ((bits >> 16) & 1)) & 0xffff0000u;
    return static_cast<double>(std::bit_cast<float>(rounded));
}

// A weight matrix of `rows` rows of `cols` values, widened to double.
struct Matrix {
    int64_t rows = 0;
    int64_t cols = 0;
    TensorType type = TensorType::F32;  // what the file stores: decides the input rounding
    std::vector<double> v;

    const double* row(int64_t r) const { return v.data() + r * cols; }
};

Result<Matrix> read_matrix(const gguf::GgufFile& file, const std::string& name) {
    const gguf::TensorInfo* t = file.find_tensor(name);
    if (t == nullptr) return not_found("missing tensor " + name);
    Matrix m{.rows = t->n_rows(), .cols = t->ne[0], .type = t->type, .v = {}};
    m.v.resize(static_cast<size_t>(t->n_elements()));
    const uint8_t* p = t->data.data();
    for (size_t i = 0; i < m.v.size(); ++i) {
        switch (t->type) {
            case TensorType::F32: {
                float f;
                std::memcpy(&f, p + 4 * i, 4);
                m.v[i] = f;
                break;
            }
            case TensorType::F16: {
                _Float16 h;
                std::memcpy(&h, p + 2 * i, 2);
                m.v[i] = static_cast<double>(h);
                break;
            }
            case TensorType::BF16: {
                uint16_t b;
                std::memcpy(&b, p + 2 * i, 2);
                m.v[i] = std::bit_cast<float>(static_cast<uint32_t>(b) << 16);
                break;
            }
            default:
                return invalid_argument(name + ": the float64 oracle reads F32, F16 and BF16 only");
        }
    }
    return m;
}

Result<std::vector<double>> read_vector(const gguf::GgufFile& file, const std::string& name) {
    GS_ASSIGN_OR_RETURN(Matrix m, read_matrix(file, name));
    return std::move(m.v);
}

// A bias or norm the file may leave out: empty when absent.
Result<std::vector<double>> read_optional_vector(const gguf::GgufFile& file,
                                                 const std::string& name) {
    if (file.find_tensor(name) == nullptr) return std::vector<double>{};
    return read_vector(file, name);
}

// y = W x (+ b), x rounded first to the type an F16/BF16 weight multiplies with.
std::vector<double> linear(const Matrix& w, std::vector<double> x, const std::vector<double>* b) {
    if (w.type == TensorType::F16) std::ranges::transform(x, x.begin(), round_to_f16);
    if (w.type == TensorType::BF16) std::ranges::transform(x, x.begin(), round_to_bf16);
    std::vector<double> y(static_cast<size_t>(w.rows));
    for (int64_t r = 0; r < w.rows; ++r) {
        double sum = 0.0;
        for (int64_t c = 0; c < w.cols; ++c) sum += w.row(r)[c] * x[static_cast<size_t>(c)];
        y[static_cast<size_t>(r)] = sum + (b ? (*b)[static_cast<size_t>(r)] : 0.0);
    }
    return y;
}

std::vector<double> rms_norm(const std::vector<double>& x, const std::vector<double>& w,
                             double eps) {
    double sum_sq = 0.0;
    for (double v : x) sum_sq += v * v;
    const double inv = 1.0 / std::sqrt(sum_sq / static_cast<double>(x.size()) + eps);
    std::vector<double> y(x.size());
    for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] * inv * w[i];
    return y;
}

void add_into(std::vector<double>& x, const std::vector<double>& y) {
    for (size_t i = 0; i < x.size(); ++i) x[i] += y[i];
}

double silu(double z) {
    return z / (1.0 + std::exp(-z));
}

struct HParams {
    std::string arch;
    int64_t n_embd = 0, n_layer = 0, n_head = 0, n_head_kv = 0, head_dim = 0, n_rot = 0;
    double eps = 0.0, rope_base = 0.0;
    bool half_split_pairs = false;  // M-RoPE files: Neox pairs (text positions are 1-D)
};

Result<HParams> read_hparams(const gguf::Metadata& md) {
    HParams hp;
    GS_ASSIGN_OR_RETURN(auto arch, md.get_string("general.architecture"));
    hp.arch = std::string(arch);
    if (hp.arch != "glm4" && hp.arch != "chatglm" && hp.arch != "llama") {
        return unimplemented("the float64 oracle has no architecture " + hp.arch);
    }
    const auto key = [&](const char* k) { return hp.arch + "." + k; };
    GS_ASSIGN_OR_RETURN(hp.n_embd, md.get_int(key("embedding_length")));
    GS_ASSIGN_OR_RETURN(hp.n_layer, md.get_int(key("block_count")));
    GS_ASSIGN_OR_RETURN(hp.n_head, md.get_int(key("attention.head_count")));
    GS_ASSIGN_OR_RETURN(hp.n_head_kv, md.get_int(key("attention.head_count_kv")));
    GS_ASSIGN_OR_RETURN(hp.eps, md.get_float(key("attention.layer_norm_rms_epsilon")));
    GS_ASSIGN_OR_RETURN(hp.rope_base, md.get_float(key("rope.freq_base")));
    hp.head_dim = hp.n_embd / hp.n_head;
    GS_ASSIGN_OR_RETURN(uint32_t n_rot, md.get_u32_or(key("rope.dimension_count"),
                                                      static_cast<uint32_t>(hp.head_dim)));
    hp.n_rot = n_rot;
    if (md.contains(key("rope.dimension_sections"))) {
        GS_ASSIGN_OR_RETURN(auto sections, md.get_int_array(key("rope.dimension_sections")));
        hp.half_split_pairs = sections.size() >= 2 && sections[0] > 0 && sections[1] > 0;
    }
    return hp;
}

// Rotates the first n_rot values of each head of `v` for position `pos`.
void rope(const HParams& hp, int64_t pos, int64_t n_heads, std::vector<double>& v) {
    const int64_t n_pairs = hp.n_rot / 2;
    for (int64_t h = 0; h < n_heads; ++h) {
        double* head = v.data() + h * hp.head_dim;
        for (int64_t k = 0; k < n_pairs; ++k) {
            const double theta = static_cast<double>(pos) *
                                 std::pow(hp.rope_base, -2.0 * static_cast<double>(k) /
                                                            static_cast<double>(hp.n_rot));
            const int64_t i0 = hp.half_split_pairs ? k : 2 * k;
            const int64_t i1 = hp.half_split_pairs ? k + n_pairs : 2 * k + 1;
            const double a = head[i0], b = head[i1];
            head[i0] = a * std::cos(theta) - b * std::sin(theta);
            head[i1] = a * std::sin(theta) + b * std::cos(theta);
        }
    }
}

struct Layer {
    std::vector<double> attn_norm, ffn_norm, post_attn_norm, post_ffn_norm;
    Matrix wq, wk, wv, wqkv, wo, up, gate, down;
    std::vector<double> bq, bk, bv, bqkv, bo;
    bool fused_qkv = false, separate_gate = false;
};

Result<Layer> read_layer(const gguf::GgufFile& file, int64_t l) {
    const auto name = [&](const char* t) { return fmt::format("blk.{}.{}", l, t); };
    const auto has = [&](const char* t) { return file.find_tensor(name(t)) != nullptr; };
    Layer L;
    GS_ASSIGN_OR_RETURN(L.attn_norm, read_vector(file, name("attn_norm.weight")));
    GS_ASSIGN_OR_RETURN(L.ffn_norm, read_vector(file, name("ffn_norm.weight")));
    GS_ASSIGN_OR_RETURN(L.post_attn_norm,
                        read_optional_vector(file, name("post_attention_norm.weight")));
    GS_ASSIGN_OR_RETURN(L.post_ffn_norm, read_optional_vector(file, name("post_ffw_norm.weight")));
    L.fused_qkv = has("attn_qkv.weight");
    if (L.fused_qkv) {
        GS_ASSIGN_OR_RETURN(L.wqkv, read_matrix(file, name("attn_qkv.weight")));
        GS_ASSIGN_OR_RETURN(L.bqkv, read_optional_vector(file, name("attn_qkv.bias")));
    } else {
        GS_ASSIGN_OR_RETURN(L.wq, read_matrix(file, name("attn_q.weight")));
        GS_ASSIGN_OR_RETURN(L.wk, read_matrix(file, name("attn_k.weight")));
        GS_ASSIGN_OR_RETURN(L.wv, read_matrix(file, name("attn_v.weight")));
        GS_ASSIGN_OR_RETURN(L.bq, read_optional_vector(file, name("attn_q.bias")));
        GS_ASSIGN_OR_RETURN(L.bk, read_optional_vector(file, name("attn_k.bias")));
        GS_ASSIGN_OR_RETURN(L.bv, read_optional_vector(file, name("attn_v.bias")));
    }
    GS_ASSIGN_OR_RETURN(L.wo, read_matrix(file, name("attn_output.weight")));
    GS_ASSIGN_OR_RETURN(L.bo, read_optional_vector(file, name("attn_output.bias")));
    GS_ASSIGN_OR_RETURN(L.up, read_matrix(file, name("ffn_up.weight")));
    L.separate_gate = has("ffn_gate.weight");
    if (L.separate_gate) {
        GS_ASSIGN_OR_RETURN(L.gate, read_matrix(file, name("ffn_gate.weight")));
    }
    GS_ASSIGN_OR_RETURN(L.down, read_matrix(file, name("ffn_down.weight")));
    return L;
}

const std::vector<double>* bias_or_null(const std::vector<double>& b) {
    return b.empty() ? nullptr : &b;
}

// One position's query, key and value vectors.
struct Qkv {
    std::vector<double> q, k, v;
};

Qkv project_qkv(const HParams& hp, const Layer& L, const std::vector<double>& h) {
    if (!L.fused_qkv) {
        return {linear(L.wq, h, bias_or_null(L.bq)), linear(L.wk, h, bias_or_null(L.bk)),
                linear(L.wv, h, bias_or_null(L.bv))};
    }
    const std::vector<double> all = linear(L.wqkv, h, bias_or_null(L.bqkv));
    const auto q_end = all.begin() + hp.n_head * hp.head_dim;
    const auto k_end = q_end + hp.n_head_kv * hp.head_dim;
    return {{all.begin(), q_end}, {q_end, k_end}, {k_end, all.end()}};
}

std::vector<double> ffn(const Layer& L, const std::vector<double>& h) {
    std::vector<double> gate, up;
    if (L.separate_gate) {
        gate = linear(L.gate, h, nullptr);
        up = linear(L.up, h, nullptr);
    } else {  // fused: the gate is the first half
        const std::vector<double> both = linear(L.up, h, nullptr);
        gate.assign(both.begin(), both.begin() + static_cast<ptrdiff_t>(both.size() / 2));
        up.assign(both.begin() + static_cast<ptrdiff_t>(both.size() / 2), both.end());
    }
    for (size_t i = 0; i < gate.size(); ++i) gate[i] = silu(gate[i]) * up[i];
    return linear(L.down, gate, nullptr);
}

// Causal attention of position `pos` (its K/V already in the caches) for every query head.
std::vector<double> attend(const HParams& hp, const std::vector<double>& q,
                           const std::vector<std::vector<double>>& k_cache,
                           const std::vector<std::vector<double>>& v_cache) {
    const size_t n_pos = k_cache.size();
    const int64_t group = hp.n_head / hp.n_head_kv;
    const double scale = 1.0 / std::sqrt(static_cast<double>(hp.head_dim));
    std::vector<double> out(static_cast<size_t>(hp.n_head * hp.head_dim), 0.0);
    std::vector<double> w(n_pos);
    for (int64_t h = 0; h < hp.n_head; ++h) {
        const int64_t kv = h / group;
        const double* qh = q.data() + h * hp.head_dim;
        double max_s = -INFINITY;
        for (size_t p = 0; p < n_pos; ++p) {
            const double* kh = k_cache[p].data() + kv * hp.head_dim;
            double s = 0.0;
            for (int64_t i = 0; i < hp.head_dim; ++i) s += qh[i] * kh[i];
            w[p] = s * scale;
            max_s = std::max(max_s, w[p]);
        }
        double sum = 0.0;
        for (double& s : w) sum += (s = std::exp(s - max_s));
        double* oh = out.data() + h * hp.head_dim;
        for (size_t p = 0; p < n_pos; ++p) {
            const double* vh = v_cache[p].data() + kv * hp.head_dim;
            for (int64_t i = 0; i < hp.head_dim; ++i) oh[i] += w[p] / sum * vh[i];
        }
    }
    return out;
}

std::vector<double> rounded_to_f16(std::vector<double> v) {
    std::ranges::transform(v, v.begin(), round_to_f16);
    return v;
}

}  // namespace

Result<std::vector<double>> float64_logits(const gguf::GgufFile& file,
                                           std::span<const int32_t> tokens) {
    GS_ASSIGN_OR_RETURN(const HParams hp, read_hparams(file.metadata()));
    GS_ASSIGN_OR_RETURN(const Matrix embd, read_matrix(file, "token_embd.weight"));
    GS_ASSIGN_OR_RETURN(const std::vector<double> out_norm,
                        read_vector(file, "output_norm.weight"));
    Matrix own_output;  // empty with tied embeddings
    if (file.find_tensor("output.weight") != nullptr) {
        GS_ASSIGN_OR_RETURN(own_output, read_matrix(file, "output.weight"));
    }
    const Matrix& out_w = own_output.rows > 0 ? own_output : embd;
    std::vector<Layer> layers;
    for (int64_t l = 0; l < hp.n_layer; ++l) {
        GS_ASSIGN_OR_RETURN(Layer L, read_layer(file, l));
        layers.push_back(std::move(L));
    }

    std::vector<std::vector<std::vector<double>>> k_cache(layers.size()), v_cache(layers.size());
    std::vector<double> logits;
    for (size_t pos = 0; pos < tokens.size(); ++pos) {
        const int32_t token = tokens[pos];
        if (token < 0 || token >= embd.rows) return invalid_argument("token id out of range");
        std::vector<double> x(embd.row(token), embd.row(token) + embd.cols);
        for (size_t l = 0; l < layers.size(); ++l) {
            const Layer& L = layers[l];
            Qkv qkv = project_qkv(hp, L, rms_norm(x, L.attn_norm, hp.eps));
            rope(hp, static_cast<int64_t>(pos), hp.n_head, qkv.q);
            rope(hp, static_cast<int64_t>(pos), hp.n_head_kv, qkv.k);
            k_cache[l].push_back(rounded_to_f16(std::move(qkv.k)));
            v_cache[l].push_back(rounded_to_f16(std::move(qkv.v)));
            std::vector<double> o =
                linear(L.wo, attend(hp, qkv.q, k_cache[l], v_cache[l]), bias_or_null(L.bo));
            if (!L.post_attn_norm.empty()) o = rms_norm(o, L.post_attn_norm, hp.eps);
            add_into(x, o);
            std::vector<double> f = ffn(L, rms_norm(x, L.ffn_norm, hp.eps));
            if (!L.post_ffn_norm.empty()) f = rms_norm(f, L.post_ffn_norm, hp.eps);
            add_into(x, f);
        }
        const std::vector<double> row = linear(out_w, rms_norm(x, out_norm, hp.eps), nullptr);
        logits.insert(logits.end(), row.begin(), row.end());
    }
    return logits;
}

}  // namespace glmserve::testing
