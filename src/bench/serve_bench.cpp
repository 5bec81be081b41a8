// `bench serve` / `bench compare` glue; see serve_bench.h.
#include "bench/serve_bench.h"

#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "bench/html_report.h"
#include "bench/report.h"
#include "bench/server_info.h"
#include "bench/sweep.h"
#include "http/tls_context.h"
#include "http/url.h"

namespace glmserve::bench {

using nlohmann::json;

namespace {

Result<std::optional<double>> optional_duration(std::string_view flag, const std::string& text) {
    if (text.empty()) return std::optional<double>();
    auto seconds = parse_duration_s(text);
    if (!seconds.ok()) return seconds.status().with_context(flag);
    return std::optional<double>(*seconds);
}

Result<std::vector<LoadShape>> load_shapes(const ServeBenchOptions& o) {
    LoadShape base{.concurrency = o.concurrency, .seed = o.seed};
    if (o.requests < 0) return invalid_argument("--requests must be positive");
    if (o.requests > 0) base.n_requests = o.requests;
    GS_ASSIGN_OR_RETURN(base.duration_s, optional_duration("--duration", o.duration));
    const int n_kinds = (o.rate != 0) + !o.rates.empty() + o.burst;
    if (n_kinds > 1) return invalid_argument("use only one of --rate, --rates and --burst");
    if (!base.n_requests && !base.duration_s) {
        return invalid_argument("give --requests or --duration (or both)");
    }
    std::vector<LoadShape> shapes;
    if (!o.rates.empty()) {
        auto rates = parse_rate_list(o.rates);
        if (!rates.ok()) return rates.status().with_context("--rates");
        for (double r : *rates) {
            LoadShape s = base;
            s.kind = LoadKind::Poisson;
            s.rate_per_s = r;
            shapes.push_back(s);
        }
    } else {
        LoadShape s = base;
        if (o.rate != 0) {
            s.kind = LoadKind::Poisson;
            s.rate_per_s = o.rate;
        }
        if (o.burst) s.kind = LoadKind::Burst;
        shapes.push_back(s);
    }
    for (const auto& s : shapes) GS_RETURN_IF_ERROR(validate(s));
    return shapes;
}

// The dataset's prompts, or the spec of the synthetic ones (made at run time, prompts.h).
Status load_prompts(const ServeBenchOptions& o, ServeBenchConfig& c) {
    if (!o.dataset.empty()) {
        GS_ASSIGN_OR_RETURN(c.dataset_prompts, load_jsonl_prompts(o.dataset));
        return ok_status();
    }
    auto prompt_len = parse_length_range(o.prompt_tokens);
    if (!prompt_len.ok()) return prompt_len.status().with_context("--prompt-tokens");
    auto output_len = parse_length_range(o.output_tokens);
    if (!output_len.ok()) return output_len.status().with_context("--output-tokens");
    c.synthetic = {.prompt_tokens = *prompt_len, .output_tokens = *output_len, .seed = o.seed};
    c.n_synthetic_prompts = o.requests > 0
                                ? std::min(static_cast<size_t>(o.requests), kMaxSyntheticPrompts)
                                : kMaxSyntheticPrompts;
    c.calibrate = o.calibrate;
    return ok_status();
}

Result<RunnerConfig> runner_config(const ServeBenchOptions& o) {
    RunnerConfig r;
    auto url = http::parse_url(o.url);
    if (!url.ok()) return url.status().with_context("--url");
    r.base_url = *url;
    if (!o.tls_ca.empty() || o.tls_insecure) {
        if (!url->is_https()) return invalid_argument("--ca and --insecure need an https --url");
        auto tls = http::TlsContext::for_client({.ca_file = o.tls_ca, .verify = !o.tls_insecure});
        if (!tls.ok()) return tls.status().with_context("--ca");
        r.tls = std::move(tls).value();
    }
    if (o.api != "completions" && o.api != "chat") {
        return invalid_argument(fmt::format("--api '{}' is not completions or chat", o.api));
    }
    r.request = {.api = o.api == "chat" ? ApiKind::ChatCompletions : ApiKind::Completions,
                 .model = o.model,
                 .api_key = o.api_key,
                 .ignore_eos = o.ignore_eos};
    GS_ASSIGN_OR_RETURN(const std::optional<double> timeout,
                        optional_duration("--timeout", o.timeout));
    if (timeout) {
        r.request_timeout = std::chrono::milliseconds(static_cast<int64_t>(*timeout * 1e3));
    }
    if (o.io_threads < 0 || o.io_threads > 256) {
        return invalid_argument("--io-threads must be in [0, 256]");
    }
    r.n_extra_io_threads = o.io_threads;
    return r;
}

}  // namespace

Result<ServeBenchConfig> validate(const ServeBenchOptions& o) {
    ServeBenchConfig c;
    if (o.url.empty()) return invalid_argument("--url is required");
    GS_ASSIGN_OR_RETURN(c.runner, runner_config(o));
    GS_ASSIGN_OR_RETURN(c.shapes, load_shapes(o));
    c.sweep = !o.rates.empty();
    GS_ASSIGN_OR_RETURN(c.slo.ttft_s, optional_duration("--slo-ttft", o.slo_ttft));
    GS_ASSIGN_OR_RETURN(c.slo.itl_s, optional_duration("--slo-itl", o.slo_itl));
    GS_ASSIGN_OR_RETURN(c.slo.e2e_s, optional_duration("--slo-e2e", o.slo_e2e));
    GS_RETURN_IF_ERROR(load_prompts(o, c));
    c.json_path = o.json_path;
    c.html_path = o.html_path;
    c.progress = o.progress;
    return c;
}

namespace {

Status write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) return unavailable(fmt::format("cannot write '{}'", path));
    out << text;
    out.close();
    if (!out) return unavailable(fmt::format("error writing '{}'", path));
    return ok_status();
}

