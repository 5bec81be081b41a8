// `glmserve bench engine -m MODEL [-p 128] [-n 64] [-r 3] [-t T] [--json]`: offline engine
// speed with the memory-bandwidth roofline next to it.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "engine/engine_bench.h"
#include "kernels/thread_pool.h"

namespace glmserve::cli {
namespace {

struct BenchEngineOptions {
    std::string model;
    engine::EngineBenchOptions bench;
    int threads = 0;
    bool json = false;
};

nlohmann::json to_json(const engine::Measurement& m) {
    return {{"mean", m.mean}, {"stddev", m.stddev}, {"samples", m.tokens_per_second}};
}

int run_bench_engine(const BenchEngineOptions& o) {
    auto m = load_model(o.model);
    if (!m.ok()) return fail(m.status());
    const int threads = resolve_threads(o.threads);
    kernels::ThreadPool pool(threads);
    engine::EngineBenchOptions bench = o.bench;
    // The roofline is about generation: a prompt-only run skips the 1 GiB probe buffer and the
    // probes.
    const bool roofline_wanted = o.bench.n_gen > 0;
    bench.probe_bandwidth = roofline_wanted;
    auto r = engine::run_engine_bench(*m, kernels::active_kernels(), pool, bench);
    if (!r.ok()) return fail(r.status());
    const double bandwidth = engine::median(r->read_bandwidth);
    const double roofline = bandwidth / static_cast<double>(r->bytes_per_token);
    const double fraction = engine::roofline_fraction(*r);
    const std::string kernels_name(kernels::active_kernels().name);
    if (o.json) {
        nlohmann::json j{{"model", o.model},
                         {"threads", threads},
                         {"kernels", kernels_name},
                         {"n_prompt", o.bench.n_prompt},
                         {"n_gen", o.bench.n_gen},
                         {"repetitions", o.bench.repetitions},
                         {"prompt_tokens_per_second", to_json(r->prompt)},
                         {"generation_tokens_per_second", to_json(r->generation)},
                         {"weight_bytes", r->weight_bytes},
                         {"bytes_per_token", r->bytes_per_token}};
        if (roofline_wanted) {
            j["read_bandwidth_bytes_per_second"] = bandwidth;
            j["read_bandwidth_samples"] = r->read_bandwidth;
            j["roofline_tokens_per_second"] = roofline;
            j["roofline_fraction"] = fraction;
        }
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf("model: %s (%s of weights, %s read per generated token), %d threads, kernels %s\n",
                o.model.c_str(), format_bytes(r->weight_bytes).c_str(),
                format_bytes(r->bytes_per_token).c_str(), threads, kernels_name.c_str());
    if (o.bench.n_prompt > 0) {
        std::printf("pp%-5d %10.2f ± %.2f tokens/s\n", o.bench.n_prompt, r->prompt.mean,
                    r->prompt.stddev);
    }
    if (!roofline_wanted) return 0;
    std::printf("tg%-5d %10.2f ± %.2f tokens/s\n", o.bench.n_gen, r->generation.mean,
                r->generation.stddev);
    const auto [lowest, highest] =
        std::minmax_element(r->read_bandwidth.begin(), r->read_bandwidth.end());
    std::printf(
        "memory read bandwidth %.2f GB/s (median of %zu probes, one after each run: %.2f-%.2f) "
        "-> roofline %.2f tokens/s\n",
        bandwidth / 1e9, r->read_bandwidth.size(), *lowest / 1e9, *highest / 1e9, roofline);
    std::printf("generation at %.1f%% of the roofline (median of each run against its own probe)\n",
                100.0 * fraction);
    return 0;
}

}  // namespace

void add_bench_engine_command(CLI::App& bench, CommandRunner& run) {
    auto o = std::make_shared<BenchEngineOptions>();
    CLI::App* sub = bench.add_subcommand("engine", "Offline engine speed (like llama-bench)");
    sub->add_option("-m,--model", o->model, "GGUF model")->required();
    sub->add_option("-p,--n-prompt", o->bench.n_prompt, "Prompt tokens (0: skip)")
        ->capture_default_str()
        ->check(CLI::Range(0, 1 << 16));
    sub->add_option("-n,--n-gen", o->bench.n_gen, "Generated tokens (0: skip)")
        ->capture_default_str()
        ->check(CLI::Range(0, 1 << 16));
    sub->add_flag(
        "--no-warmup", [o](int64_t) { o->bench.warmup = false; },
        "Count the first run too (default: one uncounted warm-up run)");
    sub->add_option("-r,--repetitions", o->bench.repetitions, "Repetitions")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    sub->add_option("-t,--threads", o->threads, "Compute threads (0: physical cores)")
        ->capture_default_str();
    sub->add_flag("--json", o->json, "Print the results as JSON");
    sub->callback([o, &run] { run = [o] { return run_bench_engine(*o); }; });
}

void add_bench_command(CLI::App& app, CommandRunner& run) {
    CLI::App* bench = app.add_subcommand("bench", "Benchmarks: engine speed, serving load");
    bench->require_subcommand(1);
    add_bench_engine_command(*bench, run);
    add_bench_serve_command(*bench, run);
}

}  // namespace glmserve::cli
