// ServeOptions: `glmserve serve` as the operator types it (flags, env aliases GLMSERVE_SERVE_*),
// and validate(), which turns it into an immutable ServeConfig once the model is known (the
// default KV pool and context depend on it). Every error names its flag.
// Thread: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"
#include "model/model.h"
#include "server/serve_config.h"

namespace glmserve::server {

struct ServeOptions {
    std::string model;       // path; empty: the built-in demo model (the CLI resolves it)
    std::string model_name;  // empty: the file name without .gguf
    std::string chat_template;
    std::string host = "127.0.0.1";
    int port = 8080;
    int threads = 0;  // 0: physical cores
    int io_threads = 1;

    int64_t n_ctx = 0;      // 0: the model's training context, at most kDefaultMaxCtx
    std::string kv_memory;  // empty: derived from free memory (see validate())
    int64_t max_batch_tokens = 256;
    std::string prefill_step_target = "off";  // a duration, or "off"
    int64_t prefill_solo_tokens = 64;         // 0: fill each step with prompts
    int32_t max_running = 16;
    int32_t max_queue = 64;
    int64_t max_queued_tokens = 0;  // 0: 4 contexts' worth
    int32_t block_size = 16;
    bool no_prefix_cache = false;

    int32_t max_n = 8;
    std::string default_timeout = "600s";
    std::string max_timeout = "3600s";

    std::string max_body = "4MiB";
    std::string max_header = "16KiB";
    std::string header_timeout = "10s";
    std::string body_timeout = "30s";
    std::string idle_timeout = "60s";
    std::string write_timeout = "30s";
    int max_connections = 1024;
    // TLS on the listener: certificate and key (PEM), and optionally a CA whose client
    // certificates are required (mutual TLS). Empty: plain HTTP.
    std::string tls_cert;
    std::string tls_key;
    std::string tls_client_ca;

    std::string api_key_file;
    int64_t rate_rpm = 0;  // per key; 0: unlimited
    int64_t rate_tpm = 0;

    std::string drain_timeout = "30s";
    std::string slow_threshold = "5s";
    std::string watchdog_timeout = "30s";
};

inline constexpr int64_t kDefaultMaxCtx = 8192;

// KV pool default: room for max_running sequences of n_ctx positions, but no more than half
// of what the machine has available beyond the mapped weights, and at least one full context
// (ResourceExhausted with the numbers when even that does not fit).
Result<ServeConfig> validate(const ServeOptions& options, const model::Model& model);

}  // namespace glmserve::server