// "report.html" → "report-rate2.html" for a sweep's per-rate files.
std::string rate_path(const std::string& path, double rate) {
    const auto dot = path.rfind('.');
    const auto slash = path.rfind('/');
    const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
    const std::string tag = fmt::format("-rate{:g}", rate);
    return has_ext ? path.substr(0, dot) + tag + path.substr(dot) : path + tag;
}

// The first error message of each failed outcome kind, so a failing run says why.
std::string error_examples(const std::vector<RequestRecord>& records) {
    std::string out;
    bool shown[kOutcomeCount] = {};
    for (const auto& r : records) {
        const auto kind = static_cast<size_t>(r.outcome);
        if (r.outcome == Outcome::Ok || shown[kind]) continue;
        shown[kind] = true;
        constexpr size_t kShown = 200;
        out += fmt::format("  e.g. {}: {}\n", outcome_name(r.outcome), r.error.substr(0, kShown));
    }
    return out.empty() ? out : "\nfirst errors\n" + out;
}

// The live line: at most four updates a second, to stderr, only on a terminal.
std::function<void(const Progress&)> progress_printer(bool enabled) {
    if (!enabled || ::isatty(STDERR_FILENO) == 0) return {};
    auto last_s = std::make_shared<double>(-1.0);
    return [last_s](const Progress& p) {
        if (p.elapsed_s - *last_s < 0.25) return;
        *last_s = p.elapsed_s;
        fmt::print(stderr, "\r{:7.1f}s  sent {}  done {}  failed {}  in flight {}   ", p.elapsed_s,
                   p.n_sent, p.n_done, p.n_failed, p.n_in_flight);
        std::fflush(stderr);
    };
}

}  // namespace

