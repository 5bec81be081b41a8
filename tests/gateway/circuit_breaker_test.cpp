#include "gateway/circuit_breaker.h"

#include <gtest/gtest.h>

namespace glmserve::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using State = CircuitBreaker::State;

const Clock::time_point kT0 = Clock::time_point{} + std::chrono::hours(1);

BreakerOptions options() {
    return {.window = seconds(10),
            .min_requests = 10,
            .failure_rate = 0.5,
            .open_duration = seconds(5),
            .half_open_probes = 2};
}

// Sends n requests at `now`, of which `failures` fail (the failures last).
void record(CircuitBreaker& b, int n, int failures, Clock::time_point now) {
    for (int i = 0; i < n; ++i) {
        ASSERT_TRUE(b.try_acquire(now)) << i;
        if (i >= n - failures) {
            b.on_failure(now);
        } else {
            b.on_success(now);
        }
    }
}

// Drives a fresh breaker to Open at `now`.
void trip(CircuitBreaker& b, Clock::time_point now) {
    record(b, 10, 10, now);
    ASSERT_EQ(b.state(now), State::Open);
}

TEST(CircuitBreaker, StartsClosedAndAdmitsEverything) {
    CircuitBreaker b(options());
    EXPECT_EQ(b.state(kT0), State::Closed);
    for (int i = 0; i < 100; ++i) EXPECT_TRUE(b.try_acquire(kT0));
    EXPECT_EQ(b.times_opened(), 0);
}

TEST(CircuitBreaker, DoesNotOpenBeforeMinRequestsEvenAtFullFailureRate) {
    CircuitBreaker b(options());
    record(b, 9, 9, kT0);
    EXPECT_EQ(b.state(kT0), State::Closed);
    record(b, 1, 1, kT0);
    EXPECT_EQ(b.state(kT0), State::Open);
    EXPECT_EQ(b.times_opened(), 1);
}

TEST(CircuitBreaker, OpensExactlyWhenTheFailureRateReachesTheThreshold) {
    CircuitBreaker b(options());
    record(b, 6, 0, kT0);
    record(b, 5, 5, kT0);  // 5 of 11 failed: below 0.5
    EXPECT_EQ(b.state(kT0), State::Closed);
    record(b, 1, 1, kT0);  // 6 of 12: at 0.5
    EXPECT_EQ(b.state(kT0), State::Open);
}

TEST(CircuitBreaker, SuccessesAloneNeverOpen) {
    CircuitBreaker b(options());
    record(b, 1000, 0, kT0);
    EXPECT_EQ(b.state(kT0), State::Closed);
}

TEST(CircuitBreaker, FailuresOlderThanTheWindowDoNotCount) {
    CircuitBreaker b(options());
    record(b, 9, 9, kT0);
    // Nine failures at kT0 leave the window exactly 10 s later (kT0 sits on a bucket boundary).
    record(b, 1, 1, kT0 + seconds(10));
    EXPECT_EQ(b.state(kT0 + seconds(10)), State::Closed);
    // One bucket earlier they still count.
    CircuitBreaker c(options());
    record(c, 9, 9, kT0);
    record(c, 1, 1, kT0 + milliseconds(9999));
    EXPECT_EQ(c.state(kT0 + milliseconds(9999)), State::Open);
}

TEST(CircuitBreaker, SuccessesInTheWindowDiluteTheFailureRate) {
    CircuitBreaker b(options());
    record(b, 20, 0, kT0);
    record(b, 19, 19, kT0 + seconds(5));  // 19 of 39
    EXPECT_EQ(b.state(kT0 + seconds(5)), State::Closed);
    // The successes slide out; the failures alone now exceed the rate.
    record(b, 1, 1, kT0 + seconds(10));
    EXPECT_EQ(b.state(kT0 + seconds(10)), State::Open);
}

