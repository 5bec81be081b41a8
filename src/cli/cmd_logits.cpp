// `glmserve logits -m MODEL --tokens 1,2,3 --out FILE`: float32 row-major [n_tokens][n_vocab],
// the logits at every position.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "engine/generator.h"
#include "kernels/thread_pool.h"

namespace glmserve::cli {
namespace {

struct LogitsOptions {
    std::string model;
    std::string tokens;
    std::string out;
    int threads = 0;
};

int run_logits(const LogitsOptions& o) {
    auto ids = parse_token_list(o.tokens);
    if (!ids.ok()) return fail(ids.status());
    auto m = load_model(o.model);
    if (!m.ok()) return fail(m.status());
    kernels::ThreadPool pool(resolve_threads(o.threads));
    auto gen = engine::Generator::create(
        *m, kernels::active_kernels(), pool,
        engine::GeneratorConfig{.n_ctx = static_cast<int64_t>(ids->size())});
    if (!gen.ok()) return fail(gen.status());
    // Rows are written as each prefill chunk finishes: a long prompt never holds
    // n_tokens × n_vocab floats in memory.
    std::ofstream out(o.out, std::ios::binary | std::ios::trunc);
    if (!out) return fail(unavailable(fmt::format("cannot open {} for writing", o.out)));
    const Status s = (*gen)->stream_prompt_logits(*ids, [&](std::span<const float> rows) {
        out.write(reinterpret_cast<const char*>(rows.data()),
                  static_cast<std::streamsize>(rows.size() * sizeof(float)));
        return out ? ok_status() : unavailable(fmt::format("cannot write {}", o.out));
    });
    if (!s.ok()) return fail(s);
    out.close();
    if (!out) return fail(unavailable(fmt::format("cannot write {}", o.out)));
    std::fprintf(stderr, "wrote %zu x %lld logits to %s\n", ids->size(),
                 static_cast<long long>((*m)->hparams().n_vocab), o.out.c_str());
    return 0;
}

}  // namespace

void add_logits_command(CLI::App& app, CommandRunner& run) {
    auto opts = std::make_shared<LogitsOptions>();
    CLI::App* sub = app.add_subcommand("logits", "Write the logits at every position of a prompt");
    sub->add_option("-m,--model", opts->model, "GGUF model file")->required();
    sub->add_option("--tokens", opts->tokens, "Comma-separated token ids")->required();
    sub->add_option("--out", opts->out, "Output file: float32 [n_tokens][n_vocab]")->required();
    sub->add_option("-t,--threads", opts->threads, "Compute threads (0: physical cores)")
        ->capture_default_str();
    sub->callback([opts, &run] { run = [opts] { return run_logits(*opts); }; });
}

}  // namespace glmserve::cli
