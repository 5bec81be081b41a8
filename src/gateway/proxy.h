// The proxy path of one /v1/* request that passed the edge checks: pick an upstream, forward,
// stream the answer back as it arrives, retry elsewhere while nothing has reached the client.
//
// Retries go to an upstream not yet tried for this request, at most retries.max_attempts
// attempts in all, each one paid from the retry budget (a refused retry is counted), and only
// when another upstream is available. What is retried: refused or failed connections, an
// upstream that closed before answering, connect/first-byte timeouts, 502 and 503 answers, and
// 429 when another upstream is free. Error answers that may be retried are held (they are
// small) so that the last one can still be passed on when no retry is possible.
//
// Nothing is buffered on the way back: the response head is sent with the first body byte
// (so a first-byte timeout can still be retried) and each chunk is written as it arrives.
// A stream that breaks after it started (upstream died, between-chunk or total timeout) ends
// with an SSE `data: {"error": ...}` event when it is an event stream, or is cut (the client
// sees an incomplete chunked body) otherwise; either way it is counted and the client never
// hangs. The whole request is bounded by timeouts.total.
//
// A client that disconnects cancels the attempt in flight (its outcome tells nothing about the
// upstream). Every attempt is settled with the pool (breaker, outlier detector, in-flight
// counts) and counted in the metrics.
// Thread: start_proxy() from any thread; the request then runs on the upstream io_context.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "gateway/gateway_runtime.h"
#include "http/server.h"

namespace glmserve::gateway {

struct ProxyJob {
    http::Request request;
    std::shared_ptr<http::ResponseWriter> writer;
    std::string request_id;
    std::string affinity_key;
    bool stream = false;                   // the client asked for a streamed answer
    std::optional<std::string> cache_key;  // store a 200 answer under this key
    bool cache_miss = false;               // answer with X-Cache: MISS
    std::optional<size_t> key_index;       // API key, to settle its token charge
    int64_t estimated_tokens = 0;          // what the rate limiter charged
    int64_t estimated_prompt_tokens = 0;   // its prompt part (streams settle on it)
};

void start_proxy(std::shared_ptr<GatewayRuntime> runtime, ProxyJob job);

}  // namespace glmserve::gateway
