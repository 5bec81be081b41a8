// The supervisor's /metrics, /status and /health endpoint (see status_server.h).
#include "supervisor/status_server.h"

#include <fmt/format.h>

#include "supervisor/cluster_status.h"

namespace glmserve::supervisor {
namespace {

http::Response json_response(int status, std::string body) {
    return {.status = status, .content_type = "application/json", .body = std::move(body)};
}

}  // namespace

Result<std::unique_ptr<StatusServer>> StatusServer::start(const std::string& host, uint16_t port,
                                                          Supervisor& supervisor,
                                                          const obs::Registry& registry) {
    http::ServerConfig config;
    config.host = host;
    config.port = port;
    // The server's own refusals (431, 413, 408, ...): the status says it all, and the message
    // is left out so nothing needs escaping.
    config.error_body = [](int status, std::string /*message*/) {
        return json_response(status, fmt::format(R"({{"error":"HTTP {}"}})", status));
    };
    auto handler = [&supervisor, &registry](http::Request request,
                                            std::shared_ptr<http::ResponseWriter> writer) {
        const std::string_view path = request.path();
        const bool get = request.method == "GET" || request.method == "HEAD";
        if (path == "/rolling-restart") {
            if (request.method != "POST") {
                writer->send(json_response(405, R"({"error":"use POST"})"));
                return;
            }
            supervisor.rolling_restart();
            writer->send(json_response(202, R"({"rolling_restart":"requested"})"));
        } else if (path != "/metrics" && path != "/status" && path != "/health") {
            writer->send(json_response(404, R"({"error":"not found"})"));
        } else if (!get) {
            writer->send(json_response(405, R"({"error":"use GET"})"));
        } else if (path == "/metrics") {
            writer->send({.status = 200,
                          .content_type = std::string(obs::kPrometheusContentType),
                          .body = registry.render()});
        } else if (path == "/status") {
            writer->send(json_response(200, cluster_status_json(supervisor.status())));
        } else {
            writer->send(json_response(200, R"({"status":"ok"})"));
        }
    };
    Result<std::unique_ptr<http::Server>> server = http::Server::start(config, handler);
    if (!server.ok()) return server.status().with_context("status_listen");
    return std::unique_ptr<StatusServer>(new StatusServer(std::move(server).value()));
}

}  // namespace glmserve::supervisor
