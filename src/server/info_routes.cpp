// The routes that describe the replica rather than generate: /health (a watchdog on the
// engine loop's heartbeat), /ready, /v1/status (the load report a gateway balances on),
// /v1/models, /tokenize and /detokenize.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "server/openai_server.h"

namespace glmserve::server {
namespace {

using nlohmann::json;

http::Response json_response(int status, const json& body) {
    return {.status = status, .body = body.dump(-1, ' ', false, json::error_handler_t::replace)};
}

}  // namespace

http::Response OpenAiServer::health() const {
    // Healthy means the scheduler loop is making progress: it beats after every step and,
    // when idle, every idle_tick. A wedged step (or a dead thread) stops the beat.
    const std::chrono::duration<double> age =
        std::chrono::steady_clock::now() - scheduler_->last_heartbeat();
    const bool alive = age < config_.watchdog_timeout;
    return json_response(alive ? 200 : 503, {{"status", alive ? "ok" : "stalled"},
                                             {"seconds_since_engine_step", age.count()}});
}

http::Response OpenAiServer::ready() const {
    const engine::Scheduler::QueueDepth q = scheduler_->queue_depth();
    const engine::SchedulerConfig& e = config_.engine;
    std::string_view status = "ready";
    if (draining()) {
        status = "draining";
    } else if (health().status != 200) {
        status = "stalled";
    } else if (q.n_requests >= e.max_waiting || q.n_prompt_tokens >= e.max_queued_tokens) {
        status = "queue_full";
    }
    return json_response(status == "ready" ? 200 : 503, {{"status", status}});
}

http::Response OpenAiServer::status_report() const {
    const engine::SchedulerSnapshot s = scheduler_->snapshot();
    const engine::SchedulerConfig& e = config_.engine;
    const int64_t lookups = s.prefix_cache.hit_blocks + s.prefix_cache.miss_blocks;
    const double kv_usage =
        s.kv_blocks_total > 0 ? static_cast<double>(s.kv_blocks_in_use) / s.kv_blocks_total : 0.0;
    return json_response(
        200, {{"model", config_.model_name},
              {"n_ctx", e.n_ctx},
              {"draining", draining()},
              {"healthy", health().status == 200},
              {"waiting", s.n_waiting},
              {"max_waiting", e.max_waiting},
              {"running", s.n_running},
              {"max_running", e.max_running},
              {"queued_prompt_tokens", s.queued_prompt_tokens},
              {"max_queued_tokens", e.max_queued_tokens},
              {"kv_cache",
               {{"blocks_total", s.kv_blocks_total},
                {"blocks_used", s.kv_blocks_in_use},
                {"blocks_cached", s.kv_blocks_cached},
                {"block_size", s.block_size},
                {"bytes_total", static_cast<int64_t>(s.kv_blocks_total) * s.kv_block_bytes},
                {"usage", kv_usage}}},
              {"prefix_cache",
               {{"hit_blocks", s.prefix_cache.hit_blocks},
                {"miss_blocks", s.prefix_cache.miss_blocks},
                {"hit_rate",
                 lookups > 0 ? static_cast<double>(s.prefix_cache.hit_blocks) / lookups : 0.0}}},
              {"prefill_tokens_per_second", s.prefill_tokens_per_second},
              {"decode_tokens_per_second", s.decode_tokens_per_second},
              {"estimated_queue_seconds", s.estimated_queue_seconds},
              {"steps", s.steps},
              {"preemptions", s.preemptions}});
}

http::Response OpenAiServer::models() const {
    const ModelInfo info{.id = config_.model_name,
                         .created = started_unix_s_,
                         .max_model_len = config_.engine.n_ctx};
    return {.body = models_response(std::span(&info, 1))};
}

Result<http::Response> OpenAiServer::tokenize(const http::Request& request) const {
    GS_ASSIGN_OR_RETURN(const TokenizeRequest r,
                        parse_tokenize_request(request.body, config_.request_limits));
    std::string text;
    bool add_special = r.add_special;
    if (r.prompt) {
        text = *r.prompt;
    } else {
        if (!chat_template_) {
            return invalid_argument("messages: this model has no chat template glmserve knows");
        }
        GS_ASSIGN_OR_RETURN(text, tokenizer::render_chat(*chat_template_, r.messages, true));
        add_special = false;  // the template holds the model's prefix tokens
    }
    GS_ASSIGN_OR_RETURN(const auto ids, tokenizer_->encode(text, {.add_special = add_special,
                                                                  .parse_special = true}));
    return http::Response{.body = tokenize_response(ids, config_.engine.n_ctx)};
}

Result<http::Response> OpenAiServer::detokenize(const http::Request& request) const {
    GS_ASSIGN_OR_RETURN(const auto ids,
                        parse_detokenize_request(request.body, config_.request_limits));
    const int32_t n_vocab = tokenizer_->n_vocab();
    for (size_t i = 0; i < ids.size(); ++i) {
        if (ids[i] < 0 || ids[i] >= n_vocab) {
            return invalid_argument(
                fmt::format("tokens[{}]: id {} is out of range [0, {})", i, ids[i], n_vocab));
        }
    }
    return http::Response{.body = detokenize_response(tokenizer_->decode(ids))};
}

}  // namespace glmserve::server
