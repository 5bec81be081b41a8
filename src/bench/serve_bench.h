// `glmserve bench serve` and `glmserve bench compare` behind the CLI: flag values
// (ServeBenchOptions) → validate → an immutable ServeBenchConfig → run, print, write files.
// cli/ only declares the flags and calls these (STYLE.md §7).
//
// Load shape from the flags: --rates (a sweep of Poisson runs, one per rate) or --rate
// (Poisson) or --burst (all --requests at t = 0), else a closed loop at --concurrency; each
// bounded by --requests and/or --duration. Prompts: --dataset FILE (JSONL) or synthetic
// (--prompt-tokens / --output-tokens "N" or "MIN:MAX", seeded by --seed). Synthetic runs draw
// min(requests, kMaxSyntheticPrompts) prompts (kMaxSyntheticPrompts for duration runs) and
// cycle them; repeated prompts can hit a server's prefix cache on very long runs.
//
// Before the first run, run_serve_bench asks the server (server_info.h), with the run's API key,
// TLS settings and --timeout:
//   - without --model, GET /v1/models, and uses the first model listed; it prints which. If that
//     fails or lists nothing, the command fails and says to pass --model. An explicit --model
//     is used as given and /v1/models is not asked.
//   - for synthetic prompts, unless --no-calibrate, POST /tokenize of kCalibrationWords words of
//     the prompts' word stream: the tokenizer's tokens per word sets each prompt's word count
//     (prompts.h), so --prompt-tokens means the server's tokens. If /tokenize fails (no route,
//     HTTP error, connection, malformed answer), one warning goes to stderr and prompts keep
//     the one-word-one-token estimate. The ratio and where it came from are printed and
//     recorded.
//
// Output: the table on `out`; with --json, one summary plus a "run" object saying what was run
// (URL, API, model and its source, load shape, seed, prompt calibration), or for a sweep a list
// of {rate_per_s, summary} and the knee (sweep.h); with --html, the report (for a sweep one file
// per rate, "-rate<R>" before the extension). The progress line goes to stderr only when it is
// a terminal.
// Thread: run_serve_bench blocks its caller; see runner.h for what runs inside.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/load_shape.h"
#include "bench/prompts.h"
#include "bench/runner.h"
#include "bench/stats.h"
#include "common/status.h"
#include "common/units.h"  // parse_duration_s

namespace glmserve::bench {

inline constexpr size_t kMaxSyntheticPrompts = 4096;
inline constexpr size_t kCalibrationWords = 1000;  // long enough that edge effects are < 1%

struct ServeBenchOptions {
    std::string url;
    std::string api = "completions";  // completions | chat
    std::string model;                // "": the first model GET /v1/models lists
    std::string api_key;
    std::string tls_ca;         // https: trust this PEM bundle instead of the system's store
    bool tls_insecure = false;  // https: do not verify the server's certificate
    int64_t concurrency = 1;
    int64_t requests = 0;  // 0: not set
    std::string duration;  // "30s", "2m"; "": not set
    double rate = 0;       // requests/s; 0: not set
    std::string rates;     // "1,2,4,8": a sweep
    bool burst = false;
    std::string dataset;  // JSONL path; "": synthetic prompts
    std::string prompt_tokens = "128";
    std::string output_tokens = "64";
    bool calibrate = true;  // --no-calibrate: false, one word per token
    uint64_t seed = 0;
    bool ignore_eos = false;
    std::string timeout = "60s";
    std::string slo_ttft;  // "1s", "250ms"; "": no SLO
    std::string slo_itl;
    std::string slo_e2e;
    std::string json_path;
    std::string html_path;
    int io_threads = 0;    // extra io threads beside the caller's
    bool progress = true;  // the live line, when stderr is a terminal
};

struct ServeBenchConfig {
    RunnerConfig runner;            // shape is overwritten per run; model "": ask /v1/models
    std::vector<LoadShape> shapes;  // one, or one per sweep rate
    bool sweep = false;
    std::vector<Prompt> dataset_prompts;           // --dataset; empty for synthetic prompts
    std::optional<SyntheticPromptSpec> synthetic;  // made once tokens per word is known
    size_t n_synthetic_prompts = 0;
    bool calibrate = true;
    Slo slo;
    std::string json_path;
    std::string html_path;
    bool progress = true;
};

Result<ServeBenchConfig> validate(const ServeBenchOptions& options);

Status run_serve_bench(const ServeBenchConfig& config, std::FILE* out);

// Reads two JSON summaries and prints them side by side.
Status run_compare(const std::string& path_a, const std::string& path_b, std::FILE* out);

}  // namespace glmserve::bench
