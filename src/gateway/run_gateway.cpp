#include "gateway/run_gateway.h"

#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/signals.h"
#include "gateway/gateway_server.h"
#include "obs/event_log.h"
#include "obs/logging.h"

namespace glmserve::gateway {
namespace {

using namespace std::chrono_literals;

double seconds(Millis ms) {
    return static_cast<double>(ms.count()) / 1000.0;
}

nlohmann::json effective_config(const GatewayConfig& c, uint16_t port) {
    nlohmann::json upstreams = nlohmann::json::array();
    for (const UpstreamConfig& u : c.upstreams) {
        upstreams.push_back({{"name", u.name},
                             {"url", u.url.to_string()},
                             {"weight", u.weight},
                             {"backup", u.backup}});
    }
    return {{"listen", fmt::format("{}:{}", c.host, port)},
            {"policy", c.policy},
            {"upstreams", std::move(upstreams)},
            {"health_path", c.health.enabled ? c.health.path : "off"},
            {"health_interval_s", seconds(c.health.interval)},
            {"max_attempts", c.retries.max_attempts},
            {"retry_budget_ratio", c.retries.budget_ratio},
            {"timeout_connect_s", seconds(c.timeouts.connect)},
            {"timeout_first_byte_s", seconds(c.timeouts.first_byte)},
            {"timeout_between_chunks_s", seconds(c.timeouts.between_chunks)},
            {"timeout_total_s", seconds(c.timeouts.total)},
            {"api_keys", !c.keys.api_key_file.empty()},
            {"cache_bytes", c.cache.max_bytes},
            {"max_connections", c.limits.max_connections},
            {"tls", c.tls.enabled()},
            {"mutual_tls", !c.tls.client_ca_file.empty()},
            {"upstream_tls_verify", c.upstream_tls.verify},
            {"upstream_client_cert", !c.upstream_tls.cert_file.empty()},
            {"drain_timeout_s", seconds(c.drain_timeout)}};
}

void reload(GatewayServer& server, const GatewayFlags& flags) {
    auto log = obs::logger("gateway");
    auto config = load_gateway_config(flags);
    Status status = config.ok() ? server.reload(*config) : config.status();
    if (!status.ok()) {
        log->error("reload refused, the previous config stays: {}", status.to_string());
        return;
    }
    obs::log_event(*log, spdlog::level::info, "reload", effective_config(*config, server.port()));
}

}  // namespace

Status run_gateway(const GatewayFlags& flags) {
    const sigset_t signals = signal_set({SIGTERM, SIGINT, SIGHUP});
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    GS_ASSIGN_OR_RETURN(GatewayConfig config, load_gateway_config(flags));
    const Millis drain_timeout = config.drain_timeout;
    const GatewayConfig logged = config;
    GS_ASSIGN_OR_RETURN(auto server, GatewayServer::start(std::move(config)));
    auto log = obs::logger("gateway");
    obs::log_event(*log, spdlog::level::info, "start", effective_config(logged, server->port()));
    log->info("listening on {}://{}:{}", logged.tls.enabled() ? "https" : "http", logged.host,
              server->port());

    int sig = 0;
    while (true) {
        sig = wait_for_signal(signals, 1s);
        if (sig == SIGHUP) {
            log->info("SIGHUP: reloading {}",
                      flags.config_file.empty() ? "(flags only)" : flags.config_file);
            reload(*server, flags);
        } else if (sig != 0) {
            break;
        }
    }
    log->info("signal {}: draining for up to {} s (a second signal exits now)", sig,
              seconds(drain_timeout));
    server->begin_drain();
    const auto give_up = std::chrono::steady_clock::now() + drain_timeout;
    while (!server->idle() && std::chrono::steady_clock::now() < give_up) {
        const int next = wait_for_signal(signals, 50ms);
        if (next == SIGTERM || next == SIGINT) {
            log->warn("second signal: exiting without finishing the requests in flight");
            log->flush();
            _exit(130);
        }
    }
    if (!server->idle()) log->warn("drain timeout: cutting the requests still running");
    server->stop();
    log->info("stopped");
    return ok_status();
}

}  // namespace glmserve::gateway
