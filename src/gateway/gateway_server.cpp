#include "gateway/gateway_server.h"

#include <nlohmann/json.hpp>

#include "gateway/edge_guard.h"
#include "gateway/proxy.h"
#include "gateway/proxy_request.h"
#include "gateway/status_page.h"
#include "http/server_metrics.h"
#include "obs/logging.h"

namespace glmserve::gateway {
namespace {

using json = nlohmann::json;

http::Response json_response(int status, const json& body) {
    return {.status = status,
            .content_type = "application/json",
            .headers = {},
            .body = body.dump(-1, ' ', false, json::error_handler_t::replace)};
}

http::ServerConfig server_config(const GatewayConfig& c) {
    http::ServerConfig s;
    s.host = c.host;
    s.port = c.port;
    s.io_threads = c.io_threads;
    s.limits.max_body_bytes = c.limits.max_body_bytes;
    s.limits.max_header_bytes = c.limits.max_header_bytes;
    s.limits.max_connections = c.limits.max_connections;
    s.tls = c.tls;
    s.error_body = [](int status, std::string message) {
        return error_response(status, message, "invalid_request_error", std::to_string(status));
    };
    return s;
}

// `"stream": true` (anything else, including a non-boolean, is not a stream request).
bool is_streamed(const json& body) {
    if (!body.is_object()) return false;
    const auto it = body.find("stream");
    return it != body.end() && it->is_boolean() && it->get<bool>();
}

bool is_get(const http::Request& r) {
    return r.method == "GET" || r.method == "HEAD";
}

}  // namespace

GatewayServer::GatewayServer(Passkey) : metrics_(registry_) {}

Result<std::unique_ptr<GatewayServer>> GatewayServer::start(GatewayConfig config) {
    auto gw = std::make_unique<GatewayServer>(Passkey{});
    gw->work_.emplace(gw->io_.get_executor());
    for (int i = 0; i < config.upstream_threads; ++i) {
        gw->threads_.emplace_back([io = &gw->io_] { io->run(); });
    }
    const http::ServerConfig sc = server_config(config);
    auto runtime = GatewayRuntime::create(std::move(config), gw->io_, gw->metrics_, nullptr);
    if (!runtime.ok()) return runtime.status();
    gw->runtime_ = std::move(runtime).value();
    auto server = http::Server::start(
        sc, [self = gw.get()](http::Request request, std::shared_ptr<http::ResponseWriter> w) {
            self->handle(std::move(request), std::move(w));
        });
    if (!server.ok()) return server.status();
    gw->server_ = std::move(server).value();
    http::export_server_counters(gw->registry_, *gw->server_);
    return gw;
}

GatewayServer::~GatewayServer() {
    stop();
}

std::shared_ptr<GatewayRuntime> GatewayServer::runtime() const {
    std::lock_guard lock(mu_);
    return runtime_;
}

Status GatewayServer::reload(GatewayConfig config) {
    std::shared_ptr<GatewayRuntime> old = runtime();
    const GatewayConfig& before = old->config();
    if (config.host != before.host || config.port != before.port ||
        config.io_threads != before.io_threads ||
        config.upstream_threads != before.upstream_threads ||
        config.limits.max_body_bytes != before.limits.max_body_bytes ||
        config.limits.max_header_bytes != before.limits.max_header_bytes ||
        config.limits.max_connections != before.limits.max_connections ||
        config.tls.enabled() != before.tls.enabled()) {
        obs::logger("gateway")->warn(
            "reload: listen, threads, client limits and TLS on/off keep their old values until a "
            "restart");
    }
    const http::TlsServerOptions listener_tls = config.tls;
    auto next = GatewayRuntime::create(std::move(config), io_, metrics_, old.get());
    if (!next.ok()) {
        metrics_.config_reload_errors.inc();
        return next.status();
    }
    // The certificate files are read again even when their paths did not change: that is how
    // a rotated certificate is picked up.
    if (before.tls.enabled() && listener_tls.enabled()) {
        Status tls = server_->reload_tls(listener_tls);
        if (!tls.ok()) {
            (*next)->shutdown();
            metrics_.config_reload_errors.inc();
            return tls.with_context("tls");
        }
    }
    {
        std::lock_guard lock(mu_);
        runtime_ = std::move(next).value();
    }
    old->shutdown();
    metrics_.config_reloads.inc();
    return ok_status();
}

void GatewayServer::begin_drain() {
    draining_ = true;
    if (server_) server_->begin_drain();
}

void GatewayServer::stop() {
    if (stopped_.exchange(true)) return;
    if (server_) server_->stop();  // cuts requests in flight: their upstream attempts cancel
    std::shared_ptr<GatewayRuntime> last;
    {
        std::lock_guard lock(mu_);
        last = std::move(runtime_);
    }
    if (last) last->shutdown();
    last.reset();
    // Let the cancellations and closes just posted run, then stop whatever is left.
    work_.reset();
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!io_.stopped() && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    io_.stop();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
}

http::Response GatewayServer::ready_response(GatewayRuntime& rt) const {
    if (draining_) return json_response(503, {{"status", "draining"}});
    if (!rt.pool().any_available({}, Clock::now())) {
        return json_response(503, {{"status", "no_upstream"}});
    }
    return json_response(200, {{"status", "ready"}});
}

void GatewayServer::handle(http::Request request, std::shared_ptr<http::ResponseWriter> writer) {
    std::shared_ptr<GatewayRuntime> rt = runtime();
    if (!rt) return writer->send(error_response(503, "stopping", "unavailable_error", "stopping"));
    const std::string_view path = request.path();
    if (path.starts_with("/v1/")) return handle_api(std::move(rt), std::move(request), writer);
    if (!is_get(request)) {
        return writer->send(
            error_response(405, "use GET", "invalid_request_error", "method_not_allowed"));
    }
    if (path == "/health") return writer->send(json_response(200, {{"status", "ok"}}));
    if (path == "/ready") return writer->send(ready_response(*rt));
    if (path == "/metrics") {
        metrics_.refresh(rt->pool().status(Clock::now()), &rt->pool());
        return writer->send({.status = 200,
                             .content_type = std::string(obs::kPrometheusContentType),
                             .headers = {},
                             .body = registry_.render()});
    }
    if (path == "/gateway/status") {
        return writer->send(json_response(200, gateway_status_json(*rt, draining_, Clock::now())));
    }
    if (path == "/" || path == "/index.html") {
        return writer->send({.status = 200,
                             .content_type = "text/html; charset=utf-8",
                             .headers = {{"Cache-Control", "no-store"}},
                             .body = std::string(status_page_html())});
    }
    writer->send(error_response(404, fmt::format("no route {}", path), "invalid_request_error",
                                "not_found"));
}

void GatewayServer::handle_api(std::shared_ptr<GatewayRuntime> rt, http::Request request,
                               std::shared_ptr<http::ResponseWriter> writer) {
    const Clock::time_point now = Clock::now();
    metrics_.requests.inc();
    std::string request_id(request.header("X-Request-Id").value_or(""));
    if (request_id.empty() || request_id.size() > 128) request_id = mint_request_id();
    const json body = json::parse(request.body, nullptr, false);
    EdgeVerdict edge = check_edge(*rt, request, estimate_tokens(body), now);
    if (edge.refusal) {
        edge.refusal->headers.emplace_back("X-Request-Id", request_id);
        (edge.refusal->status == 429 || edge.refusal->status == 401 || edge.refusal->status == 403
             ? metrics_.responses_4xx
             : metrics_.responses_5xx)
            .inc();
        return writer->send(std::move(*edge.refusal));
    }
    ProxyJob job{.request = {},
                 .writer = std::move(writer),
                 .request_id = std::move(request_id),
                 .affinity_key = affinity_key(body, rt->config().affinity.prefix_chars),
                 .stream = is_streamed(body),
                 .cache_key = std::nullopt,
                 .cache_miss = false,
                 .key_index = edge.key_index,
                 .estimated_tokens = estimate_tokens(body),
                 .estimated_prompt_tokens = estimate_prompt_tokens(body)};
    if (Guarded<ResponseCache>* cache = rt->cache(); cache != nullptr && request.method == "POST") {
        job.cache_key = ResponseCache::key_for(request.path(), request.body);
        if (job.cache_key) {
            if (ResponseCache::bypass_requested(request.header("Cache-Control").value_or(""))) {
                metrics_.cache_bypass.inc();
            } else if (auto hit = cache->with(
                           [&](ResponseCache& c) { return c.get(*job.cache_key, now); })) {
                metrics_.cache_hits.inc();
                metrics_.responses_2xx.inc();
                return job.writer->send(
                    {.status = hit->status,
                     .content_type = hit->content_type,
                     .headers = {{"X-Cache", "HIT"}, {"X-Request-Id", job.request_id}},
                     .body = std::move(hit->body)});
            } else {
                metrics_.cache_misses.inc();
                job.cache_miss = true;
            }
        }
    }
    job.request = std::move(request);
    start_proxy(std::move(rt), std::move(job));
}

}  // namespace glmserve::gateway
