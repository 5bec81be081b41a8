// HealthChecker: the active side of upstream health. Every `health.interval` it asks each
// upstream for `health.path` (/ready by default; any 2xx is a pass, anything else, a refused
// connection or a timeout a failure) and feeds the result to UpstreamPool::record_health, whose
// rise/fall hysteresis makes the verdict. When `health.poll_load` is on it then asks
// /v1/status for the load report p2c balances on; an upstream that answers with anything but a
// glmserve status report (llama.cpp, vLLM: 404) is not asked again.
//
// Each upstream has its own keep-alive connections and timer, so a hung replica delays only
// its own checks (by at most health.timeout). Verdict changes are logged (warn when an
// upstream turns unhealthy, since it means lost capacity).
// Thread: start()/stop() from any thread; the checks run on a strand of the given io_context.
// Callbacks hold weak pointers, so the checker may be destroyed while I/O is pending (stop()
// first: it cancels the timers and closes the connections).
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <memory>
#include <vector>

#include "gateway/gateway_config.h"
#include "gateway/upstream_pool.h"
#include "http/client.h"

namespace glmserve::gateway {

class HealthChecker : public std::enable_shared_from_this<HealthChecker> {
public:
    // Starts the first round of checks at once. Does nothing periodic when both health.enabled
    // and health.poll_load are off.
    // upstream_tls: for https upstreams (null when there are none).
    static std::shared_ptr<HealthChecker> start(boost::asio::io_context& io,
                                                std::shared_ptr<UpstreamPool> pool,
                                                const GatewayConfig& config,
                                                std::shared_ptr<http::TlsContext> upstream_tls);
    ~HealthChecker();

    HealthChecker(const HealthChecker&) = delete;
    HealthChecker& operator=(const HealthChecker&) = delete;

    void stop();

    // Use start(): only it can make a Passkey.
    class Passkey {
        friend class HealthChecker;
        Passkey() = default;
    };
    HealthChecker(Passkey, boost::asio::io_context& io, std::shared_ptr<UpstreamPool> pool,
                  const GatewayConfig& config,
                  const std::shared_ptr<http::TlsContext>& upstream_tls);

private:
    struct Target {
        std::shared_ptr<http::Connection> health_connection;
        std::shared_ptr<http::Connection> status_connection;
        std::unique_ptr<boost::asio::steady_timer> timer;
        bool polls_load = false;
    };

    void schedule(size_t index, Millis delay);
    void check(size_t index);
    void on_checked(size_t index, bool ok);
    void poll_load(size_t index);
    void on_load(size_t index, int status, const std::string& body, bool ok);

    boost::asio::strand<boost::asio::io_context::executor_type> strand_;
    std::shared_ptr<UpstreamPool> pool_;
    HealthConfig config_;
    std::vector<Target> targets_;  // fixed size; elements touched only on strand_
    std::atomic<bool> stopped_{false};
};

}  // namespace glmserve::gateway
