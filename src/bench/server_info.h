// What the load generator asks the server before a run, so that it measures what the user
// asked for:
//   - the model name, from GET /v1/models (OpenAI shape: {"object": "list", "data":
//     [{"id": "name", ...}, ...]}): the first entry's id. Our server refuses unknown names
//     with 404 model_not_found, so a guessed default fails every request.
//   - the tokenizer's tokens per word on the synthetic word stream, from POST /tokenize with
//     {"model", "prompt"} (glmserve and vLLM both answer {"tokens": [...], "count": n, ...}):
//     "count", or the length of "tokens" when count is absent. A byte-level vocabulary makes
//     two or more tokens of a word the usual BPE vocabularies keep whole.
// The parse_* functions are pure, so the shapes are tested without a network. A ratio outside
// [kMinTokensPerWord, kMaxTokensPerWord] is refused as a tokenizer that did not tokenize the
// text (it would make prompts tens of times too long or short).
// Thread: the network calls block their caller (fetch.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "bench/runner.h"
#include "common/status.h"

namespace glmserve::bench {

inline constexpr double kMinTokensPerWord = 0.05;
inline constexpr double kMaxTokensPerWord = 50;

// data[0].id of a /v1/models answer; NotFound when the list is empty.
Result<std::string> parse_models_reply(std::string_view body);

// The token count of a /tokenize answer.
Result<int64_t> parse_tokenize_reply(std::string_view body);

// GET /v1/models on config's endpoint; errors say what failed (transport, HTTP status, shape).
Result<std::string> discover_model(const RunnerConfig& config);

// POST /tokenize of `sample`, which holds n_words words, for `model`: its tokens per word.
Result<double> measure_tokens_per_word(const RunnerConfig& config, const std::string& model,
                                       const std::string& sample, int64_t n_words);

}  // namespace glmserve::bench
