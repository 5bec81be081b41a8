// `glmserve serve [-m MODEL] [--port P] ...`: one replica. Flags → ServeOptions → validate()
// → run_serve() (src/server/). Without -m it serves the built-in demo model, so a fresh checkout
// has something to curl. Every flag has an env alias GLMSERVE_SERVE_<FLAG>.
#include <memory>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "server/run_serve.h"
#include "server/serve_options.h"

namespace glmserve::cli {
namespace {

struct ServeCliOptions {
    server::ServeOptions serve;
    std::string log_level = "info";
    std::string log_format = "text";
};

int run_serve_command(ServeCliOptions& o) {
    if (const Status logging = setup_logging_from_flags(o.log_level, o.log_format); !logging.ok()) {
        return fail(logging);
    }
    server::ServeOptions& s = o.serve;
    if (s.model.empty()) {
        auto demo = ensure_demo_model();
        if (!demo.ok()) return fail(demo.status());
        s.model = demo->string();
    }
    s.threads = resolve_threads(s.threads);
    auto loaded = load_model_and_tokenizer(s.model);
    if (!loaded.ok()) return fail(loaded.status());
    auto config = server::validate(s, *loaded->model);
    if (!config.ok()) return fail(config.status());
    const Status status = server::run_serve(std::move(config).value(), std::move(loaded->model),
                                            std::move(loaded->tokenizer));
    return status.ok() ? 0 : fail(status);
}

// Adds an option with its default shown and the env alias GLMSERVE_SERVE_<NAME>.
template <typename T>
void flag(CLI::App& sub, const std::string& names, T& value, const std::string& help,
          const std::string& env) {
    sub.add_option(names, value, help)->capture_default_str()->envname("GLMSERVE_SERVE_" + env);
}

void add_engine_flags(CLI::App& sub, server::ServeOptions& s) {
    flag(sub, "-c,--ctx", s.n_ctx, "Context per sequence (0: the model's, at most 8192)", "CTX");
    flag(sub, "--kv-memory", s.kv_memory,
         "KV cache pool, e.g. 2GiB (default: max-running contexts, within half the free memory)",
         "KV_MEMORY");
    flag(sub, "--max-batch-tokens", s.max_batch_tokens, "Tokens per engine step",
         "MAX_BATCH_TOKENS");
    flag(sub, "--prefill-step-target", s.prefill_step_target,
         "While others decode, prompt chunks take about this long per step (bounds their "
         "inter-token latency at some cost in throughput), or off",
         "PREFILL_STEP_TARGET");
    flag(sub, "--prefill-solo-tokens", s.prefill_solo_tokens,
         "A step holding this many prompt tokens starts no further prompt, so simultaneous "
         "prompts answer one after another (0: fill each step)",
         "PREFILL_SOLO_TOKENS");
    flag(sub, "--max-running", s.max_running, "Sequences decoded together", "MAX_RUNNING");
    flag(sub, "--max-queue", s.max_queue, "Requests waiting beyond which 503", "MAX_QUEUE");
    flag(sub, "--max-queued-tokens", s.max_queued_tokens,
         "Prompt tokens waiting beyond which 503 (0: 4 contexts)", "MAX_QUEUED_TOKENS");
    flag(sub, "--block-size", s.block_size, "KV block size in positions", "BLOCK_SIZE");
    sub.add_flag("--no-prefix-cache", s.no_prefix_cache, "Do not reuse KV blocks across requests")
        ->envname("GLMSERVE_SERVE_NO_PREFIX_CACHE");
    flag(sub, "-t,--threads", s.threads, "Compute threads (0: physical cores)", "THREADS");
}

void add_http_flags(CLI::App& sub, server::ServeOptions& s) {
    flag(sub, "--host", s.host, "Address to listen on", "HOST");
    flag(sub, "--port", s.port, "Port (0: any free one)", "PORT");
    flag(sub, "--io-threads", s.io_threads, "HTTP io threads", "IO_THREADS");
    flag(sub, "--max-body", s.max_body, "Largest request body", "MAX_BODY");
    flag(sub, "--max-header", s.max_header, "Largest request header", "MAX_HEADER");
    flag(sub, "--header-timeout", s.header_timeout, "Time to send the request header",
         "HEADER_TIMEOUT");
    flag(sub, "--body-timeout", s.body_timeout, "Time to send the body", "BODY_TIMEOUT");
    flag(sub, "--idle-timeout", s.idle_timeout, "Idle keep-alive connections close after",
         "IDLE_TIMEOUT");
    flag(sub, "--write-timeout", s.write_timeout, "A client that stops reading is dropped after",
         "WRITE_TIMEOUT");
    flag(sub, "--max-connections", s.max_connections, "Open connections beyond which 503",
         "MAX_CONNECTIONS");
    flag(sub, "--tls-cert", s.tls_cert, "Serve HTTPS with this certificate chain (PEM)",
         "TLS_CERT");
    flag(sub, "--tls-key", s.tls_key, "The certificate's private key (PEM)", "TLS_KEY");
    flag(sub, "--tls-client-ca", s.tls_client_ca,
         "Require client certificates signed by these CAs (PEM; mutual TLS)", "TLS_CLIENT_CA");
}

void add_policy_flags(CLI::App& sub, server::ServeOptions& s) {
    flag(sub, "--max-n", s.max_n, "Largest n (choices per prompt)", "MAX_N");
    flag(sub, "--timeout-default", s.default_timeout, "Deadline of requests that give none",
         "TIMEOUT_DEFAULT");
    flag(sub, "--timeout-max", s.max_timeout, "Largest `timeout` a request may ask for",
         "TIMEOUT_MAX");
    flag(sub, "--api-key-file", s.api_key_file, "Keys (one per line: KEY [name=] [rpm=] [tpm=])",
         "API_KEY_FILE");
    flag(sub, "--rate-rpm", s.rate_rpm, "Default requests/min per key (0: unlimited)", "RATE_RPM");
    flag(sub, "--rate-tpm", s.rate_tpm, "Default tokens/min per key (0: unlimited)", "RATE_TPM");
    flag(sub, "--drain-timeout", s.drain_timeout, "On SIGTERM, time for requests in flight",
         "DRAIN_TIMEOUT");
    flag(sub, "--slow-threshold", s.slow_threshold, "Requests slower than this get a slow log",
         "SLOW_THRESHOLD");
    flag(sub, "--watchdog-timeout", s.watchdog_timeout,
         "/health fails when the engine has not stepped for this long", "WATCHDOG_TIMEOUT");
}

}  // namespace

void add_serve_command(CLI::App& app, CommandRunner& run) {
    auto o = std::make_shared<ServeCliOptions>();
    CLI::App* sub = app.add_subcommand("serve", "Serve a model on an OpenAI-compatible HTTP API");
    flag(*sub, "-m,--model", o->serve.model, "GGUF model (default: the built-in demo model)",
         "MODEL");
    flag(*sub, "--model-name", o->serve.model_name, "Id in /v1/models (default: file name)",
         "MODEL_NAME");
    flag(*sub, "--chat-template", o->serve.chat_template,
         "glm4, chatglm3, llama3 or chatml (default: from the model)", "CHAT_TEMPLATE");
    add_engine_flags(*sub, o->serve);
    add_http_flags(*sub, o->serve);
    add_policy_flags(*sub, o->serve);
    flag(*sub, "--log-level", o->log_level, "trace, debug, info, warn, error", "LOG_LEVEL");
    flag(*sub, "--log-format", o->log_format, "text or json (one object per line)", "LOG_FORMAT");
    sub->callback([o, &run] { run = [o] { return run_serve_command(*o); }; });
}

}  // namespace glmserve::cli
