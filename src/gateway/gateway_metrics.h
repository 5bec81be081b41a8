// GatewayMetrics: the gateway's Prometheus series, declared once (STYLE.md §8). The request
// path only does atomic adds on the references held here; per-upstream state that the pool
// owns (health, breaker, ejected, in flight) is copied into gauges by refresh() just before
// /metrics renders.
//
// Per-upstream series are labelled with the upstream's configured name (a short,
// operator-chosen string); the registry returns the same series for the same name, so they
// survive a config reload that keeps the upstream.
// Thread: every method from any thread; refresh() callers serialise among themselves (the
// /metrics handler; races only make two refreshes write the same values).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/upstream_pool.h"
#include "obs/metrics.h"

namespace glmserve::gateway {

struct UpstreamMetrics {
    obs::Counter& requests;        // attempts sent
    obs::Counter& errors_5xx;      // attempts answered 5xx
    obs::Counter& errors_connect;  // refused, reset, closed early or mid-response
    obs::Counter& errors_timeout;  // any timeout
    obs::Counter& retries;         // attempts retried on another upstream after this one
    obs::Counter& ejections;       // outlier ejections
    obs::Counter& breaker_opens;   // breaker went Open
    obs::Histogram& latency;       // seconds from sending to the response's end
    obs::Gauge& healthy;           // 1 unless the health checks say unhealthy
    obs::Gauge& available;         // 1 when it can take a request now
    obs::Gauge& ejected;           // 1 while ejected
    obs::Gauge& breaker_state;     // 0 closed, 1 half-open, 2 open
    obs::Gauge& in_flight;
    obs::Gauge& queued_tokens;  // from /v1/status
    obs::Gauge& kv_usage;       // from /v1/status
};

class GatewayMetrics {
public:
    explicit GatewayMetrics(obs::Registry& registry);

    obs::Registry& registry() { return registry_; }

    // The series of upstream `name` (created on first use).
    UpstreamMetrics& upstream(const std::string& name);

    // Copies `status` into the per-upstream gauges; `breaker_opens` grows by the increase of
    // each upstream's breaker_opens since the last refresh with the same `pool_id`.
    void refresh(const std::vector<UpstreamStatus>& status, const void* pool_id);

    obs::Counter& requests;       // client requests to /v1/*
    obs::Counter& responses_2xx;  // answers to /v1/* by class
    obs::Counter& responses_4xx;
    obs::Counter& responses_5xx;
    obs::Counter& auth_failures;         // 401
    obs::Counter& abuse_refused;         // 403 from the abuse guard
    obs::Counter& abuse_blocks_started;  // addresses put in a cool-down
    obs::Counter& rate_limited_requests;
    obs::Counter& rate_limited_tokens;
    obs::Counter& cache_hits;
    obs::Counter& cache_misses;
    obs::Counter& cache_bypass;            // Cache-Control: no-cache
    obs::Counter& retries;                 // all retries
    obs::Counter& retry_budget_exhausted;  // retries refused by the budget
    obs::Counter& no_upstream;             // 503: nothing available
    obs::Counter& stream_errors;           // streams ended by an upstream failure
    obs::Counter& config_reloads;
    obs::Counter& config_reload_errors;
    obs::Histogram& request_duration;  // seconds, client request to response end (/v1/*)

private:
    obs::Registry& registry_;
    std::mutex mu_;
    std::map<std::string, std::unique_ptr<UpstreamMetrics>> upstreams_;  // guarded by mu_
    const void* last_pool_ = nullptr;                                    // guarded by mu_
    std::map<std::string, int64_t> last_opens_;                          // guarded by mu_
};

}  // namespace glmserve::gateway
