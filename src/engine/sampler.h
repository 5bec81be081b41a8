// Sampler: turns one row of logits into the next token.
//
// Order (as vLLM applies OpenAI's parameters): penalties on the raw logits (repetition as in
// CTRL — divide positive logits, multiply negative ones — then presence and frequency as
// OpenAI defines them), then temperature (0 = greedy argmax), then top-k, top-p (smallest set
// whose probability reaches p), min-p (drop tokens below min_p · p_max) on the tempered
// distribution, then a draw. Ties in ordering break towards the lower token id, and the
// generator is our own (splitmix64), so a seed gives the same tokens on every run and every
// machine, whatever else runs beside it.
// Thread: one Sampler per sequence; not shared.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/status.h"

namespace glmserve::engine {

struct SamplingParams {
    float temperature = 1.0f;         // 0: greedy
    int32_t top_k = 0;                // 0: off
    float top_p = 1.0f;               // 1: off
    float min_p = 0.0f;               // 0: off
    float repetition_penalty = 1.0f;  // 1: off
    float presence_penalty = 0.0f;
    float frequency_penalty = 0.0f;
    int32_t penalty_last_n = 64;  // history window for penalties; -1: the whole history
    uint64_t seed = 0;
};

// InvalidArgument naming the field for out-of-range values (negative temperature, top_p
// outside (0, 1], NaN, ...).
Status validate(const SamplingParams& params);

class Sampler {
public:
    explicit Sampler(const SamplingParams& params);

    // Picks a token from logits [n_vocab] (modified in place). `history` holds the tokens so
    // far (prompt and generated), the last penalty_last_n of which are penalised.
    int32_t sample(std::span<float> logits, std::span<const int32_t> history);

    // Uniform double in [0, 1) from the sampler's stream (exposed for tests).
    double next_uniform();

private:
    struct Candidate {
        int32_t id;
        float logit;
        float p;
    };
    void apply_penalties(std::span<float> logits, std::span<const int32_t> history);
    int32_t draw(std::span<const float> logits);

    SamplingParams params_;
    uint64_t rng_state_;
    std::vector<Candidate> candidates_;  // reused between calls
    std::vector<int32_t> counts_;        // per-token counts in the penalty window, reused
};

// Index of the largest value; the lowest index among equals.
int32_t argmax(std::span<const float> logits);

}  // namespace glmserve::engine
