#include "gateway/edge_guard.h"

#include <string>

#include "gateway/proxy_request.h"
#include "obs/logging.h"

namespace glmserve::gateway {

EdgeVerdict check_edge(GatewayRuntime& rt, const http::Request& request, int64_t estimated_tokens,
                       Clock::time_point now) {
    GatewayMetrics& m = rt.metrics();
    const std::string& address = request.remote_address;
    if (rt.abuse_guard().with([&](AbuseGuard& g) { return g.blocked(address, now); })) {
        m.abuse_refused.inc();
        return {.refusal = error_response(403, "too many failed authentications from this address",
                                          "permission_error", "address_blocked"),
                .key_index = std::nullopt};
    }
    if (!rt.keys().enabled()) return {};
    const http::KeyInfo* key = rt.keys().authenticate(request.header("Authorization").value_or(""));
    if (key == nullptr) {
        m.auth_failures.inc();
        const bool started = rt.abuse_guard().with([&](AbuseGuard& g) {
            const bool was = g.blocked(address, now);
            g.on_auth_failure(address, now);
            return !was && g.blocked(address, now);
        });
        if (started) {
            m.abuse_blocks_started.inc();
            obs::logger("gateway")->warn(
                "address {} blocked for {} s after repeated authentication failures", address,
                std::chrono::duration_cast<std::chrono::seconds>(rt.config().abuse.cooldown)
                    .count());
        }
        http::Response r = error_response(401, "missing or unknown API key", "authentication_error",
                                          "invalid_api_key");
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
        return {.refusal = std::move(r), .key_index = std::nullopt};
    }
    const http::RateLimiter::Decision d =
        rt.rate_limiter().try_acquire(key->index, estimated_tokens);
    if (!d.allowed) {
        const bool tokens = d.limit == http::RateLimiter::Limit::Tokens;
        (tokens ? m.rate_limited_tokens : m.rate_limited_requests).inc();
        http::Response r = error_response(
            429,
            fmt::format("rate limit of key {} reached ({} per minute)", key->name,
                        http::limit_name(d.limit)),
            "rate_limit_error", tokens ? "tokens_per_minute" : "requests_per_minute");
        r.headers.emplace_back("Retry-After", std::to_string(d.retry_after.count()));
        return {.refusal = std::move(r), .key_index = std::nullopt};
    }
    return {.refusal = std::nullopt, .key_index = key->index};
}

}  // namespace glmserve::gateway
