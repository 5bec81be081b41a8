// One OpenAI-style streaming request: the request the load generator sends, and the
// StreamMeasurer that turns the response (status, body bytes as they arrive, the transport's
// final status) into a RequestRecord.
//
// Token events: each SSE chunk whose choices[0] carries non-empty text ("text" for
// /v1/completions, "delta.content" or "delta.reasoning_content" for /v1/chat/completions) is
// one token event; the first sets TTFT, each later one adds an inter-token gap. A server that
// batches several tokens into one chunk is measured per chunk, like other OpenAI-compatible
// benchmarks. A usage block (stream_options.include_usage) gives the token counts; otherwise
// the counts are the prompt source's estimate and the number of token events.
//
// Outcome rules (the transport statuses are http/client.h's):
//   transport Unavailable                       → ConnectError
//   transport DeadlineExceeded or Cancelled     → Timeout
//   transport DataLoss after a 200 head         → StreamCut; before any head → BadResponse
//   complete response, status != 200            → HttpError (the body's first bytes as error)
//   200, unparseable SSE/JSON, an "error" event → BadResponse
//   200, body ended without "data: [DONE]"      → StreamCut
// Times come in as arguments, so the measurer is tested without a network.
// Thread: one owner at a time (the connection's strand while the request is open).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bench/prompts.h"
#include "bench/request_record.h"
#include "common/status.h"
#include "http/client.h"
#include "http/sse_parser.h"

namespace glmserve::bench {

enum class ApiKind : uint8_t { Completions, ChatCompletions };

struct RequestParams {
    ApiKind api = ApiKind::Completions;
    std::string model = "default";
    std::string api_key;                // "Authorization: Bearer <key>" when not empty
    bool ignore_eos = false;            // ask for exact output lengths (vLLM, llama.cpp)
    std::optional<int64_t> max_tokens;  // for prompts that carry none
};

// The POST for one prompt: target, headers and the JSON body with "stream": true.
http::ClientRequest build_request(const RequestParams& params, const Prompt& prompt);

// Adds "Authorization: Bearer <api_key>" unless api_key is empty; every request the bench
// sends (measured or not) goes through here.
void add_api_key(const std::string& api_key, http::ClientRequest& request);

class StreamMeasurer {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    // start_s: the send time from the run's start; t0: the same instant on steady_clock.
    StreamMeasurer(ApiKind api, uint64_t index, double start_s, int64_t n_tokens_prompt_estimate,
                   TimePoint t0);

    void on_head(int http_status);
    void on_body(std::string_view bytes, TimePoint now);
    RequestRecord finish(const Status& transport, TimePoint now);

private:
    void on_event(const http::SseEvent& event, TimePoint now);
    void on_token(TimePoint now);
    void fail(std::string message);

    ApiKind api_;
    TimePoint t0_;
    TimePoint last_token_;
    RequestRecord record_;
    http::SseParser parser_;
    bool head_seen_ = false;
    bool saw_done_ = false;
    bool bad_ = false;  // BadResponse decided; later bytes are ignored
    int64_t n_token_events_ = 0;
    std::optional<int64_t> usage_prompt_;
    std::optional<int64_t> usage_completion_;
    std::string error_body_;  // first bytes of a non-200 body
};

}  // namespace glmserve::bench
