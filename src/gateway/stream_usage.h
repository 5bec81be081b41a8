// StreamUsage: how many tokens a streamed answer used, read from its SSE events as they pass
// through the gateway, so an API key's tokens-per-minute charge is settled for streams as it is
// for whole answers (whose usage.total_tokens the proxy reads).
//
// The server's own count wins: a data event whose JSON carries a "usage" object (OpenAI's
// stream_options.include_usage, glmserve's final chunk) gives usage.total_tokens. Without one
// the count is an estimate: the prompt estimate plus one token per data event other than
// [DONE] (OpenAI-compatible servers send about one token per chunk). Bytes that are not SSE,
// or one event over 256 KiB, stop the count; the up-front charge then stands.
// Memory: one partial event at most (the SSE parser's bound). Only events that mention a usage
// object are parsed as JSON.
// Thread: a value type; one owner.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "http/sse_parser.h"

namespace glmserve::gateway {

class StreamUsage {
public:
    StreamUsage();

    void feed(std::string_view bytes);

    // Tokens to charge: the reported total, else prompt_estimate + one per data event;
    // nullopt when the stream could not be read.
    std::optional<int64_t> total_tokens(int64_t prompt_estimate) const;

private:
    http::SseParser parser_;
    int64_t n_data_events_ = 0;
    std::optional<int64_t> reported_total_;
    bool unreadable_ = false;
};

}  // namespace glmserve::gateway
