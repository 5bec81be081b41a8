// The gateway's status page: GET / serves one self-contained HTML page (inline CSS and JS, no
// external assets, so it works on an air-gapped host) that polls GET /gateway/status every two
// seconds and redraws a table of the upstreams: state, health, breaker, in flight, load and
// ejections, plus the gateway's request counters.
// Thread: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "gateway/gateway_runtime.h"

namespace glmserve::gateway {

std::string_view status_page_html();

// The JSON the page polls (also useful to scripts).
nlohmann::json gateway_status_json(GatewayRuntime& runtime, bool draining, Clock::time_point now);

}  // namespace glmserve::gateway
