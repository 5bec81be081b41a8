// Writes the seed corpus of glmserve_gguf_fuzz: a few tiny valid GGUF files (< 4 KB each) that
// between them use every value type, arrays, several tensor types and a custom alignment.
// Usage: glmserve_gguf_fuzz_seeds OUT_DIR. The names carry no .gguf suffix, which .gitignore
// reserves for model files.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "gguf/writer.h"

namespace {

using glmserve::Result;
using glmserve::Status;
using glmserve::gguf::GgufWriter;
using glmserve::gguf::TensorType;

std::vector<uint8_t> ramp(size_t n) {
    std::vector<uint8_t> out(n);
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(i * 7 + 3);
    return out;
}

Status add(GgufWriter& w, const char* name, TensorType type, std::vector<int64_t> ne,
           size_t n_bytes) {
    return w.add_tensor(name, type, ne, ramp(n_bytes));
}

GgufWriter every_scalar() {
    GgufWriter w;
    w.set_string("general.architecture", "glm4");
    w.set_u8("a.u8", 1);
    w.set_i8("a.i8", -1);
    w.set_u16("a.u16", 2);
    w.set_i16("a.i16", -2);
    w.set_u32("a.u32", 3);
    w.set_i32("a.i32", -3);
    w.set_u64("a.u64", 4);
    w.set_i64("a.i64", -4);
    w.set_f32("a.f32", 0.5f);
    w.set_f64("a.f64", -0.5);
    w.set_bool("a.bool", true);
    return w;
}

Result<GgufWriter> tiny_model() {
    GgufWriter w;
    w.set_string("general.architecture", "glm4");
    w.set_u32("glm4.block_count", 1);
    w.set_f32("glm4.attention.layer_norm_rms_epsilon", 1e-5f);
    const std::vector<std::string> tokens = {"a", "b", "ab", "<|endoftext|>"};
    w.set_string_array("tokenizer.ggml.tokens", tokens);
    const std::vector<int32_t> types = {1, 1, 1, 3};
    w.set_i32_array("tokenizer.ggml.token_type", types);
    const std::vector<std::string> merges = {"a b"};
    w.set_string_array("tokenizer.ggml.merges", merges);
    GS_RETURN_IF_ERROR(add(w, "token_embd.weight", TensorType::F32, {8, 4}, 128));
    GS_RETURN_IF_ERROR(add(w, "output_norm.weight", TensorType::F32, {8}, 32));
    GS_RETURN_IF_ERROR(add(w, "blk.0.attn_q.weight", TensorType::Q8_0, {32, 2}, 68));
    return w;
}

Result<GgufWriter> quantized_aligned() {
    GgufWriter w;
    w.set_string("general.architecture", "llama");
    w.set_alignment(64);
    const std::vector<float> sections = {1.0f, 2.0f};
    w.set_f32_array("x.floats", sections);
    const std::vector<uint32_t> uints = {8, 16};
    w.set_u32_array("x.uints", uints);
    GS_RETURN_IF_ERROR(add(w, "q4_k", TensorType::Q4_K, {256}, 144));
    GS_RETURN_IF_ERROR(add(w, "q6_k", TensorType::Q6_K, {256}, 210));
    GS_RETURN_IF_ERROR(add(w, "q4_0", TensorType::Q4_0, {32, 3}, 54));
    GS_RETURN_IF_ERROR(add(w, "f16", TensorType::F16, {4, 1, 2}, 16));
    GS_RETURN_IF_ERROR(add(w, "bf16", TensorType::BF16, {2, 1, 1, 2}, 8));
    return w;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
        return 2;
    }
    const std::filesystem::path dir = argv[1];
    auto model = tiny_model();
    auto quantized = quantized_aligned();
    if (!model.ok() || !quantized.ok()) {
        std::fprintf(stderr, "building seeds failed\n");
        return 1;
    }
    const std::pair<const char*, const GgufWriter*> seeds[] = {
        {"every-scalar", nullptr}, {"tiny-model", &*model}, {"quantized-align64", &*quantized}};
    const GgufWriter scalars = every_scalar();
    for (const auto& [name, writer] : seeds) {
        const Status s = (writer != nullptr ? *writer : scalars).write(dir / name);
        if (!s.ok()) {
            std::fprintf(stderr, "%s\n", s.to_string().c_str());
            return 1;
        }
    }
    return 0;
}
