// Log-probabilities of the model's distribution, for the API's `logprobs`: the log-softmax of
// the raw logits, before penalties and temperature (what OpenAI-compatible servers report).
// Thread: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace glmserve::engine {

// log Σ_i exp(logits[i]), computed stably (max-subtracted, summed in double).
float log_normalizer(std::span<const float> logits);

// The k most likely tokens as (id, logprob), highest first; ties towards the lower id.
void top_logprobs(std::span<const float> logits, float log_normalizer, int32_t k,
                  std::vector<std::pair<int32_t, float>>& out);

}  // namespace glmserve::engine
