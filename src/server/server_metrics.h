// The HTTP side's metrics (the engine's are in engine/scheduler_metrics.h): requests by route
// and status code with their duration, refusals by reason, and the connection counters of the
// HTTP layer. Routes are a fixed set (unknown paths count as "other") so labels stay bounded.
// Thread: any thread (the registry's series are atomic; label lookups take its lock once per
// request, never per token).
#pragma once

#include <string>
#include <string_view>

#include "http/server.h"
#include "obs/metrics.h"

namespace glmserve::server {

// The route label for a request path: the path itself for known routes, "other" otherwise.
std::string_view route_label(std::string_view path);

class ServerMetrics {
public:
    explicit ServerMetrics(obs::Registry& registry);

    void on_response(std::string_view route, int status, double seconds);
    // reason: unauthorized, forbidden, rate_limited, draining, bad_request, not_found,
    // too_large, timeout, ...
    void on_rejected(std::string_view reason);
    // Exposes the HTTP layer's connection counters, read at scrape time: `server` must outlive
    // every later render() (it does: /metrics is served by it).
    void watch(const http::Server& server);

    obs::Registry& registry() { return registry_; }

private:
    obs::Registry& registry_;
};

}  // namespace glmserve::server
