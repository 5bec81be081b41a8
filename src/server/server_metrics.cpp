#include "server/server_metrics.h"

#include <array>

#include "http/server_metrics.h"

namespace glmserve::server {

std::string_view route_label(std::string_view path) {
    static constexpr std::array<std::string_view, 10> kRoutes = {
        "/v1/completions", "/v1/chat/completions",
        "/v1/models",      "/v1/status",
        "/tokenize",       "/detokenize",
        "/health",         "/ready",
        "/metrics",        "/"};
    for (std::string_view r : kRoutes) {
        if (path == r) return r;
    }
    return "other";
}

ServerMetrics::ServerMetrics(obs::Registry& registry) : registry_(registry) {}

void ServerMetrics::on_response(std::string_view route, int status, double seconds) {
    registry_
        .counter("glmserve_http_requests_total", "HTTP requests answered, by route and status",
                 {{"route", std::string(route)}, {"code", std::to_string(status)}})
        .inc();
    registry_
        .histogram("glmserve_http_request_duration_seconds",
                   "From the complete request header to the end of the answer, by route",
                   obs::latency_buckets_seconds(), {{"route", std::string(route)}})
        .observe(seconds);
}

void ServerMetrics::on_rejected(std::string_view reason) {
    registry_
        .counter("glmserve_requests_rejected_total",
                 "Requests refused without being served, by reason",
                 {{"reason", std::string(reason)}})
        .inc();
}

void ServerMetrics::watch(const http::Server& server) {
    http::export_server_counters(registry_, server);
}

}  // namespace glmserve::server
