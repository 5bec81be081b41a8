// `glmserve make-model --arch glm4|chatglm|llama [--preset NAME | --n-embd ...] --seed S
//  --type f32|f16|q8_0|... --out FILE`: a seeded random model with the built-in vocabulary.
#include <fmt/format.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "gguf/writer.h"
#include "model/random_model.h"
#include "tokenizer/builtin_vocab.h"

namespace glmserve::cli {
namespace {

struct MakeModelOptions {
    std::string arch;
    std::string preset = "small";
    std::optional<int64_t> n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx, n_rot;
    uint64_t seed = 1;
    std::string type = "f32";
    std::string out;
    bool tied = false;
    bool no_bias = false;
    int n_merges = 512;
};

Result<model::RandomModelSpec> build_spec(const MakeModelOptions& o) {
    GS_ASSIGN_OR_RETURN(model::RandomModelSpec s, model::random_model_preset(o.preset));
    if (!o.arch.empty()) {
        GS_ASSIGN_OR_RETURN(s.arch, model::parse_arch(o.arch));
    }
    if (o.n_embd) s.n_embd = *o.n_embd;
    if (o.n_layer) s.n_layer = *o.n_layer;
    if (o.n_head) s.n_head = *o.n_head;
    if (o.n_head_kv) s.n_head_kv = *o.n_head_kv;
    if (o.n_ff) s.n_ff = *o.n_ff;
    if (o.n_ctx) s.n_ctx = *o.n_ctx;
    if (o.n_rot) s.n_rot = *o.n_rot;
    s.seed = o.seed;
    s.tied_output = o.tied;
    s.qkv_bias = !o.no_bias;
    const auto type = gguf::parse_tensor_type(o.type);
    if (!type) return invalid_argument(fmt::format("--type: unknown tensor type '{}'", o.type));
    s.type = *type;
    s.name = fmt::format("glmserve-random-{}-{}", model::arch_name(s.arch), o.preset);
    return s;
}

int run_make_model(const MakeModelOptions& o) {
    auto spec = build_spec(o);
    if (!spec.ok()) return fail(spec.status());
    const tokenizer::VocabSpec vocab = tokenizer::make_builtin_vocab(o.n_merges);
    spec->n_vocab = static_cast<int64_t>(vocab.tokens.size());
    gguf::GgufWriter writer;
    if (Status s = model::add_random_model(*spec, kernels::active_kernels(), writer); !s.ok()) {
        return fail(s);
    }
    tokenizer::write_vocab_metadata(vocab, writer);
    if (Status s = writer.write(o.out); !s.ok()) return fail(s);
    std::fprintf(stderr, "wrote %s: %s, %lld layers, n_embd %lld, n_ff %lld, vocab %lld, %s\n",
                 o.out.c_str(), std::string(model::arch_name(spec->arch)).c_str(),
                 static_cast<long long>(spec->n_layer), static_cast<long long>(spec->n_embd),
                 static_cast<long long>(spec->n_ff), static_cast<long long>(spec->n_vocab),
                 std::string(gguf::tensor_type_name(spec->type)).c_str());
    return 0;
}

}  // namespace

void add_make_model_command(CLI::App& app, CommandRunner& run) {
    auto o = std::make_shared<MakeModelOptions>();
    CLI::App* sub = app.add_subcommand("make-model", "Write a seeded random model (tests, demos)");
    sub->add_option("--arch", o->arch, "glm4, chatglm or llama (default: the preset's)");
    sub->add_option(
           "--preset", o->preset,
           fmt::format("Shape preset: {}", fmt::join(model::random_model_preset_names(), ", ")))
        ->capture_default_str();
    sub->add_option("--n-embd", o->n_embd, "Hidden size");
    sub->add_option("--n-layer", o->n_layer, "Layers");
    sub->add_option("--n-head", o->n_head, "Attention heads");
    sub->add_option("--n-head-kv", o->n_head_kv, "KV heads");
    sub->add_option("--n-ff", o->n_ff, "FFN size (per half of the fused gate+up)");
    sub->add_option("--n-ctx", o->n_ctx, "Training context length");
    sub->add_option("--n-rot", o->n_rot, "Rotary dims per head (default: GLM half, llama all)");
    sub->add_option("--seed", o->seed, "Weight seed")->capture_default_str();
    sub->add_option("--type", o->type, "Weight type: f32, f16, bf16, q8_0, q4_0, q4_k, q6_k, ...")
        ->capture_default_str();
    sub->add_flag("--tied", o->tied, "No output.weight (lm head = token embedding)");
    sub->add_flag("--no-bias", o->no_bias, "No QKV biases");
    sub->add_option("--n-merges", o->n_merges, "BPE merges in the built-in vocabulary")
        ->capture_default_str()
        ->check(CLI::Range(0, 20000));
    sub->add_option("-o,--out", o->out, "Output GGUF file")->required();
    sub->callback([o, &run] { run = [o] { return run_make_model(*o); }; });
}

}  // namespace glmserve::cli
