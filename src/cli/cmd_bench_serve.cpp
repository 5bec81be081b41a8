// `glmserve bench serve --url URL ...`: load against any OpenAI-compatible server, with
// percentiles, goodput, JSON and HTML reports; `glmserve bench compare A.json B.json`.
// The load generator itself is src/bench/; this file only turns flags into its config.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bench/html_report.h"
#include "bench/load_shape.h"
#include "bench/prompts.h"
#include "bench/report.h"
#include "bench/runner.h"
#include "bench/stats.h"
#include "cli/cli_util.h"
#include "cli/commands.h"
#include "cli/duration_flag.h"
#include "http/url.h"

namespace glmserve::cli {
namespace {

struct BenchServeOptions {
    std::string url;
    std::string endpoint = "completions";
    std::string model = "default";
    std::string api_key;
    int64_t concurrency = 1;
    std::optional<int64_t> requests;
    std::optional<std::string> duration;
    std::optional<double> rate;
    std::optional<int64_t> burst;
    std::string rates;
    std::string prompt_tokens = "128";
    std::string output_tokens = "64";
    std::string dataset;
    uint64_t seed = 0;
    bool ignore_eos = false;
    std::string timeout = "60s";
    std::string slo_ttft, slo_itl, slo_e2e;
    std::string json_path;
    std::string html_path;
};

Result<bench::Slo> parse_slo(const BenchServeOptions& o) {
    bench::Slo slo;
    if (!o.slo_ttft.empty()) {
        GS_ASSIGN_OR_RETURN(slo.ttft_s, parse_duration_seconds(o.slo_ttft, "--slo-ttft"));
    }
    if (!o.slo_itl.empty()) {
        GS_ASSIGN_OR_RETURN(slo.itl_s, parse_duration_seconds(o.slo_itl, "--slo-itl"));
    }
    if (!o.slo_e2e.empty()) {
        GS_ASSIGN_OR_RETURN(slo.e2e_s, parse_duration_seconds(o.slo_e2e, "--slo-e2e"));
    }
    return slo;
}

Result<bench::LoadShape> parse_shape(const BenchServeOptions& o) {
    bench::LoadShape shape{.concurrency = o.concurrency, .n_requests = o.requests, .seed = o.seed};
    if (o.duration) {
        GS_ASSIGN_OR_RETURN(shape.duration_s, parse_duration_seconds(*o.duration, "--duration"));
    }
    if (o.rate && o.burst) return invalid_argument("--rate and --burst exclude each other");
    if (o.rate) {
        shape.kind = bench::LoadKind::Poisson;
        shape.rate_per_s = *o.rate;
    } else if (o.burst) {
        shape.kind = bench::LoadKind::Burst;
        shape.n_requests = *o.burst;
    }
    if (!shape.n_requests && !shape.duration_s) shape.n_requests = 100;
    GS_RETURN_IF_ERROR(bench::validate(shape));
    return shape;
}

Result<std::vector<bench::Prompt>> load_prompts(const BenchServeOptions& o, size_t n) {
    if (!o.dataset.empty()) return bench::load_jsonl_prompts(o.dataset);
    GS_ASSIGN_OR_RETURN(const bench::LengthRange in, bench::parse_length_range(o.prompt_tokens));
    GS_ASSIGN_OR_RETURN(const bench::LengthRange out, bench::parse_length_range(o.output_tokens));
    return bench::make_synthetic_prompts(
        {.prompt_tokens = in, .output_tokens = out, .seed = o.seed}, n);
}

Result<bench::RunnerConfig> make_config(const BenchServeOptions& o) {
    bench::RunnerConfig config;
    GS_ASSIGN_OR_RETURN(config.base_url, http::parse_url(o.url));
    if (o.endpoint == "completions") {
        config.request.api = bench::ApiKind::Completions;
    } else if (o.endpoint == "chat") {
        config.request.api = bench::ApiKind::ChatCompletions;
    } else {
        return invalid_argument(fmt::format("--endpoint: '{}' (completions or chat)", o.endpoint));
    }
    config.request.model = o.model;
    config.request.api_key = o.api_key;
    config.request.ignore_eos = o.ignore_eos;
    GS_ASSIGN_OR_RETURN(const double timeout_s, parse_duration_seconds(o.timeout, "--timeout"));
    config.request_timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
    if (isatty(STDERR_FILENO)) {
        config.on_progress = [](const bench::Progress& p) {
            std::fprintf(stderr, "\r%7.1fs  sent %llu  done %llu  failed %llu  in flight %llu   ",
                         p.elapsed_s, static_cast<unsigned long long>(p.n_sent),
                         static_cast<unsigned long long>(p.n_done),
                         static_cast<unsigned long long>(p.n_failed),
                         static_cast<unsigned long long>(p.n_in_flight));
        };
    }
    return config;
}

Status write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) return unavailable(fmt::format("cannot write {}", path));
    return ok_status();
}

