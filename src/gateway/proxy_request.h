// Pure helpers of the proxy path: what of a client's request goes upstream and what of the
// upstream's answer goes back (hop-by-hop headers stay on their own hop, RFC 9110 §7.6.1),
// the affinity key and token estimate read from an OpenAI request body, and the OpenAI-style
// error bodies and SSE error event the gateway answers with itself.
// Thread: pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "http/client.h"
#include "http/server.h"

namespace glmserve::gateway {

// Connection, Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade (any case).
bool is_hop_by_hop(std::string_view header_name);

// The client's headers minus hop-by-hop ones, Host and Content-Length (the client sets them
// for the upstream hop), plus X-Request-Id and X-Forwarded-For.
std::vector<std::pair<std::string, std::string>> upstream_request_headers(
    const http::Request& request, std::string_view request_id);

// The upstream's response headers minus hop-by-hop ones, Content-Type and Content-Length (the
// gateway's writer sets those).
http::Headers client_response_headers(const http::ResponseHead& head);

// The value of `name` in `head` (case-insensitive), or "".
std::string_view response_header(const http::ResponseHead& head, std::string_view name);

// The prefix-affinity key: the first `prefix_chars` characters (bytes, cut on a UTF-8
// boundary) of the prompt as the model will read it: `prompt` for completions (the first
// element of a list), and for chat the messages' roles and text contents in order. The whole
// conversation rather than the last user message, because a replica's prefix cache holds
// the conversation's leading tokens (system prompt, earlier turns): that is what repeats.
// "" when the body has neither.
std::string affinity_key(const nlohmann::json& body, size_t prefix_chars);

// Tokens a request will cost before it runs (for per-key tokens/min): prompt characters / 4
// plus max_tokens (or max_completion_tokens; 256 when absent), times n.
int64_t estimate_tokens(const nlohmann::json& body);
// The prompt's share of that estimate (at least 1): a stream's settlement adds what it counts.
int64_t estimate_prompt_tokens(const nlohmann::json& body);

// usage.total_tokens of an OpenAI JSON response, when present.
std::optional<int64_t> usage_total_tokens(std::string_view body);

// {"error": {"message", "type", "code"}}.
std::string error_body(std::string_view message, std::string_view type, std::string_view code);
http::Response error_response(int status, std::string_view message, std::string_view type,
                              std::string_view code);

// `data: {"error": {...}}\n\n`: how a stream the upstream broke ends for the client.
std::string sse_error_event(std::string_view message, std::string_view code);

// A request id for requests that arrive without X-Request-Id: 16 random hex digits.
std::string mint_request_id();

}  // namespace glmserve::gateway
