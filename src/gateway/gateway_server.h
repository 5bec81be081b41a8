// GatewayServer: the running gateway — a hardened http::Server (src/http/server.h) on the
// client side, an io_context with its own threads for upstream connections and health checks,
// and the current GatewayRuntime (upstreams, policy, edge protection) that reload() swaps.
//
// Routes: /v1/* is proxied (edge checks, response cache, then proxy.h); GET /health (the
// gateway process is alive), GET /ready (200 while not draining and some upstream is
// available, else 503), GET /metrics (Prometheus), GET / (status page) and
// GET /gateway/status (its JSON). Anything else is 404.
//
// reload() keeps the listener and every open connection: only the runtime changes, and
// requests in flight finish on the runtime they started with. Listener settings (listen,
// io_threads, client limits) take a restart; reload() says so in its log line.
// Thread: every method from any thread except stop() (not from an io thread).
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "gateway/gateway_config.h"
#include "gateway/gateway_metrics.h"
#include "gateway/gateway_runtime.h"
#include "http/server.h"
#include "obs/metrics.h"

namespace glmserve::gateway {

class GatewayServer {
public:
    // Binds the listener and starts the health checks. Errors name the address or the key file.
    static Result<std::unique_ptr<GatewayServer>> start(GatewayConfig config);
    ~GatewayServer();  // stop()

    GatewayServer(const GatewayServer&) = delete;
    GatewayServer& operator=(const GatewayServer&) = delete;

    uint16_t port() const { return server_->port(); }
    obs::Registry& registry() { return registry_; }
    std::shared_ptr<GatewayRuntime> runtime() const;

    // Replaces the runtime with one built from `config`; on error the old one stays.
    Status reload(GatewayConfig config);

    // /ready turns 503 and the listener closes; requests in flight finish.
    void begin_drain();
    bool idle() const { return server_->n_active_requests() == 0; }
    void stop();

    // Use start(): only it can make a Passkey.
    class Passkey {
        friend class GatewayServer;
        Passkey() = default;
    };
    explicit GatewayServer(Passkey);

private:
    void handle(http::Request request, std::shared_ptr<http::ResponseWriter> writer);
    void handle_api(std::shared_ptr<GatewayRuntime> runtime, http::Request request,
                    std::shared_ptr<http::ResponseWriter> writer);
    http::Response ready_response(GatewayRuntime& runtime) const;

    obs::Registry registry_;
    GatewayMetrics metrics_;
    boost::asio::io_context io_;  // upstream side
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
    std::vector<std::thread> threads_;
    mutable std::mutex mu_;
    std::shared_ptr<GatewayRuntime> runtime_;  // guarded by mu_
    std::unique_ptr<http::Server> server_;
    std::atomic<bool> draining_{false};
    std::atomic<bool> stopped_{false};
};

}  // namespace glmserve::gateway
