// `glmserve generate [-m MODEL] (-p TEXT | --tokens IDS) -n N [sampling] [--chat] [--json]`.
// Without -m it runs the built-in demo model, so a fresh checkout has something to run.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "common/system_info.h"
#include "engine/generator.h"
#include "kernels/thread_pool.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/stream_decoder.h"
#include "tokenizer/tokenizer.h"

namespace glmserve::cli {
namespace {

struct GenerateCliOptions {
    std::string model;
    std::string prompt;
    std::string tokens;
    std::string system;
    std::string chat_template;
    int32_t n_predict = 64;
    engine::SamplingParams sampling{
        .temperature = 0.8f, .top_k = 40, .top_p = 0.95f, .min_p = 0.05f};
    int64_t seed = -1;
    int threads = 0;
    int64_t n_ctx = 4096;
    bool chat = false;
    bool json = false;
    bool verbose = false;
    bool ignore_eos = false;
};

Result<std::vector<int32_t>> prompt_ids(const GenerateCliOptions& o,
                                        const tokenizer::Tokenizer& tok, const gguf::Metadata& md) {
    if (!o.tokens.empty()) return parse_token_list(o.tokens);
    if (!o.chat) return tok.encode(o.prompt, {.add_special = true, .parse_special = true});
    GS_ASSIGN_OR_RETURN(const tokenizer::ChatTemplateKind kind,
                        tokenizer::resolve_chat_template(md, o.chat_template));
    std::vector<tokenizer::ChatMessage> messages;
    if (!o.system.empty()) messages.push_back({"system", o.system});
    messages.push_back({"user", o.prompt});
    GS_ASSIGN_OR_RETURN(const std::string text, tokenizer::render_chat(kind, messages, true));
    // The template carries its own prefix tokens ([gMASK]<sop>, <|begin_of_text|>): no BOS.
    return tok.encode(text, {.add_special = false, .parse_special = true});
}

void print_stats(const GenerateCliOptions& o, const model::Model& m, const engine::Generator& gen,
                 const engine::GenerateResult& r, size_t n_prompt, int threads) {
    const double pf = r.prefill_time.count(), dc = r.decode_time.count();
    const auto n_gen = static_cast<double>(r.tokens.size());
    std::fprintf(stderr,
                 "\nprompt: %zu tokens in %.3f s (%.1f tok/s); generated %zu tokens in %.3f s "
                 "(%.1f tok/s); finish: %s; seed %lld; %d threads, kernels %s\n",
                 n_prompt, pf, pf > 0 ? static_cast<double>(n_prompt) / pf : 0.0, r.tokens.size(),
                 dc, dc > 0 ? n_gen / dc : 0.0,
                 std::string(engine::finish_reason_name(r.finish)).c_str(),
                 static_cast<long long>(o.sampling.seed), threads,
                 std::string(kernels::active_kernels().name).c_str());
    std::fprintf(stderr, "memory: peak RSS %s = mapped weights %s + KV pool %s + overhead\n",
                 format_bytes(peak_rss_bytes()).c_str(), format_bytes(m.weight_bytes()).c_str(),
                 format_bytes(static_cast<uint64_t>(gen.kv_pool().pool_bytes())).c_str());
}

int run_generate(GenerateCliOptions o) {
    if (o.prompt.empty() == o.tokens.empty()) {
        return fail(invalid_argument("give exactly one of -p/--prompt and --tokens"));
    }
    if (o.model.empty()) {
        auto demo = ensure_demo_model();
        if (!demo.ok()) return fail(demo.status());
        o.model = demo->string();
    }
    o.sampling.seed =
        o.seed >= 0
            ? static_cast<uint64_t>(o.seed)
            : static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    auto loaded = load_model_and_tokenizer(o.model);
    if (!loaded.ok()) return fail(loaded.status());
    const auto& m = loaded->model;
    const auto& tok = loaded->tokenizer;
    auto ids = prompt_ids(o, *tok, m->file().metadata());
    if (!ids.ok()) return fail(ids.status());

    const int threads = resolve_threads(o.threads);
    kernels::ThreadPool pool(threads);
    const int64_t n_ctx = std::min<int64_t>(o.n_ctx, m->hparams().n_ctx_train);
    auto gen = engine::Generator::create(m, kernels::active_kernels(), pool, {.n_ctx = n_ctx});
    if (!gen.ok()) return fail(gen.status());

    engine::GenerateOptions go{.max_tokens = o.n_predict, .sampling = o.sampling};
    if (!o.ignore_eos) {
        const auto eog = tok->end_of_generation_ids();
        go.stop_token_ids.assign(eog.begin(), eog.end());
    }
    tokenizer::StreamDecoder stream(*tok);
    auto result = (*gen)->generate(*ids, go, [&](int32_t id) {
        if (!o.json && !tok->is_end_of_generation(id)) {
            std::fputs(stream.push(id).c_str(), stdout);
            std::fflush(stdout);
        }
        return true;
    });
    if (!result.ok()) return fail(result.status());
    if (o.json) {
        std::vector<int32_t> text_ids;
        for (int32_t id : result->tokens) {
            if (!tok->is_end_of_generation(id)) text_ids.push_back(id);
        }
        const nlohmann::json j{{"tokens", result->tokens}, {"text", tok->decode(text_ids)}};
        std::printf("%s\n",
                    j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
        std::printf("%s\n", stream.flush().c_str());
    }
    if (o.verbose) print_stats(o, *m, **gen, *result, ids->size(), threads);
    return 0;
}

}  // namespace

void add_generate_command(CLI::App& app, CommandRunner& run) {
    auto o = std::make_shared<GenerateCliOptions>();
    CLI::App* sub = app.add_subcommand("generate", "Generate text from one prompt");
    sub->add_option("-m,--model", o->model, "GGUF model (default: the built-in demo model)");
    sub->add_option("-p,--prompt", o->prompt, "Prompt text");
    sub->add_option("--tokens", o->tokens, "Prompt as comma-separated token ids");
    sub->add_option("-n,--n-predict", o->n_predict, "Tokens to generate")
        ->capture_default_str()
        ->check(CLI::Range(0, 1 << 20));
    sub->add_option("--temperature", o->sampling.temperature, "0 = greedy")->capture_default_str();
    sub->add_option("--top-k", o->sampling.top_k, "0 = off")->capture_default_str();
    sub->add_option("--top-p", o->sampling.top_p, "1 = off")->capture_default_str();
    sub->add_option("--min-p", o->sampling.min_p, "0 = off")->capture_default_str();
    sub->add_option("--repeat-penalty", o->sampling.repetition_penalty, "1 = off")
        ->capture_default_str();
    sub->add_option("--presence-penalty", o->sampling.presence_penalty)->capture_default_str();
    sub->add_option("--frequency-penalty", o->sampling.frequency_penalty)->capture_default_str();
    sub->add_option("--repeat-last-n", o->sampling.penalty_last_n, "-1 = whole history")
        ->capture_default_str();
    sub->add_option("--seed", o->seed, "Sampling seed (-1: random)")->capture_default_str();
    sub->add_flag("--chat", o->chat, "Wrap the prompt in the model's chat template");
    sub->add_option("--system", o->system, "System message (with --chat)");
    sub->add_option("--chat-template", o->chat_template, "glm4, chatglm3, llama3 or chatml");
    sub->add_flag("--json", o->json, "Print {\"tokens\": [...], \"text\": \"...\"}");
    sub->add_flag("-v,--verbose", o->verbose, "Print timings and memory to stderr");
    sub->add_flag("--ignore-eos", o->ignore_eos, "Do not stop at end-of-generation tokens");
    sub->add_option("-t,--threads", o->threads, "Compute threads (0: physical cores)")
        ->capture_default_str();
    sub->add_option("-c,--ctx", o->n_ctx, "Context size (capped at the model's)")
        ->capture_default_str()
        ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
    sub->callback([o, &run] { run = [o] { return run_generate(*o); }; });
}

}  // namespace glmserve::cli