TEST(CircuitBreaker, OpenRefusesUntilOpenDurationThenTurnsHalfOpen) {
    CircuitBreaker b(options());
    trip(b, kT0);
    EXPECT_FALSE(b.try_acquire(kT0));
    EXPECT_FALSE(b.try_acquire(kT0 + milliseconds(4999)));
    EXPECT_EQ(b.state(kT0 + milliseconds(4999)), State::Open);
    EXPECT_EQ(b.state(kT0 + seconds(5)), State::HalfOpen);
    EXPECT_TRUE(b.try_acquire(kT0 + seconds(5)));
}

TEST(CircuitBreaker, HalfOpenAdmitsOnlyTheConfiguredNumberOfProbes) {
    CircuitBreaker b(options());
    trip(b, kT0);
    const Clock::time_point t = kT0 + seconds(5);
    EXPECT_TRUE(b.try_acquire(t));
    EXPECT_TRUE(b.try_acquire(t));
    EXPECT_FALSE(b.try_acquire(t));
    EXPECT_EQ(b.probes_in_flight(), 2);
    // A cancelled probe frees its slot without a verdict.
    b.on_cancelled(t);
    EXPECT_EQ(b.state(t), State::HalfOpen);
    EXPECT_TRUE(b.try_acquire(t));
    EXPECT_FALSE(b.try_acquire(t));
}

TEST(CircuitBreaker, ProbeSuccessesCloseIt) {
    CircuitBreaker b(options());
    trip(b, kT0);
    const Clock::time_point t = kT0 + seconds(5);
    ASSERT_TRUE(b.try_acquire(t));
    ASSERT_TRUE(b.try_acquire(t));
    b.on_success(t);
    EXPECT_EQ(b.state(t), State::HalfOpen);
    b.on_success(t);
    EXPECT_EQ(b.state(t), State::Closed);
    EXPECT_EQ(b.probes_in_flight(), 0);
    // Closed again with a clean window: nine failures are not enough to re-open.
    record(b, 9, 9, t);
    EXPECT_EQ(b.state(t), State::Closed);
}

TEST(CircuitBreaker, ProbeFailureReopensAndRestartsTheTimer) {
    CircuitBreaker b(options());
    trip(b, kT0);
    const Clock::time_point t = kT0 + seconds(7);
    ASSERT_TRUE(b.try_acquire(t));
    ASSERT_TRUE(b.try_acquire(t));
    b.on_success(t);
    b.on_failure(t);
    EXPECT_EQ(b.state(t), State::Open);
    EXPECT_EQ(b.times_opened(), 2);
    EXPECT_FALSE(b.try_acquire(t + milliseconds(4999)));
    EXPECT_TRUE(b.try_acquire(t + seconds(5)));
}

TEST(CircuitBreaker, OutcomesWhileOpenAreIgnored) {
    CircuitBreaker b(options());
    trip(b, kT0);
    b.on_success(kT0 + seconds(1));
    b.on_failure(kT0 + seconds(1));
    EXPECT_EQ(b.state(kT0 + seconds(1)), State::Open);
    EXPECT_EQ(b.times_opened(), 1);
    EXPECT_EQ(b.state(kT0 + seconds(5)), State::HalfOpen);
}

TEST(CircuitBreaker, ValidateNamesTheBadField) {
    BreakerOptions o = options();
    o.failure_rate = 1.5;
    EXPECT_NE(validate(o).message().find("failure_rate"), std::string::npos);
    o = options();
    o.min_requests = 0;
    EXPECT_NE(validate(o).message().find("min_requests"), std::string::npos);
    o = options();
    o.half_open_probes = 0;
    EXPECT_NE(validate(o).message().find("half_open_probes"), std::string::npos);
    o = options();
    o.window = Clock::duration::zero();
    EXPECT_NE(validate(o).message().find("window"), std::string::npos);
    o = options();
    o.open_duration = -seconds(1);
    EXPECT_NE(validate(o).message().find("open_duration"), std::string::npos);
    EXPECT_TRUE(validate(options()).ok());
}

TEST(CircuitBreaker, StateNames) {
    EXPECT_EQ(breaker_state_name(State::Closed), "closed");
    EXPECT_EQ(breaker_state_name(State::Open), "open");
    EXPECT_EQ(breaker_state_name(State::HalfOpen), "half_open");
}

}  // namespace
}  // namespace glmserve::gateway
