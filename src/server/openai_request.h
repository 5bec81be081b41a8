// OpenAI request bodies → one validated GenerationRequest.
//
// POST /v1/completions and /v1/chat/completions bodies are parsed with nlohmann/json's
// non-throwing parser and checked field by field. Every problem is InvalidArgument whose
// message starts with the field path and ": " ("max_tokens: must be >= 1, got -5";
// "messages[2].content: must be a string or an array of content parts, got a number");
// api_error.h turns it into a 400 with `param` set to that path. Problems with the body as a
// whole ("request body is not valid JSON: ...") name no field. Unknown fields are ignored, as
// OpenAI-compatible servers do. Known fields we cannot honour are refused rather than ignored
// (never quietly fall back), on both endpoints: echo: true, best_of > 1, a non-empty suffix,
// logit_bias with entries, non-empty tools / functions, tool_calls in messages, response_format
// other than {"type":"text"}, role "tool"/"function", and image / audio / file content parts
// (the loaded model is text-only; a vision model lifts that later).
//
// Types are strict: booleans must be JSON booleans (no 0/1), numbers JSON numbers (no "0.5"),
// integers numbers with an integral value (1.0 is 1, 1.5 is refused); non-finite numbers (1e999
// parses as infinity) are refused. null for an optional field means absent.
//
// Rules where OpenAI leaves a choice:
// - An empty prompt ("" or []) is refused: the model needs at least one token to continue.
// - max_tokens and max_completion_tokens are synonyms on both endpoints; when both are given
//   they must be equal. 0 is refused (we have no echo, so it would return nothing); values above
//   INT32_MAX are refused; large values are clamped against the context later, not here.
// - Completions logprobs is an integer 0..max_logprobs (booleans refused); chat logprobs is a
//   boolean and top_logprobs (0..max_logprobs) needs logprobs: true.
// - stream_options (non-null) with stream false is refused, as OpenAI does.
// - seed takes any int64 or uint64; a negative seed is cast to uint64 (two's complement).
// - top_k -1 and 0 both mean off.
// - timeout is seconds (fractional allowed), > 0 and <= max_timeout; rounded up to whole ms.
// - role "developer" is treated as "system"; content null (or missing) only for assistant.
//
// Limits are the server's (RequestLimits): n, number of prompts, stop strings, their length,
// timeout, logprobs, messages. A JSON document nested deeper than max_json_depth is refused by a
// linear byte scan before the parser sees it, so `[[[[...` a million deep cannot exhaust the
// stack. Text must be valid UTF-8 (nlohmann rejects invalid UTF-8 in strings during parsing:
// the message says so).
// Thread: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/status.h"
#include "engine/sampler.h"
#include "tokenizer/chat_template.h"

namespace glmserve::server {

enum class Endpoint { Completions, ChatCompletions };

struct RequestLimits {
    int32_t max_n = 8;         // choices per prompt
    int32_t max_prompts = 16;  // array prompts in one completions request
    int32_t max_stop_strings = 16;
    int32_t max_stop_bytes = 256;  // each
    int32_t max_logprobs = 20;     // top alternatives per token
    int32_t max_json_depth = 64;
    int32_t max_messages = 1024;
    std::chrono::milliseconds default_timeout{600'000};  // when the request gives none
    std::chrono::milliseconds max_timeout{3'600'000};    // larger `timeout` values are refused
};

// One prompt: text to tokenize (completions string prompts; chat renders to text) or token ids.
using Prompt = std::variant<std::string, std::vector<int32_t>>;

struct GenerationRequest {
    Endpoint endpoint = Endpoint::Completions;
    std::string model;  // as given; "" when absent (the server's model is used)

    // Completions: one entry per prompt (string, array of strings, token ids, array of token-id
    // arrays). Chat: empty; `messages` holds the conversation to render.
    std::vector<Prompt> prompts;
    std::vector<tokenizer::ChatMessage> messages;

    std::optional<int32_t> max_tokens;  // max_tokens / max_completion_tokens; nullopt: up to n_ctx
    engine::SamplingParams sampling;    // temperature, top_p, top_k, min_p, penalties, seed
    bool has_seed = false;              // "seed" was given (otherwise the server picks one)
    std::vector<std::string> stop;      // stop strings (not included in the output)
    int32_t n = 1;
    bool ignore_eos = false;

    // Completions: logprobs = N (0..max) gives the chosen token's logprob and N alternatives.
    // Chat: logprobs = true (+ top_logprobs = N).
    bool logprobs = false;
    int32_t top_logprobs = 0;

    bool stream = false;
    bool include_usage = false;            // stream_options.include_usage
    std::chrono::milliseconds timeout{0};  // resolved: the request's, or the default
    std::string user;
};

// Parses and validates a request body for `endpoint`.
Result<GenerationRequest> parse_generation_request(std::string_view body, Endpoint endpoint,
                                                   const RequestLimits& limits);

// POST /tokenize {"prompt": "text" | "messages": [...], "add_special": bool,
// "add_generation_prompt": bool} (exactly one of prompt and messages; "" is a valid prompt) and
// POST /detokenize {"tokens": [ids]} (ids in [0, INT32_MAX]; the engine checks them against the
// vocabulary; [] is valid).
struct TokenizeRequest {
    std::optional<std::string> prompt;
    std::vector<tokenizer::ChatMessage> messages;  // used when prompt is absent
    bool add_special = true;
    bool add_generation_prompt = true;  // messages only: end with the assistant's turn opener
};
Result<TokenizeRequest> parse_tokenize_request(std::string_view body, const RequestLimits& limits);
Result<std::vector<int32_t>> parse_detokenize_request(std::string_view body,
                                                      const RequestLimits& limits);

}  // namespace glmserve::server
