// Edge protection of /v1/* requests, in the order a request meets it: an address in an abuse
// cool-down gets 403; with API keys configured, a missing or unknown key gets 401 (and counts
// toward the abuse guard); then the key's requests/min and tokens/min buckets must pay for the
// request, or it gets 429 with Retry-After.
// Thread: any thread (the runtime's members are thread-safe).
#pragma once

#include <cstdint>
#include <optional>

#include "gateway/gateway_runtime.h"
#include "http/server.h"

namespace glmserve::gateway {

struct EdgeVerdict {
    std::optional<http::Response> refusal;  // set: answer this and stop
    std::optional<size_t> key_index;        // the authenticated key (keys configured)
};

EdgeVerdict check_edge(GatewayRuntime& runtime, const http::Request& request,
                       int64_t estimated_tokens, Clock::time_point now);

}  // namespace glmserve::gateway
