#include "gateway/circuit_breaker.h"

#include <fmt/format.h>

#include "common/check.h"
#include "gateway/time_buckets.h"

namespace glmserve::gateway {

Status validate(const BreakerOptions& options) {
    if (options.window / CircuitBreaker::kWindowBuckets <= Clock::duration::zero()) {
        return invalid_argument("circuit breaker window must be positive");
    }
    if (options.min_requests < 1) {
        return invalid_argument(
            fmt::format("circuit breaker min_requests must be >= 1, got {}", options.min_requests));
    }
    if (!(options.failure_rate > 0.0 && options.failure_rate <= 1.0)) {
        return invalid_argument(fmt::format(
            "circuit breaker failure_rate must be in (0, 1], got {}", options.failure_rate));
    }
    if (options.open_duration <= Clock::duration::zero()) {
        return invalid_argument("circuit breaker open_duration must be positive");
    }
    if (options.half_open_probes < 1) {
        return invalid_argument(fmt::format("circuit breaker half_open_probes must be >= 1, got {}",
                                            options.half_open_probes));
    }
    return ok_status();
}

CircuitBreaker::CircuitBreaker(BreakerOptions options)
    : options_(options), bucket_width_(options.window / kWindowBuckets) {
    GS_CHECK(validate(options_).ok());
}

bool CircuitBreaker::try_acquire(Clock::time_point now) {
    advance(now);
    switch (state_) {
        case State::Closed: return true;
        case State::Open: return false;
        case State::HalfOpen:
            if (probes_in_flight_ >= options_.half_open_probes) return false;
            ++probes_in_flight_;
            return true;
    }
    return false;
}

void CircuitBreaker::on_success(Clock::time_point now) {
    advance(now);
    switch (state_) {
        case State::Closed: ++bucket_at(now).successes; break;
        case State::Open: break;  // admitted before it opened; says nothing new
        case State::HalfOpen:
            if (probes_in_flight_ > 0) --probes_in_flight_;
            if (++probe_successes_ >= options_.half_open_probes) close();
            break;
    }
}

void CircuitBreaker::on_failure(Clock::time_point now) {
    advance(now);
    switch (state_) {
        case State::Closed: {
            ++bucket_at(now).failures;
            const int64_t oldest_epoch = epoch_of(now) - kWindowBuckets + 1;
            int64_t successes = 0;
            int64_t failures = 0;
            for (const Bucket& b : buckets_) {
                if (b.epoch < oldest_epoch) continue;
                successes += b.successes;
                failures += b.failures;
            }
            const int64_t outcomes = successes + failures;
            if (outcomes >= options_.min_requests &&
                static_cast<double>(failures) >=
                    options_.failure_rate * static_cast<double>(outcomes)) {
                open(now);
            }
            break;
        }
        case State::Open: break;
        case State::HalfOpen: open(now); break;
    }
}

void CircuitBreaker::on_cancelled(Clock::time_point now) {
    advance(now);
    if (state_ == State::HalfOpen && probes_in_flight_ > 0) --probes_in_flight_;
}

CircuitBreaker::State CircuitBreaker::state(Clock::time_point now) const {
    if (state_ == State::Open && now - opened_at_ >= options_.open_duration) {
        return State::HalfOpen;
    }
    return state_;
}

void CircuitBreaker::advance(Clock::time_point now) {
    if (state_ == State::Open && now - opened_at_ >= options_.open_duration) {
        state_ = State::HalfOpen;
        probes_in_flight_ = 0;
        probe_successes_ = 0;
    }
}

void CircuitBreaker::open(Clock::time_point now) {
    state_ = State::Open;
    opened_at_ = now;
    probes_in_flight_ = 0;
    probe_successes_ = 0;
    ++times_opened_;
}

void CircuitBreaker::close() {
    state_ = State::Closed;
    probes_in_flight_ = 0;
    probe_successes_ = 0;
    // The failures that opened it are history: a recovered replica starts with a clean window.
    buckets_.fill(Bucket{});
}

CircuitBreaker::Bucket& CircuitBreaker::bucket_at(Clock::time_point now) {
    return bucket_for(buckets_, epoch_of(now));
}

int64_t CircuitBreaker::epoch_of(Clock::time_point now) const {
    return bucket_epoch(now, bucket_width_);
}

std::string_view breaker_state_name(CircuitBreaker::State state) {
    switch (state) {
        case CircuitBreaker::State::Closed: return "closed";
        case CircuitBreaker::State::Open: return "open";
        case CircuitBreaker::State::HalfOpen: return "half_open";
    }
    return "unknown";
}

}  // namespace glmserve::gateway
