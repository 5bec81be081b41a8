#include "server/run_serve.h"

#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "common/signals.h"
#include "obs/event_log.h"
#include "obs/logging.h"
#include "server/openai_server.h"

namespace glmserve::server {
namespace {

using namespace std::chrono_literals;

nlohmann::json effective_config(const ServeConfig& c, const OpenAiServer& server) {
    const engine::SchedulerConfig& e = server.config().engine;
    return {{"model", c.model_path},
            {"model_name", c.model_name},
            {"listen", fmt::format("{}:{}", c.http.host, server.port())},
            {"threads", c.threads},
            {"io_threads", c.http.io_threads},
            {"tls", c.http.tls.enabled()},
            {"mutual_tls", !c.http.tls.client_ca_file.empty()},
            {"n_ctx", e.n_ctx},
            {"kv_bytes", e.kv_bytes},
            {"block_size", e.block_size},
            {"prefix_cache", e.prefix_cache},
            {"max_batch_tokens", e.max_batch_tokens},
            {"max_running", e.max_running},
            {"max_queue", e.max_waiting},
            {"max_queued_tokens", e.max_queued_tokens},
            {"max_body_bytes", c.http.limits.max_body_bytes},
            {"max_header_bytes", c.http.limits.max_header_bytes},
            {"max_connections", c.http.limits.max_connections},
            {"api_keys", !c.api_key_file.empty()},
            {"drain_timeout_s", c.drain_timeout.count() / 1000.0},
            {"slow_threshold_s", c.slow_threshold.count() / 1000.0},
            {"watchdog_timeout_s", c.watchdog_timeout.count() / 1000.0}};
}

}  // namespace

Status run_serve(ServeConfig config, std::shared_ptr<const model::Model> model,
                 std::unique_ptr<tokenizer::Tokenizer> tokenizer) {
    const sigset_t signals = signal_set({SIGTERM, SIGINT, SIGHUP});
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    const ServeConfig logged = config;
    GS_ASSIGN_OR_RETURN(auto server, OpenAiServer::start(std::move(config), std::move(model),
                                                         std::move(tokenizer)));
    auto log = obs::logger("server");
    obs::log_event(*log, spdlog::level::info, "start", effective_config(logged, *server));
    log->info("listening on {}://{}:{}", logged.http.tls.enabled() ? "https" : "http",
              logged.http.host, server->port());

    int sig = 0;
    while (true) {
        sig = wait_for_signal(signals, 1s);
        if (sig == SIGHUP) {
            // Certificate rotation: the files at the same paths are read again.
            const Status reloaded = server->reload_tls();
            if (reloaded.ok()) {
                log->info("SIGHUP: TLS certificate reloaded for new connections");
            } else {
                log->warn("SIGHUP: {}", reloaded.to_string());
            }
        } else if (sig != 0) {
            break;
        }
    }
    log->info("signal {}: draining for up to {} s (a second signal exits now)", sig,
              logged.drain_timeout.count() / 1000.0);
    server->begin_drain();
    const auto give_up = std::chrono::steady_clock::now() + logged.drain_timeout;
    while (!server->idle() && std::chrono::steady_clock::now() < give_up) {
        const int next = wait_for_signal(signals, 50ms);
        if (next == SIGTERM || next == SIGINT) {
            log->warn("second signal: exiting without finishing the requests in flight");
            log->flush();
            _exit(130);
        }
    }
    if (!server->idle()) log->warn("drain timeout: cancelling the requests still running");
    server->stop();
    log->info("stopped");
    return ok_status();
}

}  // namespace glmserve::server
