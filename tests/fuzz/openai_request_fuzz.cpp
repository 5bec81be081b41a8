// libFuzzer target for the OpenAI request parser (server/openai_request.h): any body, for
// either endpoint and for /tokenize and /detokenize, must parse or fail with InvalidArgument,
// never crash; an accepted request must respect the limits it was parsed under, and every
// refusal must produce an error body that is valid JSON. A violation traps, so libFuzzer keeps
// the input.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "server/api_error.h"
#include "server/openai_request.h"

namespace {

using glmserve::Status;
using glmserve::StatusCode;
namespace server = glmserve::server;

void check_refusal(const Status& status) {
    if (status.code() != StatusCode::InvalidArgument) __builtin_trap();
    const std::string body = server::error_body_json(server::api_error_from_status(status));
    if (!nlohmann::json::accept(body)) __builtin_trap();
}

void check_generation(std::string_view body, server::Endpoint endpoint,
                      const server::RequestLimits& limits) {
    const auto r = server::parse_generation_request(body, endpoint, limits);
    if (!r.ok()) {
        check_refusal(r.status());
        return;
    }
    const server::GenerationRequest& q = *r;
    if (q.n < 1 || q.n > limits.max_n) __builtin_trap();
    if (q.stop.size() > static_cast<size_t>(limits.max_stop_strings)) __builtin_trap();
    for (const auto& s : q.stop) {
        if (s.empty() || s.size() > static_cast<size_t>(limits.max_stop_bytes)) __builtin_trap();
    }
    if (q.top_logprobs < 0 || q.top_logprobs > limits.max_logprobs) __builtin_trap();
    if (q.max_tokens && *q.max_tokens < 1) __builtin_trap();
    if (q.timeout.count() <= 0 || q.timeout > limits.max_timeout) __builtin_trap();
    if (endpoint == server::Endpoint::Completions) {
        if (q.prompts.empty() || q.prompts.size() > static_cast<size_t>(limits.max_prompts)) {
            __builtin_trap();
        }
    } else if (q.messages.empty() || q.messages.size() > static_cast<size_t>(limits.max_messages)) {
        __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view body(reinterpret_cast<const char*>(data), size);
    server::RequestLimits limits;
    limits.max_json_depth = 16;  // smaller than the default so the fuzzer reaches the limit
    check_generation(body, server::Endpoint::Completions, limits);
    check_generation(body, server::Endpoint::ChatCompletions, limits);
    const auto t = server::parse_tokenize_request(body, limits);
    if (!t.ok()) check_refusal(t.status());
    const auto d = server::parse_detokenize_request(body, limits);
    if (!d.ok()) check_refusal(d.status());
    return 0;
}
