// GatewayRuntime: everything one gateway configuration runs with — its upstream pool and
// health checker, keep-alive connections, retry budget and edge protection (API keys,
// per-key rate limits, abuse guard, response cache). A config reload builds a new runtime and
// swaps it in; requests in flight keep the old one alive through their shared_ptr, so no
// connection is dropped by a reload.
//
// What survives a reload: upstream health verdicts and load reports (same name and URL), and
// the abuse guard's and response cache's contents when their config section is unchanged.
// Rate-limit buckets and breaker/outlier state start fresh (simplification: rebuilding them
// is cheap and a reload is rare).
// Thread: the members are each safe to use from any thread (thread-compatible decision classes
// sit behind Guarded<>); the runtime itself is immutable after create().
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "gateway/abuse_guard.h"
#include "gateway/connection_cache.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_metrics.h"
#include "gateway/health_checker.h"
#include "gateway/response_cache.h"
#include "gateway/retry_budget.h"
#include "gateway/upstream_pool.h"
#include "http/api_keys.h"
#include "http/rate_limiter.h"

namespace glmserve::gateway {

// A thread-compatible object behind a mutex: guarded.with([](T& t) { ... }).
template <typename T>
class Guarded {
public:
    template <typename... Args>
    explicit Guarded(Args&&... args) : value_(std::forward<Args>(args)...) {}

    template <typename F>
    auto with(F&& f) {
        std::lock_guard lock(mu_);
        return f(value_);
    }

private:
    std::mutex mu_;
    T value_;  // guarded by mu_
};

class GatewayRuntime {
public:
    // Loads the API key file and starts health checks. `previous` (nullable) is the runtime
    // being replaced, whose state is carried over as the file comment says.
    static Result<std::shared_ptr<GatewayRuntime>> create(GatewayConfig config,
                                                          boost::asio::io_context& io,
                                                          GatewayMetrics& metrics,
                                                          const GatewayRuntime* previous);
    // Stops the health checks (requests in flight carry on). Call it while the io_context
    // runs, when the runtime is replaced or the gateway stops.
    void shutdown();

    GatewayRuntime(const GatewayRuntime&) = delete;
    GatewayRuntime& operator=(const GatewayRuntime&) = delete;

    const GatewayConfig& config() const { return config_; }
    boost::asio::io_context& io() const { return io_; }
    UpstreamPool& pool() const { return *pool_; }
    ConnectionCache& connections() const { return *connections_; }
    Guarded<RetryBudget>& retry_budget() const { return *retry_budget_; }
    const http::ApiKeys& keys() const { return keys_; }
    http::RateLimiter& rate_limiter() const { return *rate_limiter_; }
    Guarded<AbuseGuard>& abuse_guard() const { return *abuse_guard_; }
    // Null when the cache is off (cache.max_bytes 0).
    Guarded<ResponseCache>* cache() const { return cache_.get(); }
    GatewayMetrics& metrics() const { return metrics_; }
    UpstreamMetrics& upstream_metrics(size_t index) const { return *upstream_metrics_[index]; }

    // Use create(): only it can make a Passkey.
    class Passkey {
        friend class GatewayRuntime;
        Passkey() = default;
    };
    GatewayRuntime(Passkey, GatewayConfig config, boost::asio::io_context& io,
                   GatewayMetrics& metrics);

private:
    GatewayConfig config_;
    boost::asio::io_context& io_;
    GatewayMetrics& metrics_;
    std::shared_ptr<UpstreamPool> pool_;
    std::shared_ptr<HealthChecker> health_checker_;
    std::unique_ptr<ConnectionCache> connections_;
    std::unique_ptr<Guarded<RetryBudget>> retry_budget_;
    http::ApiKeys keys_;
    std::unique_ptr<http::RateLimiter> rate_limiter_;
    std::shared_ptr<Guarded<AbuseGuard>> abuse_guard_;  // shared with the next runtime
    std::shared_ptr<Guarded<ResponseCache>> cache_;     // shared with the next runtime
    std::vector<UpstreamMetrics*> upstream_metrics_;    // owned by metrics_
};

}  // namespace glmserve::gateway
