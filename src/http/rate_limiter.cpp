// Token-bucket rate limiter per API key (see rate_limiter.h).
//
// Units: a bucket with a limit of L per minute holds at most L * 60000 units and gains L
// units per elapsed millisecond; one token (or one request) costs 60000 units. Integers keep
// refill, charges and retry_after exact; levels are clamped to [-kMaxDebtUnits, capacity],
// which with limits <= ApiKeys::kMaxPerMinute keeps every intermediate within int64.
#include "http/rate_limiter.h"

#include <algorithm>

#include "common/check.h"

namespace glmserve::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr int64_t kUnitsPerToken = 60'000;  // milliseconds per minute
constexpr int64_t kMaxDebtUnits = 1'000'000'000'000'000'000;

int64_t ceil_div(int64_t a, int64_t b) {
    return (a + b - 1) / b;  // a >= 0, b > 0
}

}  // namespace

std::vector<RateLimits> resolve_limits(const ApiKeys& keys, const RateLimits& defaults) {
    std::vector<RateLimits> limits;
    limits.reserve(keys.keys().size());
    for (const KeyInfo& key : keys.keys()) {
        limits.push_back({
            .requests_per_minute = key.requests_per_minute.value_or(defaults.requests_per_minute),
            .tokens_per_minute = key.tokens_per_minute.value_or(defaults.tokens_per_minute),
        });
    }
    return limits;
}

std::string_view limit_name(RateLimiter::Limit limit) {
    switch (limit) {
        case RateLimiter::Limit::None: return "none";
        case RateLimiter::Limit::Requests: return "requests";
        case RateLimiter::Limit::Tokens: return "tokens";
    }
    return "none";
}

RateLimiter::RateLimiter(std::vector<RateLimits> per_key, Clock clock) : clock_(std::move(clock)) {
    GS_CHECK(clock_ != nullptr);
    const auto now = clock_();
    keys_.reserve(per_key.size());
    for (const RateLimits& limits : per_key) {
        for (const int64_t limit : {limits.requests_per_minute, limits.tokens_per_minute}) {
            GS_CHECK(limit >= 0 && limit <= ApiKeys::kMaxPerMinute);
        }
        const auto full = [&](int64_t limit) {
            return Bucket{.limit = limit, .level = limit * kUnitsPerToken, .last_refill = now};
        };
        keys_.push_back({.requests = full(limits.requests_per_minute),
                         .tokens = full(limits.tokens_per_minute)});
    }
}

void RateLimiter::refill(Bucket& bucket, steady_clock::time_point now) {
    if (bucket.limit == 0 || now <= bucket.last_refill) return;
    const int64_t capacity = bucket.limit * kUnitsPerToken;
    const int64_t missing = capacity - bucket.level;
    const int64_t elapsed_ms =
        std::chrono::duration_cast<milliseconds>(now - bucket.last_refill).count();
    if (missing <= 0 || elapsed_ms >= ceil_div(missing, bucket.limit)) {
        bucket.level = capacity;
        bucket.last_refill = now;
        return;
    }
    bucket.level += elapsed_ms * bucket.limit;
    // Advance by whole milliseconds only, so the sub-millisecond remainder is not lost.
    bucket.last_refill += milliseconds(elapsed_ms);
}

int64_t RateLimiter::wait_ms(const Bucket& bucket, int64_t tokens) {
    if (bucket.limit == 0) return 0;
    // More than a minute of budget can never be in the bucket: ask for a full one instead.
    const int64_t deficit = std::min(tokens, bucket.limit) * kUnitsPerToken - bucket.level;
    return deficit <= 0 ? 0 : ceil_div(deficit, bucket.limit);
}

RateLimiter::Decision RateLimiter::try_acquire(size_t key_index, int64_t estimated_tokens) {
    const auto now = clock_();  // outside the lock: no callbacks under mu_
    const int64_t tokens = std::clamp<int64_t>(estimated_tokens, 0, ApiKeys::kMaxPerMinute);
    std::lock_guard lock(mu_);
    GS_CHECK(key_index < keys_.size());
    KeyBuckets& key = keys_[key_index];
    refill(key.requests, now);
    refill(key.tokens, now);
    const int64_t request_wait_ms = wait_ms(key.requests, 1);
    const int64_t token_wait_ms = wait_ms(key.tokens, tokens);
    if (request_wait_ms == 0 && token_wait_ms == 0) {
        if (key.requests.limit > 0) key.requests.level -= kUnitsPerToken;
        if (key.tokens.limit > 0) {
            key.tokens.level = std::max(key.tokens.level - tokens * kUnitsPerToken, -kMaxDebtUnits);
        }
        return {};
    }
    const int64_t wait = std::max(request_wait_ms, token_wait_ms);
    return {
        .allowed = false,
        .limit = token_wait_ms > request_wait_ms ? Limit::Tokens : Limit::Requests,
        .retry_after = std::chrono::seconds(std::max<int64_t>(1, ceil_div(wait, 1000))),
    };
}

void RateLimiter::adjust_tokens(size_t key_index, int64_t delta) {
    const auto now = clock_();
    const int64_t clamped = std::clamp(delta, -ApiKeys::kMaxPerMinute, ApiKeys::kMaxPerMinute);
    std::lock_guard lock(mu_);
    GS_CHECK(key_index < keys_.size());
    Bucket& bucket = keys_[key_index].tokens;
    if (bucket.limit == 0) return;
    refill(bucket, now);
    bucket.level = std::clamp(bucket.level - clamped * kUnitsPerToken, -kMaxDebtUnits,
                              bucket.limit * kUnitsPerToken);
}

}  // namespace glmserve::http
