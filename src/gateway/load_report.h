// LoadReport: what a glmserve replica says about its load on GET /v1/status (fields as
// src/server/info_routes.cpp writes them), used by the power-of-two-choices policy.
//
// Only two numbers matter to the balancer: prompt tokens queued (work not started) and the
// share of the KV cache in use (work running). Other OpenAI-compatible servers have no such
// route; parse_load_report() tells them apart so the gateway stops asking.
// Thread: values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace glmserve::gateway {

struct LoadReport {
    int64_t queued_tokens = 0;  // "queued_prompt_tokens"
    double kv_usage = 0.0;      // "kv_cache.usage", in [0, 1]
    int64_t waiting = 0;        // "waiting"
    int64_t running = 0;        // "running"
};

// The report in a /v1/status body, or nullopt when the body is not a glmserve status report
// (not JSON, or the fields are missing or of the wrong type). Values are clamped to their
// ranges: a replica's report is input from a peer.
std::optional<LoadReport> parse_load_report(std::string_view body);

}  // namespace glmserve::gateway
