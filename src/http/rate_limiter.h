// Per-API-key rate limits: requests per minute and tokens (prompt + completion) per minute,
// each a token bucket that holds at most one minute of budget and refills continuously.
//
// A request is admitted only if both buckets can pay for it, and then both are charged. The
// token charge is an estimate made before generation; adjust_tokens() settles the difference
// afterwards, and an overrun leaves the bucket in debt, which delays the key's next request
// until refill pays it off. An estimate larger than a whole minute of budget is admitted once
// the bucket is full (and goes into debt) rather than refused forever.
//
// Arithmetic is exact: bucket levels are kept in 1/60000 of a token, so a limit of L per
// minute refills exactly L units per millisecond, and retry_after is the whole number of
// seconds (at least 1) after which the refused request would be admitted, were nothing else
// to happen in between.
// Memory is one pair of buckets per key, fixed at construction (no per-client state).
// Thread: every method may be called from any thread; one mutex guards all buckets (this runs
// once per request, not per token).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>
#include <vector>

#include "http/api_keys.h"

namespace glmserve::http {

struct RateLimits {
    int64_t requests_per_minute = 0;  // 0: unlimited
    int64_t tokens_per_minute = 0;    // prompt + completion; 0: unlimited
};

// Each key's limits, with the server's defaults where the key file gives none; indexed by
// KeyInfo::index.
std::vector<RateLimits> resolve_limits(const ApiKeys& keys, const RateLimits& defaults);

class RateLimiter {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;

    enum class Limit { None, Requests, Tokens };

    struct Decision {
        bool allowed = true;
        Limit limit = Limit::None;            // the limit that refused (the later one if both)
        std::chrono::seconds retry_after{0};  // >= 1 s when refused, 0 when allowed
    };

    // Buckets start full. `per_key[i]` are the limits of key index i.
    explicit RateLimiter(std::vector<RateLimits> per_key,
                         Clock clock = std::chrono::steady_clock::now);

    // Admits one request expected to use `estimated_tokens` (clamped to >= 0) and charges
    // both buckets, or refuses it and charges nothing. key_index < size() (GS_CHECK).
    Decision try_acquire(size_t key_index, int64_t estimated_tokens);

    // Settles the token charge once the request is done: delta = actual - estimated. A
    // positive delta may leave the bucket in debt; a negative one refunds, up to capacity.
    void adjust_tokens(size_t key_index, int64_t delta);

    size_t size() const { return keys_.size(); }

private:
    struct Bucket {
        int64_t limit = 0;  // per minute; 0: unlimited
        int64_t level = 0;  // in units of 1/kUnitsPerToken token; <= limit * kUnitsPerToken
        std::chrono::steady_clock::time_point last_refill;
    };
    struct KeyBuckets {
        Bucket requests;
        Bucket tokens;
    };

    static void refill(Bucket& bucket, std::chrono::steady_clock::time_point now);
    // Milliseconds until `bucket` can pay `tokens` (<= one minute of budget); 0 if it can now.
    static int64_t wait_ms(const Bucket& bucket, int64_t tokens);

    Clock clock_;
    mutable std::mutex mu_;
    std::vector<KeyBuckets> keys_;  // guarded by mu_ (the vector's size is fixed)
};

// "requests" / "tokens" / "none", for error messages and metric labels.
std::string_view limit_name(RateLimiter::Limit limit);

}  // namespace glmserve::http