// One run: records -> summary -> table, and the JSON/HTML files when asked.
Result<bench::Summary> run_once(const BenchServeOptions& o, bench::RunnerConfig config,
                                const bench::Slo& slo, std::string_view title) {
    const size_t n = config.shape.n_requests ? static_cast<size_t>(*config.shape.n_requests) : 1024;
    GS_ASSIGN_OR_RETURN(const std::vector<bench::Prompt> prompts, load_prompts(o, n));
    GS_ASSIGN_OR_RETURN(const bench::RunResult run, bench::run_load(config, prompts));
    if (config.on_progress) std::fputs("\n", stderr);
    bench::Summary summary = bench::summarize(run.records, slo, run.wall_s);
    std::printf("%s\n%s", std::string(title).c_str(), bench::format_table(summary).c_str());
    if (!o.html_path.empty()) {
        GS_RETURN_IF_ERROR(
            write_file(o.html_path, bench::render_html_report(summary, run.records, title)));
    }
    return summary;
}

// Poisson runs at each rate of --rates; prints where latency or throughput gives way.
// The knee is the highest rate before the first one that either serves < 90% of its offered
// rate or has a P99 end-to-end latency more than twice the lowest rate's.
int run_sweep(const BenchServeOptions& o, bench::RunnerConfig config, const bench::Slo& slo) {
    auto rates = bench::parse_rate_list(o.rates);
    if (!rates.ok()) return fail(rates.status());
    if (!o.html_path.empty())
        return fail(invalid_argument("--html is for single runs, not --rates"));
    nlohmann::json runs = nlohmann::json::array();
    std::vector<std::pair<double, bench::Summary>> results;
    for (double rate : *rates) {
        BenchServeOptions one = o;
        one.rate = rate;
        one.burst.reset();
        auto shape = parse_shape(one);
        if (!shape.ok()) return fail(shape.status());
        config.shape = *shape;
        auto summary = run_once(one, config, slo, fmt::format("rate {:.3g}/s", rate));
        if (!summary.ok()) return fail(summary.status());
        runs.push_back({{"rate_per_s", rate}, {"summary", bench::to_json(*summary)}});
        results.emplace_back(rate, std::move(*summary));
    }
    std::printf("\n%10s %12s %12s %12s %12s\n", "offered/s", "served/s", "goodput/s", "p99 ttft s",
                "p99 e2e s");
    std::optional<double> knee;
    bool broke = false;
    const double base_p99 = results.front().second.e2e_s.p99;
    for (const auto& [rate, s] : results) {
        std::printf("%10.3g %12.3f %12.3f %12.4f %12.4f\n", rate, s.requests_per_s, s.goodput_per_s,
                    s.ttft_s.p99, s.e2e_s.p99);
        const bool gives_way = s.requests_per_s < 0.9 * rate || s.e2e_s.p99 > 2 * base_p99;
        if (!broke && gives_way) broke = true;
        if (!broke) knee = rate;
    }
    if (knee) {
        std::printf(
            "knee: about %.3g requests/s (the last rate served in full without P99 "
            "end-to-end latency doubling)\n",
            *knee);
    } else {
        std::printf("knee: below the lowest rate tried\n");
    }
    if (!o.json_path.empty()) {
        if (Status s = write_file(o.json_path, runs.dump(2)); !s.ok()) return fail(s);
    }
    return 0;
}

