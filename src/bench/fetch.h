// fetch(): one plain request and its whole answer, for the calls the load generator makes
// before a run (GET /v1/models, POST /tokenize). It goes to the run's endpoint with the run's
// TLS context, timeouts (client_timeouts, runner.h) and API key, through the same
// http::Connection the measured requests use, on a fresh connection and io_context of its own.
// Nothing is measured; answers larger than kMaxFetchBodyBytes are refused.
// Thread: blocks its caller until the answer is in or a timeout passes.
#pragma once

#include <cstdint>
#include <string>

#include "bench/runner.h"
#include "common/status.h"
#include "http/client.h"

namespace glmserve::bench {

inline constexpr uint64_t kMaxFetchBodyBytes = uint64_t{8} << 20;

struct FetchReply {
    int http_status = 0;
    std::string body;
};

// A complete answer is a reply whatever its HTTP status; a transport failure is the client's
// status (http/client.h) with the method and URL as context.
Result<FetchReply> fetch(const RunnerConfig& config, http::ClientRequest request);

// The first bytes of a body on one line, for error messages.
std::string body_excerpt(const std::string& body);

}  // namespace glmserve::bench
