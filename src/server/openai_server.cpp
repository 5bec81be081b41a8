#include "server/openai_server.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "kernels/kernel_table.h"
#include "obs/event_log.h"
#include "obs/logging.h"
#include "obs/process_metrics.h"

namespace glmserve::server {
namespace {

using SteadyClock = std::chrono::steady_clock;

// A client's X-Request-Id is echoed only when it is short and printable, so it cannot break a
// log line or a header; otherwise we mint one.
bool sane_request_id(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (char c : id) {
        if (c < 0x21 || c > 0x7e) return false;
    }
    return true;
}

std::string mint_request_id(std::mt19937_64& rng) {
    return fmt::format("req-{:016x}", rng());
}

}  // namespace

Result<std::unique_ptr<OpenAiServer>> OpenAiServer::start(
    ServeConfig config, std::shared_ptr<const model::Model> model,
    std::unique_ptr<tokenizer::Tokenizer> tok) {
    if (config.threads < 1) return invalid_argument("threads must be >= 1");
    auto server = std::unique_ptr<OpenAiServer>(
        new OpenAiServer(std::move(config), std::move(model), std::move(tok)));
    OpenAiServer& s = *server;
    if (!s.config_.api_key_file.empty()) {
        GS_ASSIGN_OR_RETURN(s.keys_, http::ApiKeys::load(s.config_.api_key_file));
    }
    s.limiter_ = std::make_unique<http::RateLimiter>(
        http::resolve_limits(s.keys_, s.config_.default_rate_limits));

    // The engine stops at the vocabulary's end-of-generation tokens.
    const auto eog = s.tokenizer_->end_of_generation_ids();
    s.config_.engine.eog_token_ids.assign(eog.begin(), eog.end());
    s.pool_ = std::make_unique<kernels::ThreadPool>(s.config_.threads);
    GS_ASSIGN_OR_RETURN(s.scheduler_,
                        engine::Scheduler::create(s.model_, kernels::active_kernels(), *s.pool_,
                                                  s.config_.engine, &s.registry_));
    s.config_.engine.n_ctx = s.scheduler_->n_ctx();

    http::ServerConfig http_config = s.config_.http;
    http_config.error_body = [](int status, std::string message) {
        // The HTTP layer's own refusals (400/408/413/431/503) in the API's error shape.
        ApiError error = api_error_from_status(
            status == 503 ? unavailable(std::move(message)) : invalid_argument(std::move(message)));
        error.http_status = status;
        if (status == 408) {
            error.type = "timeout_error";
            error.code = "request_timeout";
        }
        http::Response response{.status = status, .body = error_body_json(error)};
        if (error.retry_after_seconds) {
            response.headers.emplace_back("Retry-After",
                                          std::to_string(*error.retry_after_seconds));
        }
        return response;
    };
    GS_ASSIGN_OR_RETURN(s.http_,
                        http::Server::start(std::move(http_config), [&s](http::Request r, auto w) {
                            s.handle(std::move(r), std::move(w));
                        }));
    s.metrics_.watch(*s.http_);
    return server;
}

OpenAiServer::OpenAiServer(ServeConfig config, std::shared_ptr<const model::Model> model,
                           std::unique_ptr<tokenizer::Tokenizer> tok)
    : config_(std::move(config)),
      metrics_(registry_),
      model_(std::move(model)),
      tokenizer_(std::move(tok)),
      started_unix_s_(std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count()),
      seed_rng_(std::random_device{}()) {
    const auto kind = tokenizer::resolve_chat_template(
        model_->file().metadata(),
        config_.chat_template ? tokenizer::chat_template_name(*config_.chat_template) : "");
    if (kind.ok()) chat_template_ = *kind;
    obs::register_process_metrics(registry_);
    registry_.gauge("glmserve_model_mapped_bytes", "Bytes of model weights mapped from the file")
        .set(static_cast<double>(model_->weight_bytes()));
}

OpenAiServer::~OpenAiServer() {
    stop();
}

void OpenAiServer::begin_drain() {
    if (draining_.exchange(true)) return;
    obs::logger("server")->info("draining: no new work; waiting for {} requests in flight",
                                http_->n_active_requests());
    http_->begin_drain();
}

bool OpenAiServer::idle() const {
    const engine::SchedulerSnapshot snap = scheduler_->snapshot();
    return snap.n_running == 0 && snap.n_waiting == 0 && http_->n_active_requests() == 0;
}

void OpenAiServer::stop() {
    // The engine first: whatever still runs is finished (Cancelled) and answered while the
    // connections are still open; then the HTTP side closes.
    if (scheduler_) scheduler_->stop();
    if (http_) http_->stop();
}

uint64_t OpenAiServer::next_seed() {
    std::lock_guard lock(seed_mu_);
    return seed_rng_();
}

void OpenAiServer::handle(http::Request request, std::shared_ptr<http::ResponseWriter> writer) {
    Call call{.route = std::string(route_label(request.path())),
              .received_at = request.received_at};
    const auto given_id = request.header("X-Request-Id");
    if (given_id && sane_request_id(*given_id)) {
        call.id = std::string(*given_id);
    } else {
        std::lock_guard lock(seed_mu_);
        call.id = mint_request_id(seed_rng_);
    }
    try {
        dispatch(request, call, writer);
    } catch (const std::exception& e) {
        // A safety net (STYLE.md §3): errors travel as Status; reaching here is a bug.
        obs::logger("server")->error("unexpected exception in {}: {}", call.route, e.what());
        respond_error(call, *writer, api_error_from_status(internal_error("internal error")));
    }
}

bool OpenAiServer::authenticate(const http::Request& request, Call& call) {
    if (!keys_.enabled()) return true;
    const auto header = request.header("Authorization");
    call.key = header ? keys_.authenticate(*header) : nullptr;
    return call.key != nullptr;
}

void OpenAiServer::dispatch(const http::Request& request, Call& call,
                            const std::shared_ptr<http::ResponseWriter>& writer) {
    const std::string_view path = request.path();
    const std::string_view method = request.method;
    const auto only = [&](std::string_view allowed) {
        if (method == allowed) return true;
        ApiError error = api_error_from_status(
            invalid_argument(fmt::format("{} needs {}, not {}", path, allowed, method)));
        error.http_status = 405;
        respond_error(call, *writer, error, "bad_request");
        return false;
    };
    if (path == "/health") {
        if (only("GET")) respond(call, *writer, health());
        return;
    }
    if (path == "/ready") {
        if (only("GET")) respond(call, *writer, ready());
        return;
    }
    if (path == "/metrics") {
        if (only("GET")) {
            respond(call, *writer,
                    {.content_type = std::string(obs::kPrometheusContentType),
                     .body = registry_.render()});
        }
        return;
    }
    if (call.route == "other") {
        respond_error(call, *writer,
                      api_error_from_status(not_found(fmt::format("no route {}", path))),
                      "not_found");
        return;
    }
    if (!authenticate(request, call)) {
        respond_error(call, *writer,
                      unauthorized("a valid API key is required (Authorization: "
                                   "Bearer <key>)"),
                      "unauthorized");
        return;
    }
    if (path == "/v1/completions" && only("POST")) {
        handle_generation(request, call, Endpoint::Completions, writer);
    } else if (path == "/v1/chat/completions" && only("POST")) {
        handle_generation(request, call, Endpoint::ChatCompletions, writer);
    } else if (path == "/v1/models" && only("GET")) {
        respond(call, *writer, models());
    } else if (path == "/v1/status" && only("GET")) {
        respond(call, *writer, status_report());
    } else if ((path == "/tokenize" || path == "/detokenize") && only("POST")) {
        Result<http::Response> r = path == "/tokenize" ? tokenize(request) : detokenize(request);
        if (r.ok()) {
            respond(call, *writer, std::move(r).value());
        } else {
            respond_error(call, *writer, api_error_from_status(r.status()), "bad_request");
        }
    }
}

void OpenAiServer::respond(const Call& call, http::ResponseWriter& writer,
                           http::Response response) {
    response.headers.emplace_back("X-Request-Id", call.id);
    const int status = response.status;
    writer.send(std::move(response));
    log_request(call, status, nullptr);
}

void OpenAiServer::respond_error(const Call& call, http::ResponseWriter& writer,
                                 const ApiError& error, std::string_view reject_reason) {
    http::Response response{.status = error.http_status, .body = error_body_json(error)};
    if (error.retry_after_seconds) {
        response.headers.emplace_back("Retry-After", std::to_string(*error.retry_after_seconds));
    }
    if (!reject_reason.empty()) metrics_.on_rejected(reject_reason);
    respond(call, writer, std::move(response));
}

void OpenAiServer::log_request(const Call& call, int status, const JobSummary* job) {
    const double seconds =
        std::chrono::duration<double>(SteadyClock::now() - call.received_at).count();
    metrics_.on_response(call.route, status, seconds);
    nlohmann::json fields = {
        {"req", call.id}, {"route", call.route}, {"status", status}, {"total_s", seconds}};
    if (call.key) fields["key"] = call.key->name;
    if (job) {
        fields["prompt_tokens"] = job->prompt_tokens;
        fields["completion_tokens"] = job->completion_tokens;
        fields["cached_tokens"] = job->cached_tokens;
        fields["finish"] = job->finish;
        fields["queue_s"] = job->queue_s;
        fields["prefill_s"] = job->prefill_s;
        fields["decode_s"] = job->decode_s;
        if (job->preemptions > 0) fields["preemptions"] = job->preemptions;
    }
    auto log = obs::logger("server");
    obs::log_event(*log, spdlog::level::info, "request", fields);
    if (seconds * 1000 > static_cast<double>(config_.slow_threshold.count())) {
        obs::log_event(*log, spdlog::level::warn, "slow_request", fields);
    }
}

}  // namespace glmserve::server
