// Per-replica circuit breaker: stops sending traffic to a replica whose recent requests mostly
// fail, then lets a few probe requests through to find out whether it has recovered (issue #6).
//
//   Closed ──(failure rate >= failure_rate over `window`, at least min_requests)──▶ Open
//   Open ──(open_duration elapsed)──▶ HalfOpen
//   HalfOpen ──(half_open_probes probes all succeed)──▶ Closed
//   HalfOpen ──(any probe fails)──▶ Open (the open timer restarts)
//
// Closed admits everything; Open refuses everything; HalfOpen admits at most half_open_probes
// requests at a time. Every admitted request must be settled exactly once with on_success,
// on_failure or on_cancelled (the last for a request that ended without a verdict, e.g. the
// client left), or half-open probe slots leak.
//
// The failure rate is counted in kWindowBuckets buckets of window/kWindowBuckets each, after
// Hystrix's rolling window: memory is fixed whatever the request rate, and an outcome leaves
// the window between 0.9 and 1.0 `window` after it happened (exactly `window` when it lands
// on a bucket boundary).
//
// Simplification: outcomes carry no ticket, so a result that arrives while HalfOpen from a
// request admitted before the breaker opened counts as a probe result. It was sent to the same
// replica moments ago, so it is evidence of the same kind; the cost is at most an early close
// or re-open.
//
// Time is passed in (`now`), never read, so tests drive it explicitly.
// Thread: thread-compatible; the caller serialises all calls (the gateway's health strand).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace glmserve::gateway {

using Clock = std::chrono::steady_clock;

struct BreakerOptions {
    Clock::duration window = std::chrono::seconds(10);  // failure rate is measured over this
    int min_requests = 20;      // no opening on fewer outcomes than this in the window
    double failure_rate = 0.5;  // in (0, 1]: opens when failures / outcomes >= this
    Clock::duration open_duration = std::chrono::seconds(5);  // Open → HalfOpen after this
    int half_open_probes = 1;  // concurrent probes in HalfOpen; this many successes close it
};

// Checks each field's range; the message names the bad field.
Status validate(const BreakerOptions& options);

class CircuitBreaker {
public:
    enum class State { Closed, Open, HalfOpen };

    static constexpr int kWindowBuckets = 10;

    // `options` must pass validate() (GS_CHECK): config parsing reports bad values first.
    explicit CircuitBreaker(BreakerOptions options);

    // May a request go to this replica now? True admits it (and, when HalfOpen, takes a probe
    // slot); the caller then settles it with exactly one on_* call.
    bool try_acquire(Clock::time_point now);

    void on_success(Clock::time_point now);
    void on_failure(Clock::time_point now);
    // An admitted request that ended without telling anything about the replica.
    void on_cancelled(Clock::time_point now);

    // The state a try_acquire at `now` would see (Open turns HalfOpen once its time is up).
    State state(Clock::time_point now) const;

    // How often the breaker has gone to Open (Closed → Open and HalfOpen → Open), for metrics.
    int64_t times_opened() const { return times_opened_; }
    // Probes admitted and not yet settled (0 unless HalfOpen).
    int probes_in_flight() const { return probes_in_flight_; }

private:
    struct Bucket {
        int64_t epoch = -1;  // which bucket-width slice of time these counts belong to
        int64_t successes = 0;
        int64_t failures = 0;
    };

    // Moves Open to HalfOpen when open_duration has passed.
    void advance(Clock::time_point now);
    void open(Clock::time_point now);
    void close();
    Bucket& bucket_at(Clock::time_point now);
    int64_t epoch_of(Clock::time_point now) const;

    BreakerOptions options_;
    Clock::duration bucket_width_;
    State state_ = State::Closed;
    Clock::time_point opened_at_{};
    int probes_in_flight_ = 0;
    int probe_successes_ = 0;
    int64_t times_opened_ = 0;
    std::array<Bucket, kWindowBuckets> buckets_{};  // ring indexed by epoch % kWindowBuckets
};

// "closed" / "open" / "half_open", for logs, metric labels and the status page.
std::string_view breaker_state_name(CircuitBreaker::State state);

}  // namespace glmserve::gateway
