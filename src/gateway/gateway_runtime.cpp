#include "gateway/gateway_runtime.h"

#include <algorithm>

#include "gateway/decision_options.h"
#include "http/tls_context.h"
#include "obs/logging.h"

namespace glmserve::gateway {
namespace {

constexpr size_t kMaxIdleConnectionsPerUpstream = 64;

// Read afresh on every reload, so a rotated client certificate or CA file takes effect.
Result<std::shared_ptr<http::TlsContext>> upstream_tls_context(const GatewayConfig& c) {
    const bool any_https = std::any_of(c.upstreams.begin(), c.upstreams.end(),
                                       [](const UpstreamConfig& u) { return u.url.is_https(); });
    if (!any_https) return std::shared_ptr<http::TlsContext>();
    auto tls = http::TlsContext::for_client(c.upstream_tls);
    if (!tls.ok()) return tls.status().with_context("upstream_tls");
    if (!c.upstream_tls.verify) {
        obs::logger("gateway")->warn(
            "upstream_tls.verify is false: upstream certificates are not checked, so a "
            "man in the middle can read and change upstream traffic");
    }
    return tls;
}

}  // namespace

GatewayRuntime::GatewayRuntime(Passkey, GatewayConfig config, boost::asio::io_context& io,
                               GatewayMetrics& metrics)
    : config_(std::move(config)), io_(io), metrics_(metrics) {}

Result<std::shared_ptr<GatewayRuntime>> GatewayRuntime::create(GatewayConfig config,
                                                               boost::asio::io_context& io,
                                                               GatewayMetrics& metrics,
                                                               const GatewayRuntime* previous) {
    http::ApiKeys keys;
    if (!config.keys.api_key_file.empty()) {
        auto loaded = http::ApiKeys::load(config.keys.api_key_file);
        if (!loaded.ok()) return loaded.status().with_context("keys.api_key_file");
        keys = std::move(loaded).value();
    }
    GS_ASSIGN_OR_RETURN(auto upstream_tls, upstream_tls_context(config));
    auto rt = std::make_shared<GatewayRuntime>(Passkey{}, std::move(config), io, metrics);
    const GatewayConfig& c = rt->config_;
    rt->keys_ = std::move(keys);
    rt->rate_limiter_ = std::make_unique<http::RateLimiter>(http::resolve_limits(
        rt->keys_,
        {.requests_per_minute = c.keys.default_rpm, .tokens_per_minute = c.keys.default_tpm}));
    rt->pool_ = std::make_shared<UpstreamPool>(c);
    if (previous != nullptr) rt->pool_->carry_over(*previous->pool_);
    rt->connections_ =
        std::make_unique<ConnectionCache>(io, c, kMaxIdleConnectionsPerUpstream, upstream_tls);
    rt->retry_budget_ = std::make_unique<Guarded<RetryBudget>>(retry_budget_options(c.retries));
    if (previous != nullptr && previous->config_.abuse == c.abuse) {
        rt->abuse_guard_ = previous->abuse_guard_;
    } else {
        rt->abuse_guard_ = std::make_shared<Guarded<AbuseGuard>>(
            c.abuse.max_failures, c.abuse.window, c.abuse.cooldown, c.abuse.max_tracked);
    }
    if (c.cache.max_bytes > 0) {
        if (previous != nullptr && previous->config_.cache == c.cache) {
            rt->cache_ = previous->cache_;
        } else {
            rt->cache_ = std::make_shared<Guarded<ResponseCache>>(
                static_cast<size_t>(c.cache.max_bytes), c.cache.ttl, c.cache.max_entries);
        }
    }
    for (const UpstreamConfig& u : c.upstreams) {
        rt->upstream_metrics_.push_back(&metrics.upstream(u.name));
    }
    rt->health_checker_ = HealthChecker::start(io, rt->pool_, c, upstream_tls);
    return rt;
}

void GatewayRuntime::shutdown() {
    health_checker_->stop();
}

}  // namespace glmserve::gateway
