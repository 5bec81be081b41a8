// `glmserve bench serve --url URL ...` and `glmserve bench compare A.json B.json`: flags only;
// validation, the run and the reports live in src/bench/serve_bench.h (STYLE.md §7).
#include <cstdio>
#include <memory>
#include <string>

#include "bench/serve_bench.h"
#include "cli/cli_util.h"
#include "cli/commands.h"

namespace glmserve::cli {
namespace {

int run_bench_serve(const bench::ServeBenchOptions& o) {
    auto config = bench::validate(o);
    if (!config.ok()) return fail(config.status());
    const Status s = bench::run_serve_bench(*config, stdout);
    return s.ok() ? 0 : fail(s);
}

void add_load_flags(CLI::App& sub, bench::ServeBenchOptions& o) {
    sub.add_option("-c,--concurrency", o.concurrency, "Closed loop: requests in flight")
        ->capture_default_str();
    sub.add_option("-N,--requests", o.requests, "Requests to send");
    sub.add_option("--duration", o.duration, "Run for this long (e.g. 30s, 2m)");
    sub.add_option("--rate", o.rate, "Open loop: Poisson arrivals per second");
    sub.add_option("--rates", o.rates, "Sweep: comma-separated Poisson rates, e.g. 1,2,4,8");
    sub.add_flag("--burst", o.burst, "Send all --requests at once");
    sub.add_option("--io-threads", o.io_threads, "Extra client io threads")->capture_default_str();
}

void add_prompt_flags(CLI::App& sub, bench::ServeBenchOptions& o) {
    sub.add_option("--prompt-tokens", o.prompt_tokens, "Synthetic prompt length: N or MIN:MAX")
        ->capture_default_str();
    sub.add_option("--output-tokens", o.output_tokens, "Output length: N or MIN:MAX")
        ->capture_default_str();
    sub.add_flag("!--no-calibrate", o.calibrate,
                 "Synthetic prompts: assume one token per word instead of asking /tokenize");
    sub.add_option("--dataset", o.dataset, "JSONL file of {\"prompt\"} or {\"messages\"} lines");
    sub.add_option("--seed", o.seed, "Seed for prompts and arrivals")->capture_default_str();
    sub.add_flag("--ignore-eos", o.ignore_eos, "Ask for exact output lengths");
}

}  // namespace

void add_bench_serve_command(CLI::App& bench, CommandRunner& run) {
    auto o = std::make_shared<bench::ServeBenchOptions>();
    CLI::App* sub = bench.add_subcommand("serve", "Load an OpenAI-compatible server and report");
    sub->add_option("--url", o->url, "Server base URL, e.g. http://127.0.0.1:8080")->required();
    sub->add_option("--api", o->api, "completions or chat")->capture_default_str();
    sub->add_option("--model", o->model,
                    "Model name sent in requests; default: the first of GET /v1/models");
    sub->add_option("--api-key", o->api_key, "Sent as Authorization: Bearer KEY")
        ->envname("GLMSERVE_API_KEY");
    sub->add_option("--ca", o->tls_ca, "https: trust this CA bundle (PEM) for the server");
    sub->add_flag("--insecure", o->tls_insecure,
                  "https: do not verify the server's certificate (testing only)");
    add_load_flags(*sub, *o);
    add_prompt_flags(*sub, *o);
    sub->add_option("--timeout", o->timeout, "Per-request timeout")->capture_default_str();
    sub->add_option("--slo-ttft", o->slo_ttft, "Goodput SLO on time to first token (e.g. 1s)");
    sub->add_option("--slo-itl", o->slo_itl, "Goodput SLO on inter-token latency (e.g. 100ms)");
    sub->add_option("--slo-e2e", o->slo_e2e, "Goodput SLO on end-to-end latency");
    sub->add_option("--json", o->json_path, "Write every summary figure as JSON");
    sub->add_option("--html", o->html_path, "Write a self-contained HTML report");
    sub->callback([o, &run] { run = [o] { return run_bench_serve(*o); }; });

    auto paths = std::make_shared<std::pair<std::string, std::string>>();
    CLI::App* cmp = bench.add_subcommand("compare", "Two --json runs side by side, with ratios");
    cmp->add_option("a", paths->first, "Run A (JSON)")->required();
    cmp->add_option("b", paths->second, "Run B (JSON)")->required();
    cmp->callback([paths, &run] {
        run = [paths] {
            const Status s = bench::run_compare(paths->first, paths->second, stdout);
            return s.ok() ? 0 : fail(s);
        };
    });
}

}  // namespace glmserve::cli