namespace {

// The run as the server shaped it: the model it named and the prompts made for its tokenizer.
struct Prepared {
    RunnerConfig runner;                   // config.runner with the model filled in
    const char* model_source = "--model";  // or "/v1/models"
    std::vector<Prompt> prompts;
    std::optional<double> tokens_per_word;  // synthetic prompts only
    const char* calibration_source = "";    // "/tokenize" or "estimate"; synthetic only
};

// Without --model: the first model the server lists, or an error that says to pass --model.
Status pick_model(Prepared& p, std::FILE* out) {
    if (!p.runner.request.model.empty()) return ok_status();
    auto model = discover_model(p.runner);
    if (!model.ok()) {
        return {model.status().code(),
                fmt::format("no --model given and the server did not name one ({}); pass "
                            "--model NAME",
                            model.status().message())};
    }
    p.runner.request.model = *model;
    p.model_source = "/v1/models";
    fmt::print(out, "model: {} (the first listed by {}/v1/models)\n", *model,
               p.runner.base_url.to_string());
    return ok_status();
}

// Synthetic prompts sized by the server's tokens per word (or the estimate, with a warning,
// when /tokenize cannot say); a dataset's prompts as they are.
void make_prompts(const ServeBenchConfig& config, Prepared& p, std::FILE* out) {
    if (!config.synthetic) {
        p.prompts = config.dataset_prompts;
        return;
    }
    SyntheticPromptSpec spec = *config.synthetic;
    std::string_view why = "estimate, --no-calibrate";
    p.calibration_source = "estimate";
    if (config.calibrate) {
        const auto ratio = measure_tokens_per_word(
            p.runner, p.runner.request.model, synthetic_word_sample(spec.seed, kCalibrationWords),
            static_cast<int64_t>(kCalibrationWords));
        if (ratio.ok()) {
            spec.tokens_per_word = *ratio;
            p.calibration_source = "/tokenize";
            why = "measured by /tokenize";
        } else {
            why = "estimate, /tokenize failed";
            fmt::print(stderr,
                       "warning: prompt lengths not calibrated, assuming one token per word: {}\n",
                       ratio.status().message());
        }
    }
    fmt::print(out, "prompt calibration: {:.3f} tokens per word ({})\n", spec.tokens_per_word, why);
    p.tokens_per_word = spec.tokens_per_word;
    p.prompts = make_synthetic_prompts(spec, config.n_synthetic_prompts);
}

Result<Prepared> prepare(const ServeBenchConfig& config, std::FILE* out) {
    Prepared p{.runner = config.runner};
    GS_RETURN_IF_ERROR(pick_model(p, out));
    make_prompts(config, p, out);
    return p;
}

// What was run, stored beside the figures so two JSON files say what they compare.
json describe_run(const Prepared& p, const LoadShape& shape) {
    const auto opt = [](const auto& v) { return v ? json(*v) : json(nullptr); };
    const char* kinds[] = {"closed_loop", "poisson", "burst"};
    const json calibration = p.tokens_per_word ? json{{"tokens_per_word", *p.tokens_per_word},
                                                      {"source", p.calibration_source}}
                                               : json(nullptr);
    return {{"url", p.runner.base_url.to_string()},
            {"api", p.runner.request.api == ApiKind::ChatCompletions ? "chat" : "completions"},
            {"model", p.runner.request.model},
            {"model_source", p.model_source},
            {"load", kinds[static_cast<size_t>(shape.kind)]},
            {"concurrency", shape.concurrency},
            {"rate_per_s", shape.rate_per_s},
            {"n_requests", opt(shape.n_requests)},
            {"duration_s", opt(shape.duration_s)},
            {"seed", shape.seed},
            {"ignore_eos", p.runner.request.ignore_eos},
            {"n_prompts", p.prompts.size()},
            {"prompt_calibration", calibration}};
}

// One run at one shape: prints its table, writes its HTML; the JSON is returned.
Result<json> run_one(const ServeBenchConfig& config, const Prepared& prepared,
                     const LoadShape& shape, std::FILE* out, std::vector<SweepPoint>& points) {
    RunnerConfig runner = prepared.runner;
    runner.shape = shape;
    runner.on_progress = progress_printer(config.progress);
    GS_ASSIGN_OR_RETURN(RunResult run, run_load(runner, prepared.prompts));
    if (runner.on_progress) fmt::print(stderr, "\n");
    const Summary summary = summarize(run.records, config.slo, run.wall_s);
    const std::string url = config.runner.base_url.to_string();
    if (config.sweep) fmt::print(out, "\n== rate {:g} req/s ==\n", shape.rate_per_s);
    fmt::print(out, "{}{}", format_table(summary), error_examples(run.records));
    if (summary.n_requests > 0 && summary.outcomes.connect_error == summary.n_requests) {
        return unavailable(
            fmt::format("could not connect to {}: {}", url, run.records.front().error));
    }
    if (!config.html_path.empty()) {
        const std::string path =
            config.sweep ? rate_path(config.html_path, shape.rate_per_s) : config.html_path;
        GS_RETURN_IF_ERROR(
            write_file(path, render_html_report(summary, run.records, "glmserve bench: " + url)));
    }
    points.push_back({.rate_per_s = shape.rate_per_s, .summary = summary});
    json doc = to_json(summary);
    doc["run"] = describe_run(prepared, shape);
    return doc;
}

}  // namespace

Status run_serve_bench(const ServeBenchConfig& config, std::FILE* out) {
    GS_ASSIGN_OR_RETURN(const Prepared prepared, prepare(config, out));
    json runs = json::array();
    std::vector<SweepPoint> points;
    json single;
    for (const LoadShape& shape : config.shapes) {
        GS_ASSIGN_OR_RETURN(single, run_one(config, prepared, shape, out, points));
        runs.push_back({{"rate_per_s", shape.rate_per_s}, {"summary", single}});
    }
    if (config.sweep) fmt::print(out, "\n== sweep ==\n{}", format_sweep_table(points));
    if (config.json_path.empty()) return ok_status();
    const auto knee = find_knee(points);
    const json knee_json = knee ? json(points[*knee].rate_per_s) : json(nullptr);
    const json doc = config.sweep ? json{{"format", "glmserve-bench-sweep"},
                                         {"version", kSummaryJsonVersion},
                                         {"knee_rate_per_s", knee_json},
                                         {"runs", runs}}
                                  : single;
    return write_file(config.json_path, doc.dump(2) + "\n");
}

Status run_compare(const std::string& path_a, const std::string& path_b, std::FILE* out) {
    GS_ASSIGN_OR_RETURN(const Summary a, read_summary_file(path_a));
    GS_ASSIGN_OR_RETURN(const Summary b, read_summary_file(path_b));
    fmt::print(out, "A: {}\nB: {}\n\n{}", path_a, path_b, format_compare(a, b));
    return ok_status();
}

}  // namespace glmserve::bench
