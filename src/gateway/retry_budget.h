// Retry budget: bounds retries to a share of recent requests so that a brown-out, where every
// replica fails some requests, does not turn into a retry storm that multiplies the load on
// the replicas that are still up (issue #6; after Finagle's and Linkerd's retry budgets).
//
// A retry is allowed while the retries already made in the sliding window stay below
//   max(min_per_window, floor(ratio * requests in the window)),
// so at low traffic a few retries always go through, and at high traffic retries never exceed
// `ratio` of requests. A refused retry is counted as an exhaustion (a metric) and not recorded.
//
// The window is kWindowBuckets buckets of window/kWindowBuckets each: memory is fixed, and an
// event leaves the window between 0.9 and 1.0 `window` after it happened (exactly `window`
// when it lands on a bucket boundary).
//
// Time is passed in (`now`), never read, so tests drive it explicitly.
// Thread: thread-compatible; the caller serialises all calls.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

#include "common/status.h"

namespace glmserve::gateway {

using Clock = std::chrono::steady_clock;

struct RetryBudgetOptions {
    double ratio = 0.2;                                 // retries <= ratio * requests, in [0, 10]
    Clock::duration window = std::chrono::seconds(10);  // requests and retries counted over this
    int min_per_window = 10;                            // retries always allowed per window, >= 0
};

// Checks each field's range; the message names the bad field.
Status validate(const RetryBudgetOptions& options);

class RetryBudget {
public:
    static constexpr int kWindowBuckets = 10;

    // The arguments must pass validate() (GS_CHECK): config parsing reports bad values first.
    RetryBudget(double ratio, Clock::duration window, int min_per_window);
    explicit RetryBudget(const RetryBudgetOptions& options)
        : RetryBudget(options.ratio, options.window, options.min_per_window) {}

    // Counts one client request (the first attempt, not retries).
    void on_request(Clock::time_point now);

    // Takes one retry from the budget: true when allowed (and counted), false when the budget
    // is spent (counted in exhausted()).
    bool try_retry(Clock::time_point now);

    // Retries refused since construction.
    int64_t exhausted() const { return exhausted_; }

    // Requests and retries in the window at `now` (the status page, tests).
    int64_t requests_in_window(Clock::time_point now) const;
    int64_t retries_in_window(Clock::time_point now) const;
    // Retries still allowed at `now`.
    int64_t available(Clock::time_point now) const;

private:
    struct Bucket {
        int64_t epoch = -1;  // which bucket-width slice of time these counts belong to
        int64_t requests = 0;
        int64_t retries = 0;
    };

    Bucket& bucket_at(Clock::time_point now);
    int64_t epoch_of(Clock::time_point now) const;
    // Sum of `field` over the buckets still inside the window at `now`.
    int64_t sum(int64_t Bucket::*field, Clock::time_point now) const;

    double ratio_;
    int min_per_window_;
    Clock::duration bucket_width_;
    int64_t exhausted_ = 0;
    std::array<Bucket, kWindowBuckets> buckets_{};  // ring indexed by epoch % kWindowBuckets
};

}  // namespace glmserve::gateway
