// OpenAI request bodies → one validated GenerationRequest.
//
// POST /v1/completions and /v1/chat/completions bodies are parsed with nlohmann/json's
// non-throwing parser and checked field by field. Every problem is InvalidArgument whose
// message names the field ("max_tokens must be an integer >= 0, got -5"; "messages[2].content
// must be a string or an array of content parts"); ApiError (api_error.h) turns it into a 400
// with `param` set. Unknown fields are ignored, as OpenAI-compatible servers do. Known fields we
// cannot honour are refused rather than ignored (never quietly fall back): echo: true,
// best_of > 1, suffix, logit_bias with entries, tools / functions, response_format other than
// {"type":"text"}, and image / audio content parts (InvalidArgument saying the loaded model is
// text-only; a vision model lifts that later).
//
// Limits are the server's (RequestLimits): n, number of prompts, stop strings, their length,
// timeout, logprobs. A JSON document nested deeper than max_json_depth is refused before it is
// walked. Text must be valid UTF-8 (nlohmann rejects invalid UTF-8 in strings during parsing:
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
    int32_t max_n = 8;                  // choices per prompt
    int32_t max_prompts = 16;           // array prompts in one completions request
    int32_t max_stop_strings = 16;
    int32_t max_stop_bytes = 256;       // each
    int32_t max_logprobs = 20;          // top alternatives per token
    int32_t max_json_depth = 64;
    int32_t max_messages = 1024;
    std::chrono::milliseconds default_timeout{600'000};  // when the request gives none
    std::chrono::milliseconds max_timeout{3'600'000};     // larger `timeout` values are refused
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
    bool include_usage = false;  // stream_options.include_usage
    std::chrono::milliseconds timeout{0};  // resolved: the request's, or the default
    std::string user;
};

// Parses and validates a request body for `endpoint`.
Result<GenerationRequest> parse_generation_request(std::string_view body, Endpoint endpoint,
                                                   const RequestLimits& limits);

// POST /tokenize {"prompt": "text" | "messages": [...], "add_special": bool} and
// POST /detokenize {"tokens": [ids]}.
struct TokenizeRequest {
    std::optional<std::string> prompt;
    std::vector<tokenizer::ChatMessage> messages;  // used when prompt is absent
    bool add_special = true;
};
Result<TokenizeRequest> parse_tokenize_request(std::string_view body, const RequestLimits& limits);
Result<std::vector<int32_t>> parse_detokenize_request(std::string_view body,
                                                      const RequestLimits& limits);

}  // namespace glmserve::server
