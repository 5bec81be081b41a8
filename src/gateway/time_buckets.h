// Time buckets: the fixed-memory sliding windows of the circuit breaker and the retry budget.
// Time is cut into buckets of a fixed width, numbered by epoch (now / width, floored); a ring of
// N buckets keeps the last N epochs, each bucket remembering which epoch its counts belong to.
// Thread: pure functions over the caller's ring (callers lock).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace glmserve::gateway {

// The epoch of `now` for buckets of `width`: floor, not truncation, so time points before the
// clock's epoch land in the right bucket too.
inline int64_t bucket_epoch(std::chrono::steady_clock::time_point now,
                            std::chrono::steady_clock::duration width) {
    const std::chrono::steady_clock::duration since = now.time_since_epoch();
    int64_t epoch = since / width;
    if (since % width < std::chrono::steady_clock::duration::zero()) --epoch;
    return epoch;
}

// The ring's bucket for `epoch`, reset first when it still holds an older epoch's counts.
// Bucket: an aggregate with an `int64_t epoch` member, zero counts by default.
template <class Bucket, size_t N>
Bucket& bucket_for(std::array<Bucket, N>& ring, int64_t epoch) {
    int64_t slot = epoch % static_cast<int64_t>(N);
    if (slot < 0) slot += static_cast<int64_t>(N);
    Bucket& b = ring[static_cast<size_t>(slot)];
    if (b.epoch != epoch) b = Bucket{.epoch = epoch};
    return b;
}

}  // namespace glmserve::gateway
