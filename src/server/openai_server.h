// OpenAiServer: one replica — the engine behind an OpenAI-compatible HTTP API that refuses
// what it cannot serve instead of falling over (issue #4).
//
// Routes:
//   POST /v1/completions, /v1/chat/completions   generation (generation_route.cpp)
//   GET  /v1/models, POST /tokenize, /detokenize  model facts (info_routes.cpp)
//   GET  /health   200 while the engine loop is ticking (a watchdog on its heartbeat)
//   GET  /ready    200 while the server takes work: not draining, queue not full
//   GET  /metrics  Prometheus text; GET /v1/status  the load report the gateway reads
// With an API key file, every route but /health, /ready and /metrics needs
// `Authorization: Bearer <key>` (401 otherwise), and each key has requests/min and tokens/min
// limits (429 + Retry-After). A full engine queue is 503 + Retry-After estimated from the
// engine's throughput; while draining every new generation is 503.
// Every answer carries X-Request-Id (the client's, if sane, or a minted one); every request
// gets one log line, and a slow-log line past slow_threshold.
//
// Lifecycle: start() loads nothing itself (the model and tokenizer come in), starts the engine
// and then listens. begin_drain() turns /ready to 503 and stops taking work; in-flight
// requests finish; idle() tells when they have; stop() cancels whatever is left and closes.
// Thread: start/begin_drain/idle/stop from the owner thread; handlers run on io threads.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "engine/scheduler.h"
#include "http/api_keys.h"
#include "http/rate_limiter.h"
#include "http/server.h"
#include "kernels/thread_pool.h"
#include "model/model.h"
#include "obs/metrics.h"
#include "server/generation_job.h"
#include "server/serve_config.h"
#include "server/server_metrics.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace glmserve::server {

class OpenAiServer {
public:
    static Result<std::unique_ptr<OpenAiServer>> start(ServeConfig config,
                                                       std::shared_ptr<const model::Model> model,
                                                       std::unique_ptr<tokenizer::Tokenizer> tok);
    ~OpenAiServer();  // stop()

    OpenAiServer(const OpenAiServer&) = delete;
    OpenAiServer& operator=(const OpenAiServer&) = delete;

    uint16_t port() const { return http_->port(); }
    const ServeConfig& config() const { return config_; }
    obs::Registry& registry() { return registry_; }
    engine::Scheduler& scheduler() { return *scheduler_; }

    // Re-reads the TLS certificate files for new connections (SIGHUP); FailedPrecondition when
    // serving plain HTTP, InvalidArgument naming a file that does not load (the old one stays).
    Status reload_tls() { return http_->reload_tls(config_.http.tls); }

    void begin_drain();
    bool draining() const { return draining_.load(std::memory_order_relaxed); }
    // No generation queued or running and no HTTP request in flight.
    bool idle() const;
    void stop();

    // One request's identity and timing, threaded through the handlers.
    struct Call {
        std::string id;
        std::string route;
        std::chrono::steady_clock::time_point received_at;
        const http::KeyInfo* key = nullptr;
    };

private:
    OpenAiServer(ServeConfig config, std::shared_ptr<const model::Model> model,
                 std::unique_ptr<tokenizer::Tokenizer> tok);

    void handle(http::Request request, std::shared_ptr<http::ResponseWriter> writer);
    void dispatch(const http::Request& request, Call& call,
                  const std::shared_ptr<http::ResponseWriter>& writer);
    bool authenticate(const http::Request& request, Call& call);

    // Answers and accounts (metrics + log line) for every route but the streamed generations.
    void respond(const Call& call, http::ResponseWriter& writer, http::Response response);
    void respond_error(const Call& call, http::ResponseWriter& writer, const ApiError& error,
                       std::string_view reject_reason = {});
    void log_request(const Call& call, int status, const JobSummary* job);

    // generation_route.cpp
    void handle_generation(const http::Request& request, const Call& call, Endpoint endpoint,
                           const std::shared_ptr<http::ResponseWriter>& writer);
    Result<std::vector<std::vector<int32_t>>> prompt_tokens(const GenerationRequest& r) const;
    int retry_after_seconds() const;
    uint64_t next_seed();

    // info_routes.cpp
    http::Response health() const;
    http::Response ready() const;
    http::Response status_report() const;
    http::Response models() const;
    Result<http::Response> tokenize(const http::Request& request) const;
    Result<http::Response> detokenize(const http::Request& request) const;

    ServeConfig config_;
    // Declared first, destroyed last: the engine and HTTP metrics point into it.
    obs::Registry registry_;
    ServerMetrics metrics_;
    std::shared_ptr<const model::Model> model_;
    std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
    std::optional<tokenizer::ChatTemplateKind> chat_template_;  // nullopt: chat is refused
    http::ApiKeys keys_;
    std::unique_ptr<http::RateLimiter> limiter_;
    std::unique_ptr<kernels::ThreadPool> pool_;
    std::unique_ptr<engine::Scheduler> scheduler_;
    std::unique_ptr<http::Server> http_;
    std::atomic<bool> draining_{false};
    int64_t started_unix_s_ = 0;
    std::mutex seed_mu_;
    std::mt19937_64 seed_rng_;  // guarded by seed_mu_: seeds for requests that give none
};

}  // namespace glmserve::server
