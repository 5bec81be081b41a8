#include "engine/sampler.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace glmserve::engine {
namespace {

bool finite_in(float v, float lo, float hi) {
    return std::isfinite(v) && v >= lo && v <= hi;
}

}  // namespace

Status validate(const SamplingParams& p) {
    if (!finite_in(p.temperature, 0.0f, 100.0f)) {
        return invalid_argument(
            fmt::format("temperature must be in [0, 100], got {}", p.temperature));
    }
    if (p.top_k < 0) return invalid_argument(fmt::format("top_k must be >= 0, got {}", p.top_k));
    if (!finite_in(p.top_p, 0.0f, 1.0f) || p.top_p == 0.0f) {
        return invalid_argument(fmt::format("top_p must be in (0, 1], got {}", p.top_p));
    }
    if (!finite_in(p.min_p, 0.0f, 1.0f)) {
        return invalid_argument(fmt::format("min_p must be in [0, 1], got {}", p.min_p));
    }
    if (!finite_in(p.repetition_penalty, 0.0f, 100.0f) || p.repetition_penalty == 0.0f) {
        return invalid_argument(
            fmt::format("repetition_penalty must be in (0, 100], got {}", p.repetition_penalty));
    }
    if (!finite_in(p.presence_penalty, -2.0f, 2.0f)) {
        return invalid_argument(
            fmt::format("presence_penalty must be in [-2, 2], got {}", p.presence_penalty));
    }
    if (!finite_in(p.frequency_penalty, -2.0f, 2.0f)) {
        return invalid_argument(
            fmt::format("frequency_penalty must be in [-2, 2], got {}", p.frequency_penalty));
    }
    if (p.penalty_last_n < -1) {
        return invalid_argument(
            fmt::format("penalty_last_n must be >= -1, got {}", p.penalty_last_n));
    }
    return ok_status();
}

int32_t argmax(std::span<const float> logits) {
    int32_t best = 0;
    for (size_t i = 1; i < logits.size(); ++i) {
        if (logits[i] > logits[static_cast<size_t>(best)]) best = static_cast<int32_t>(i);
    }
    return best;
}

Sampler::Sampler(const SamplingParams& params) : params_(params), rng_state_(params.seed) {}

double Sampler::next_uniform() {
    // splitmix64 (Steele, Lea, Flood 2014); 53 high bits -> [0, 1).
    uint64_t z = (rng_state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) * 0x1.0p-53;
}

void Sampler::apply_penalties(std::span<float> logits, std::span<const int32_t> history) {
    const bool any = params_.repetition_penalty != 1.0f || params_.presence_penalty != 0.0f ||
                     params_.frequency_penalty != 0.0f;
    if (!any || history.empty()) return;
    size_t first = 0;
    if (params_.penalty_last_n >= 0 &&
        history.size() > static_cast<size_t>(params_.penalty_last_n)) {
        first = history.size() - static_cast<size_t>(params_.penalty_last_n);
    }
    counts_.assign(logits.size(), 0);
    for (size_t i = first; i < history.size(); ++i) {
        const int32_t id = history[i];
        if (id >= 0 && static_cast<size_t>(id) < logits.size()) ++counts_[static_cast<size_t>(id)];
    }
    for (size_t id = 0; id < logits.size(); ++id) {
        const int32_t c = counts_[id];
        if (c == 0) continue;
        float& l = logits[id];
        l = l > 0.0f ? l / params_.repetition_penalty : l * params_.repetition_penalty;
        l -= static_cast<float>(c) * params_.frequency_penalty + params_.presence_penalty;
    }
}

int32_t Sampler::sample(std::span<float> logits, std::span<const int32_t> history) {
    apply_penalties(logits, history);
    if (params_.temperature <= 0.0f) return argmax(logits);
    return draw(logits);
}

int32_t Sampler::draw(std::span<const float> logits) {
    // Candidates sorted by logit (ties: lower id first), so the result is independent of any
    // unspecified sort order.
    candidates_.resize(logits.size());
    for (size_t i = 0; i < logits.size(); ++i) {
        candidates_[i] = {static_cast<int32_t>(i), logits[i] / params_.temperature, 0.0f};
    }
    auto by_logit = [](const Candidate& a, const Candidate& b) {
        return a.logit != b.logit ? a.logit > b.logit : a.id < b.id;
    };
    size_t n = candidates_.size();
    if (params_.top_k > 0 && static_cast<size_t>(params_.top_k) < n) {
        n = static_cast<size_t>(params_.top_k);
        std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<ptrdiff_t>(n),
                          candidates_.end(), by_logit);
    } else {
        std::sort(candidates_.begin(), candidates_.end(), by_logit);
    }
    // Softmax over the kept candidates.
    const float max_logit = candidates_[0].logit;
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) {
        candidates_[i].p = std::exp(candidates_[i].logit - max_logit);
        sum += candidates_[i].p;
    }
    // top-p: the smallest prefix whose mass reaches top_p; min-p: relative to the top token.
    size_t keep = n;
    double cumulative = 0.0;
    const double min_p_abs = params_.min_p * (candidates_[0].p / sum);
    for (size_t i = 0; i < n; ++i) {
        const double p = candidates_[i].p / sum;
        if (i > 0 && p < min_p_abs) {
            keep = i;
            break;
        }
        cumulative += p;
        if (cumulative >= params_.top_p) {
            keep = i + 1;
            break;
        }
    }
    double kept_mass = 0.0;
    for (size_t i = 0; i < keep; ++i) kept_mass += candidates_[i].p;
    const double target = next_uniform() * kept_mass;
    double acc = 0.0;
    for (size_t i = 0; i < keep; ++i) {
        acc += candidates_[i].p;
        if (target < acc) return candidates_[i].id;
    }
    return candidates_[keep - 1].id;
}

}  // namespace glmserve::engine