int run_bench_serve(const BenchServeOptions& o) {
    auto slo = parse_slo(o);
    if (!slo.ok()) return fail(slo.status());
    auto config = make_config(o);
    if (!config.ok()) return fail(config.status());

    if (o.rates.empty()) {
        auto shape = parse_shape(o);
        if (!shape.ok()) return fail(shape.status());
        config->shape = *shape;
        auto summary = run_once(o, *config, *slo, fmt::format("glmserve bench serve {}", o.url));
        if (!summary.ok()) return fail(summary.status());
        if (!o.json_path.empty()) {
            if (Status s = write_file(o.json_path, bench::to_json(*summary).dump(2)); !s.ok()) {
                return fail(s);
            }
        }
        if (summary->n_requests > 0 && summary->outcomes.ok == 0) {
            // Every request failed: say so in the exit code too, with the likeliest cause.
            return fail(unavailable(fmt::format(
                "no request succeeded ({} connect errors, {} timeouts, {} HTTP errors): is the "
                "server at {} up?",
                summary->outcomes.connect_error, summary->outcomes.timeout,
                summary->outcomes.http_error, o.url)));
        }
        return 0;
    }
    return run_sweep(o, *config, *slo);
}

int run_bench_compare(const std::string& a_path, const std::string& b_path) {
    auto a = bench::read_summary_file(a_path);
    if (!a.ok()) return fail(a.status().with_context(a_path));
    auto b = bench::read_summary_file(b_path);
    if (!b.ok()) return fail(b.status().with_context(b_path));
    std::printf("A: %s\nB: %s\n%s", a_path.c_str(), b_path.c_str(),
                bench::format_compare(*a, *b).c_str());
    return 0;
}

}  // namespace

void add_bench_serve_command(CLI::App& bench, CommandRunner& run) {
    auto o = std::make_shared<BenchServeOptions>();
    CLI::App* sub = bench.add_subcommand("serve", "Load an OpenAI-compatible server and report");
    sub->add_option("--url", o->url, "Server base URL, e.g. http://127.0.0.1:8080")->required();
    sub->add_option("--endpoint", o->endpoint, "completions or chat")->capture_default_str();
    sub->add_option("--model", o->model, "Model name sent in requests")->capture_default_str();
    sub->add_option("--api-key", o->api_key, "Sent as Authorization: Bearer KEY")
        ->envname("GLMSERVE_API_KEY");
    sub->add_option("-c,--concurrency", o->concurrency, "Closed loop: requests in flight")
        ->capture_default_str()
        ->check(CLI::Range(int64_t{1}, int64_t{100000}));
    sub->add_option("-N,--requests", o->requests, "Requests to send (default 100)")
        ->check(CLI::Range(int64_t{1}, int64_t{10} << 20));
    sub->add_option("--duration", o->duration, "Run for this long instead (e.g. 30s)");
    sub->add_option("--rate", o->rate, "Open loop: Poisson arrivals per second");
    sub->add_option("--burst", o->burst, "Send N requests at once")
        ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
    sub->add_option("--rates", o->rates, "Sweep: comma-separated Poisson rates, e.g. 1,2,4,8");
    sub->add_option("--prompt-tokens", o->prompt_tokens, "Synthetic prompt length: N or MIN:MAX")
        ->capture_default_str();
    sub->add_option("--output-tokens", o->output_tokens, "Output length: N or MIN:MAX")
        ->capture_default_str();
    sub->add_option("--dataset", o->dataset, "JSONL file of {\"prompt\"} or {\"messages\"}");
    sub->add_option("--seed", o->seed, "Seed for prompts and arrivals")->capture_default_str();
    sub->add_flag("--ignore-eos", o->ignore_eos, "Ask for exact output lengths");
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
        run = [paths] { return run_bench_compare(paths->first, paths->second); };
    });
}

}  // namespace glmserve::cli
