#include "gateway/gateway_metrics.h"

namespace glmserve::gateway {
namespace {

obs::Counter& response_counter(obs::Registry& r, const char* code_class) {
    return r.counter("glmserve_gateway_responses_total",
                     "Answers to /v1/* requests by status class", {{"class", code_class}});
}

obs::Counter& upstream_error(obs::Registry& r, const std::string& name, const char* kind) {
    return r.counter("glmserve_gateway_upstream_errors_total",
                     "Failed attempts on an upstream by kind (5xx, connect, timeout)",
                     {{"upstream", name}, {"kind", kind}});
}

double breaker_value(CircuitBreaker::State s) {
    switch (s) {
        case CircuitBreaker::State::Closed: return 0;
        case CircuitBreaker::State::HalfOpen: return 1;
        case CircuitBreaker::State::Open: return 2;
    }
    return 0;
}

}  // namespace

GatewayMetrics::GatewayMetrics(obs::Registry& r)
    : requests(r.counter("glmserve_gateway_requests_total", "Client requests to /v1/*")),
      responses_2xx(response_counter(r, "2xx")),
      responses_4xx(response_counter(r, "4xx")),
      responses_5xx(response_counter(r, "5xx")),
      auth_failures(r.counter("glmserve_gateway_auth_failures_total",
                              "Requests refused with 401 (missing or unknown API key)")),
      abuse_refused(r.counter("glmserve_gateway_abuse_refused_total",
                              "Requests refused with 403 from addresses in an abuse cool-down")),
      abuse_blocks_started(r.counter("glmserve_gateway_abuse_blocks_total",
                                     "Cool-downs started after repeated auth failures")),
      rate_limited_requests(r.counter("glmserve_gateway_rate_limited_total",
                                      "Requests refused with 429 by a per-key limit",
                                      {{"limit", "requests"}})),
      rate_limited_tokens(r.counter("glmserve_gateway_rate_limited_total",
                                    "Requests refused with 429 by a per-key limit",
                                    {{"limit", "tokens"}})),
      cache_hits(r.counter("glmserve_gateway_cache_requests_total",
                           "Cacheable requests by cache result", {{"result", "hit"}})),
      cache_misses(r.counter("glmserve_gateway_cache_requests_total",
                             "Cacheable requests by cache result", {{"result", "miss"}})),
      cache_bypass(r.counter("glmserve_gateway_cache_requests_total",
                             "Cacheable requests by cache result", {{"result", "bypass"}})),
      retries(r.counter("glmserve_gateway_retries_total", "Attempts retried on another upstream")),
      retry_budget_exhausted(r.counter("glmserve_gateway_retry_budget_exhausted_total",
                                       "Retries not made because the retry budget was spent")),
      no_upstream(r.counter("glmserve_gateway_no_upstream_total",
                            "Requests answered 503 because no upstream was available")),
      stream_errors(r.counter("glmserve_gateway_stream_errors_total",
                              "Responses cut by an upstream failure after they had started")),
      config_reloads(r.counter("glmserve_gateway_config_reloads_total", "Successful reloads")),
      config_reload_errors(
          r.counter("glmserve_gateway_config_reload_errors_total", "Reloads refused")),
      request_duration(r.histogram("glmserve_gateway_request_duration_seconds",
                                   "Client request to the end of its response (/v1/*)",
                                   obs::latency_buckets_seconds())),
      registry_(r) {}

UpstreamMetrics& GatewayMetrics::upstream(const std::string& name) {
    std::lock_guard lock(mu_);
    auto& slot = upstreams_[name];
    if (slot) return *slot;
    obs::Registry& r = registry_;
    const obs::Labels l = {{"upstream", name}};
    slot = std::unique_ptr<UpstreamMetrics>(new UpstreamMetrics{
        .requests = r.counter("glmserve_gateway_upstream_requests_total",
                              "Attempts sent to an upstream", l),
        .errors_5xx = upstream_error(r, name, "5xx"),
        .errors_connect = upstream_error(r, name, "connect"),
        .errors_timeout = upstream_error(r, name, "timeout"),
        .retries = r.counter("glmserve_gateway_upstream_retries_total",
                             "Attempts on an upstream that were retried elsewhere", l),
        .ejections = r.counter("glmserve_gateway_upstream_ejections_total",
                               "Outlier ejections of an upstream", l),
        .breaker_opens = r.counter("glmserve_gateway_upstream_breaker_opens_total",
                                   "Times an upstream's circuit breaker opened", l),
        .latency = r.histogram("glmserve_gateway_upstream_latency_seconds",
                               "Attempt duration: sending the request to the response's end",
                               obs::latency_buckets_seconds(), l),
        .healthy = r.gauge("glmserve_gateway_upstream_healthy",
                           "1 unless active health checks find the upstream unhealthy", l),
        .available = r.gauge("glmserve_gateway_upstream_available",
                             "1 when the upstream can take a request now", l),
        .ejected = r.gauge("glmserve_gateway_upstream_ejected", "1 while ejected", l),
        .breaker_state = r.gauge("glmserve_gateway_upstream_breaker_state",
                                 "Circuit breaker: 0 closed, 1 half-open, 2 open", l),
        .in_flight =
            r.gauge("glmserve_gateway_upstream_in_flight", "Requests in flight to the upstream", l),
        .queued_tokens = r.gauge("glmserve_gateway_upstream_queued_tokens",
                                 "Prompt tokens queued on the upstream (its /v1/status)", l),
        .kv_usage = r.gauge("glmserve_gateway_upstream_kv_usage_ratio",
                            "KV cache in use on the upstream (its /v1/status)", l)});
    return *slot;
}

void GatewayMetrics::refresh(const std::vector<UpstreamStatus>& status, const void* pool_id) {
    std::vector<std::pair<UpstreamMetrics*, const UpstreamStatus*>> targets;
    for (const UpstreamStatus& s : status) targets.emplace_back(&upstream(s.name), &s);
    std::lock_guard lock(mu_);
    if (pool_id != last_pool_) {
        last_pool_ = pool_id;
        last_opens_.clear();  // a new pool's breakers count from zero
    }
    for (auto [m, s] : targets) {
        m->healthy.set(s->health == Health::Unhealthy ? 0 : 1);
        m->available.set(s->available ? 1 : 0);
        m->ejected.set(s->ejected ? 1 : 0);
        m->breaker_state.set(breaker_value(s->breaker));
        m->in_flight.set(static_cast<double>(s->in_flight));
        m->queued_tokens.set(s->load ? static_cast<double>(s->load->queued_tokens) : 0);
        m->kv_usage.set(s->load ? s->load->kv_usage : 0);
        int64_t& last = last_opens_[s->name];
        if (s->breaker_opens > last)
            m->breaker_opens.inc(static_cast<double>(s->breaker_opens - last));
        last = s->breaker_opens;
    }
}

}  // namespace glmserve::gateway
