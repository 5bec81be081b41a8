#include "server/serve_options.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "common/system_info.h"
#include "common/units.h"
#include "model/hparams.h"

namespace glmserve::server {
namespace {

Result<std::chrono::milliseconds> duration_flag(std::string_view flag, const std::string& text) {
    auto seconds = parse_duration_s(text);
    if (!seconds.ok()) return seconds.status().with_context(flag);
    return std::chrono::milliseconds(static_cast<int64_t>(*seconds * 1000));
}

Result<int64_t> bytes_flag(std::string_view flag, const std::string& text) {
    auto bytes = parse_byte_size(text);
    if (!bytes.ok()) return bytes.status().with_context(flag);
    return *bytes;
}

Status positive(std::string_view flag, int64_t value) {
    if (value > 0) return ok_status();
    return invalid_argument(fmt::format("{} must be > 0, got {}", flag, value));
}

Result<int64_t> kv_pool_bytes(const ServeOptions& o, const model::Model& m, int64_t n_ctx) {
    const int64_t per_token = model::kv_bytes_per_token(m.hparams());
    const int64_t one_context = per_token * n_ctx;
    if (!o.kv_memory.empty()) {
        GS_ASSIGN_OR_RETURN(const int64_t bytes, bytes_flag("--kv-memory", o.kv_memory));
        if (bytes < one_context) {
            return invalid_argument(fmt::format(
                "--kv-memory {} bytes holds less than one context ({} positions need {} bytes)",
                bytes, n_ctx, one_context));
        }
        return bytes;
    }
    const auto available = static_cast<int64_t>(available_memory_bytes());
    const int64_t wanted = one_context * o.max_running;
    if (available == 0) return wanted;  // no /proc: trust the operator's limits
    // Weights are mapped: count them as memory they will take once touched.
    const int64_t spare = (available - static_cast<int64_t>(m.weight_bytes())) / 2;
    if (spare < one_context) {
        return resource_exhausted(fmt::format(
            "one context of {} positions needs {} bytes of KV cache, but only {} bytes are "
            "spare beside the model; lower --ctx or set --kv-memory",
            n_ctx, one_context, std::max<int64_t>(spare, 0)));
    }
    return std::min(wanted, spare);
}

}  // namespace

Result<ServeConfig> validate(const ServeOptions& o, const model::Model& m) {
    ServeConfig c;
    c.model_path = o.model;
    c.model_name =
        o.model_name.empty() ? std::filesystem::path(o.model).stem().string() : o.model_name;
    if (!o.chat_template.empty()) {
        GS_ASSIGN_OR_RETURN(c.chat_template, tokenizer::parse_chat_template_name(o.chat_template));
    }
    if (o.port < 0 || o.port > 65535) {
        return invalid_argument(fmt::format("--port must be in [0, 65535], got {}", o.port));
    }
    GS_RETURN_IF_ERROR(positive("--threads", o.threads));
    GS_RETURN_IF_ERROR(positive("--io-threads", o.io_threads));
    GS_RETURN_IF_ERROR(positive("--max-batch-tokens", o.max_batch_tokens));
    GS_RETURN_IF_ERROR(positive("--max-running", o.max_running));
    GS_RETURN_IF_ERROR(positive("--max-queue", o.max_queue));
    GS_RETURN_IF_ERROR(positive("--block-size", o.block_size));
    GS_RETURN_IF_ERROR(positive("--max-n", o.max_n));
    GS_RETURN_IF_ERROR(positive("--max-connections", o.max_connections));
    if (o.n_ctx < 0) return invalid_argument("--ctx must be >= 0");
    if (o.prefill_solo_tokens < 0) return invalid_argument("--prefill-solo-tokens must be >= 0");
    if (o.rate_rpm < 0 || o.rate_tpm < 0) return invalid_argument("--rate-* must be >= 0");
    c.threads = o.threads;

    const int64_t n_ctx_train = m.hparams().n_ctx_train;
    const int64_t n_ctx = o.n_ctx > 0 ? o.n_ctx : std::min(n_ctx_train, kDefaultMaxCtx);
    if (n_ctx > n_ctx_train) {
        return invalid_argument(
            fmt::format("--ctx {} is larger than the model's context of {}", n_ctx, n_ctx_train));
    }
    engine::SchedulerConfig& e = c.engine;
    e.n_ctx = n_ctx;
    e.max_batch_tokens = o.max_batch_tokens;
    if (o.prefill_step_target != "off") {
        GS_ASSIGN_OR_RETURN(e.prefill_step_target,
                            duration_flag("--prefill-step-target", o.prefill_step_target));
    }
    e.prefill_solo_tokens = o.prefill_solo_tokens;
    e.max_running = o.max_running;
    e.max_waiting = o.max_queue;
    e.max_queued_tokens = o.max_queued_tokens > 0 ? o.max_queued_tokens : 4 * n_ctx;
    e.block_size = o.block_size;
    e.prefix_cache = !o.no_prefix_cache;
    GS_ASSIGN_OR_RETURN(e.kv_bytes, kv_pool_bytes(o, m, n_ctx));

    http::ServerConfig& h = c.http;
    h.host = o.host;
    h.port = static_cast<uint16_t>(o.port);
    h.io_threads = o.io_threads;
    GS_ASSIGN_OR_RETURN(const int64_t max_body, bytes_flag("--max-body", o.max_body));
    GS_ASSIGN_OR_RETURN(const int64_t max_header, bytes_flag("--max-header", o.max_header));
    h.limits.max_body_bytes = static_cast<size_t>(max_body);
    h.limits.max_header_bytes = static_cast<size_t>(max_header);
    GS_ASSIGN_OR_RETURN(h.limits.header_timeout,
                        duration_flag("--header-timeout", o.header_timeout));
    GS_ASSIGN_OR_RETURN(h.limits.body_timeout, duration_flag("--body-timeout", o.body_timeout));
    GS_ASSIGN_OR_RETURN(h.limits.idle_timeout, duration_flag("--idle-timeout", o.idle_timeout));
    GS_ASSIGN_OR_RETURN(h.limits.write_timeout, duration_flag("--write-timeout", o.write_timeout));
    h.limits.max_connections = static_cast<size_t>(o.max_connections);
    if (o.tls_cert.empty() != o.tls_key.empty()) {
        return invalid_argument("--tls-cert and --tls-key go together");
    }
    if (!o.tls_client_ca.empty() && o.tls_cert.empty()) {
        return invalid_argument("--tls-client-ca needs --tls-cert and --tls-key");
    }
    h.tls = {.cert_file = o.tls_cert, .key_file = o.tls_key, .client_ca_file = o.tls_client_ca};

    RequestLimits& r = c.request_limits;
    r.max_n = o.max_n;
    GS_ASSIGN_OR_RETURN(r.default_timeout, duration_flag("--timeout-default", o.default_timeout));
    GS_ASSIGN_OR_RETURN(r.max_timeout, duration_flag("--timeout-max", o.max_timeout));
    if (r.default_timeout > r.max_timeout) {
        return invalid_argument("--timeout-default must not exceed --timeout-max");
    }

    c.api_key_file = o.api_key_file;
    c.default_rate_limits = {.requests_per_minute = o.rate_rpm, .tokens_per_minute = o.rate_tpm};
    GS_ASSIGN_OR_RETURN(c.drain_timeout, duration_flag("--drain-timeout", o.drain_timeout));
    GS_ASSIGN_OR_RETURN(c.slow_threshold, duration_flag("--slow-threshold", o.slow_threshold));
    GS_ASSIGN_OR_RETURN(c.watchdog_timeout,
                        duration_flag("--watchdog-timeout", o.watchdog_timeout));
    return c;
}

}  // namespace glmserve::server
