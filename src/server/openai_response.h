// OpenAI response bodies: completions and chat completions (whole and streamed as SSE chunks),
// /v1/models, /tokenize and /detokenize.
//
// Every function returns compact JSON text (one line, so it fits one SSE `data:` line). Strings
// go through nlohmann::json and are dumped with error_handler_t::replace: token text is the
// token's decoded bytes and may be invalid UTF-8 (half an emoji), which becomes U+FFFD instead
// of throwing. The chat logprobs format also carries each token's raw bytes (`bytes`), so the
// client can rebuild such characters; the completions format has no such field.
//
// Shapes (OpenAI's):
//   completion  {"id","object":"text_completion","created","model","choices":[{"index","text",
//               "logprobs":null|{"tokens","token_logprobs","top_logprobs":[{tok:lp}],
//               "text_offset"},"finish_reason"}],"usage"}
//   chat        {"id","object":"chat.completion",...,"choices":[{"index","message":{"role":
//               "assistant","content"},"logprobs":null|{"content":[{"token","logprob","bytes",
//               "top_logprobs":[{"token","logprob","bytes"}]}]},"finish_reason"}],"usage"}
//   chunks      the same with "object":"text_completion" (completions) or
//               "chat.completion.chunk" (chat, with "delta" in place of "message");
//               finish_reason null until the last chunk of a choice.
//   usage chunk {"choices":[],"usage":{...}} sent last when stream_options.include_usage.
//   usage       {"prompt_tokens","completion_tokens","total_tokens"[,"prompt_tokens_details":
//               {"cached_tokens"}]}
//
// finish_reason is passed through as given ("stop", "length", "timeout", "cancelled"); an empty
// one is written as null. Logprobs that are not finite or below kMinLogprob (a token sampling
// could not pick) are written as kMinLogprob: JSON has no -Infinity, and -9999 is what OpenAI
// and vLLM send. In the completions top_logprobs map a token text that appears twice (two ids
// decoding to the same text) keeps its first, most likely, entry.
// Thread: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/api_error.h"
#include "server/openai_request.h"

namespace glmserve::server {

inline constexpr float kMinLogprob = -9999.0f;
inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";

struct Usage {
    int64_t prompt_tokens = 0;
    int64_t completion_tokens = 0;
    std::optional<int64_t> cached_prompt_tokens;  // prompt tokens served from the prefix cache
};

struct TopLogprob {
    std::string token;  // decoded bytes, possibly invalid UTF-8
    float logprob = 0.0f;
};

struct TokenLogprob {
    std::string token;  // decoded bytes of the chosen token, possibly invalid UTF-8
    float logprob = 0.0f;
    std::vector<TopLogprob> top;  // most likely first
};

// One finished choice of a non-streaming response.
struct Choice {
    int32_t index = 0;
    std::string text;
    std::string finish_reason;                          // "" → null
    std::optional<std::vector<TokenLogprob>> logprobs;  // nullopt: not requested → null
};

// Fields every response and chunk repeats. Views: the caller's strings, read during the call.
struct ResponseMeta {
    std::string_view id;  // make_completion_id()
    int64_t created = 0;  // unix seconds
    std::string_view model;
};

// One streamed piece of a choice.
struct ChoiceDelta {
    int32_t index = 0;
    std::string_view text;
    std::optional<std::string_view> finish_reason;  // nullopt: null (more to come)
    // Logprobs of the tokens behind `text`; written only when requested (else null).
    std::span<const TokenLogprob> logprobs;
    bool logprobs_requested = false;
    // Completions only: byte offset of `text` in the choice's text so far (text_offset values
    // continue from it).
    int64_t text_offset = 0;
};

// "<prefix>-<16 hex digits>", e.g. make_completion_id("chatcmpl", r) → "chatcmpl-00ab...".
std::string make_completion_id(std::string_view prefix, uint64_t random);

std::string completion_response(const ResponseMeta& meta, std::span<const Choice> choices,
                                const Usage& usage);
std::string chat_completion_response(const ResponseMeta& meta, std::span<const Choice> choices,
                                     const Usage& usage);

// Streaming, completions.
std::string completion_chunk(const ResponseMeta& meta, const ChoiceDelta& delta);
// Streaming, chat: the first chunk of a choice (delta {"role":"assistant","content":""}), text
// (delta {"content"}; finish_reason may ride along), and the last (delta {} + finish_reason).
std::string chat_chunk_role(const ResponseMeta& meta, int32_t index);
std::string chat_chunk_content(const ResponseMeta& meta, const ChoiceDelta& delta);
std::string chat_chunk_finish(const ResponseMeta& meta, int32_t index,
                              std::string_view finish_reason);
// The final usage chunk (choices: []), typed like the endpoint's other chunks.
std::string usage_chunk(const ResponseMeta& meta, Endpoint endpoint, const Usage& usage);

// "data: <json>\n\n". A line break inside `json` (never in our compact output) starts another
// data: line, which SSE readers join back with "\n".
std::string sse_event(std::string_view json);
// An error after the stream has started (the status line is already sent):
// "data: {"error":{...}}\n\n".
std::string sse_error_event(const ApiError& error);

struct ModelInfo {
    std::string id;
    int64_t created = 0;
    std::string owned_by = "glmserve";
    int64_t max_model_len = 0;  // n_ctx
};
// {"object":"list","data":[{"id","object":"model","created","owned_by","max_model_len"}]}
std::string models_response(std::span<const ModelInfo> models);

// {"tokens":[...],"count":N,"max_model_len":n_ctx}
std::string tokenize_response(std::span<const int32_t> tokens, int64_t max_model_len);
// {"prompt":"text"} (invalid UTF-8 replaced)
std::string detokenize_response(std::string_view text);

}  // namespace glmserve::server
