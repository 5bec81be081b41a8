#include "http/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <thread>
#include <vector>

namespace glmserve::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Limit = RateLimiter::Limit;

struct FakeClock {
    std::chrono::steady_clock::time_point now{};
    template <typename Duration>
    void advance(Duration d) {
        now += d;
    }
    RateLimiter::Clock fn() {
        return [this] { return now; };
    }
};

void expect_refused(const RateLimiter::Decision& d, Limit limit, seconds retry_after) {
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(limit_name(d.limit), limit_name(limit));
    EXPECT_EQ(d.retry_after.count(), retry_after.count());
}

TEST(RateLimiter, BurstsToOneMinuteOfRequestsThenRefusesUntilRefilled) {
    FakeClock clock;
    RateLimiter limiter({{.requests_per_minute = 60}}, clock.fn());
    for (int i = 0; i < 60; ++i) ASSERT_TRUE(limiter.try_acquire(0, 1000).allowed) << i;
    expect_refused(limiter.try_acquire(0, 0), Limit::Requests, seconds(1));
    clock.advance(milliseconds(999));
    expect_refused(limiter.try_acquire(0, 0), Limit::Requests, seconds(1));
    clock.advance(milliseconds(1));
    const auto d = limiter.try_acquire(0, 0);
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.limit, Limit::None);
    EXPECT_EQ(d.retry_after.count(), 0);
    EXPECT_FALSE(limiter.try_acquire(0, 0).allowed);
}

TEST(RateLimiter, RetryAfterIsTheWholeSecondsUntilTheRequestFits) {
    FakeClock clock;
    RateLimiter limiter({{.requests_per_minute = 2}}, clock.fn());
    EXPECT_TRUE(limiter.try_acquire(0, 0).allowed);
    EXPECT_TRUE(limiter.try_acquire(0, 0).allowed);
    expect_refused(limiter.try_acquire(0, 0), Limit::Requests, seconds(30));
    clock.advance(milliseconds(29'001));
    expect_refused(limiter.try_acquire(0, 0), Limit::Requests, seconds(1));
    clock.advance(milliseconds(998));
    expect_refused(limiter.try_acquire(0, 0), Limit::Requests, seconds(1));
    clock.advance(milliseconds(1));
    EXPECT_TRUE(limiter.try_acquire(0, 0).allowed);
}

TEST(RateLimiter, RefillIsContinuousAndCappedAtOneMinuteOfBudget) {
    FakeClock clock;
    RateLimiter limiter({{.requests_per_minute = 60}}, clock.fn());
    for (int i = 0; i < 60; ++i) ASSERT_TRUE(limiter.try_acquire(0, 0).allowed);
    clock.advance(seconds(10));  // 10 requests' worth
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(limiter.try_acquire(0, 0).allowed) << i;
    EXPECT_FALSE(limiter.try_acquire(0, 0).allowed);
    clock.advance(std::chrono::hours(5));  // an idle key still bursts one minute only
    int admitted = 0;
    while (limiter.try_acquire(0, 0).allowed) ++admitted;
    EXPECT_EQ(admitted, 60);
}

TEST(RateLimiter, SubMillisecondTimeIsNotLost) {
    FakeClock clock;
    RateLimiter limiter({{.requests_per_minute = 60'000}}, clock.fn());  // one per millisecond
    while (limiter.try_acquire(0, 0).allowed) {
    }
    for (int i = 0; i < 10; ++i) {
        clock.advance(std::chrono::microseconds(500));
        EXPECT_FALSE(limiter.try_acquire(0, 0).allowed) << i;
        clock.advance(std::chrono::microseconds(500));
        EXPECT_TRUE(limiter.try_acquire(0, 0).allowed) << i;
    }
}

TEST(RateLimiter, TokensPerMinuteChargesTheEstimate) {
    FakeClock clock;
    RateLimiter limiter({{.tokens_per_minute = 1000}}, clock.fn());
    EXPECT_TRUE(limiter.try_acquire(0, 600).allowed);
    // 200 tokens short at 1000/min: 12 s.
    expect_refused(limiter.try_acquire(0, 600), Limit::Tokens, seconds(12));
    EXPECT_TRUE(limiter.try_acquire(0, 400).allowed);
    expect_refused(limiter.try_acquire(0, 1), Limit::Tokens, seconds(1));
    clock.advance(seconds(6));  // 100 tokens
    EXPECT_TRUE(limiter.try_acquire(0, 100).allowed);
}

TEST(RateLimiter, AdjustedOverrunIsDebtThatDelaysTheNextRequest) {
    FakeClock clock;
    RateLimiter limiter({{.tokens_per_minute = 1000}}, clock.fn());
    ASSERT_TRUE(limiter.try_acquire(0, 100).allowed);
    limiter.adjust_tokens(0, 1400);  // used 1500, estimated 100: 500 in debt
    expect_refused(limiter.try_acquire(0, 0), Limit::Tokens, seconds(30));
    clock.advance(milliseconds(29'999));
    EXPECT_FALSE(limiter.try_acquire(0, 0).allowed);
    clock.advance(milliseconds(1));
    EXPECT_TRUE(limiter.try_acquire(0, 0).allowed);

    // A refund (actual < estimate) fills up to capacity, never beyond.
    limiter.adjust_tokens(0, -1'000'000);
    EXPECT_TRUE(limiter.try_acquire(0, 1000).allowed);
    EXPECT_FALSE(limiter.try_acquire(0, 1).allowed);
}

TEST(RateLimiter, EstimateAboveAMinuteIsAdmittedWhenFullAndLeavesDebt) {
    FakeClock clock;
    RateLimiter limiter({{.tokens_per_minute = 100}}, clock.fn());
    ASSERT_TRUE(limiter.try_acquire(0, 40).allowed);
    // Never fits: it waits for a full bucket (40 tokens = 24 s), not forever.
    expect_refused(limiter.try_acquire(0, 250), Limit::Tokens, seconds(24));
    clock.advance(seconds(24));
    ASSERT_TRUE(limiter.try_acquire(0, 250).allowed);
    // Level is 100 - 250 = -150; one token needs 151 at 100/min: 90.6 s.
    expect_refused(limiter.try_acquire(0, 1), Limit::Tokens, seconds(91));
}

TEST(RateLimiter, ARefusalChargesNeitherBucket) {
    FakeClock clock;
    RateLimiter limiter({{.requests_per_minute = 2, .tokens_per_minute = 100}}, clock.fn());
    ASSERT_TRUE(limiter.try_acquire(0, 80).allowed);
    expect_refused(limiter.try_acquire(0, 30), Limit::Tokens, seconds(6));
    EXPECT_TRUE(limiter.try_acquire(0, 20).allowed);  // the refusal took no request
    expect_refused(limiter.try_acquire(0, 0), Limit::Requests, seconds(30));
}

TEST(RateLimiter, WhenBothLimitsRefuseTheLaterOneIsReported) {
    FakeClock clock;
    RateLimiter limiter({{.requests_per_minute = 60, .tokens_per_minute = 60}}, clock.fn());
    ASSERT_TRUE(limiter.try_acquire(0, 60).allowed);
    for (int i = 0; i < 59; ++i) ASSERT_TRUE(limiter.try_acquire(0, 0).allowed);
    // Requests free up in 1 s, 60 tokens in 60 s.
    expect_refused(limiter.try_acquire(0, 60), Limit::Tokens, seconds(60));
}

TEST(RateLimiter, UnlimitedKeysAreNeverRefused) {
    FakeClock clock;
    RateLimiter limiter({{}, {.requests_per_minute = 0, .tokens_per_minute = 0}}, clock.fn());
    for (int i = 0; i < 10'000; ++i) {
        ASSERT_TRUE(limiter.try_acquire(i % 2, 1'000'000).allowed);
        limiter.adjust_tokens(i % 2, 1'000'000'000);
    }
}

TEST(RateLimiter, KeysAreIndependentAndNegativeEstimatesCountAsZero) {
    FakeClock clock;
    RateLimiter limiter({{.requests_per_minute = 1, .tokens_per_minute = 10},
                         {.requests_per_minute = 1, .tokens_per_minute = 10}},
                        clock.fn());
    EXPECT_EQ(limiter.size(), 2u);
    ASSERT_TRUE(limiter.try_acquire(0, -50).allowed);  // must not mint tokens
    EXPECT_FALSE(limiter.try_acquire(0, 0).allowed);
    EXPECT_TRUE(limiter.try_acquire(1, 10).allowed);
    EXPECT_FALSE(limiter.try_acquire(1, 0).allowed);
    clock.advance(seconds(60));
    EXPECT_TRUE(limiter.try_acquire(0, 10).allowed);  // key 0's tokens were never spent
}

TEST(RateLimiter, ConcurrentCallersAdmitExactlyTheBudget) {
    FakeClock clock;  // frozen: no refill while the threads run
    RateLimiter limiter({{.requests_per_minute = 1000}}, clock.fn());
    constexpr int kThreads = 4;
    std::atomic<int> admitted{0};
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            start.arrive_and_wait();
            for (int i = 0; i < 500; ++i) {
                if (limiter.try_acquire(0, 0).allowed) admitted.fetch_add(1);
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(admitted.load(), 1000);
}

TEST(RateLimiter, ResolvesKeyLimitsAgainstServerDefaults) {
    const auto keys =
        ApiKeys::parse("sk-a-12345678 rpm=5\nsk-b-12345678 tpm=0\nsk-c-12345678 rpm=0 tpm=7\n");
    ASSERT_TRUE(keys.ok());
    const auto limits =
        resolve_limits(*keys, {.requests_per_minute = 100, .tokens_per_minute = 5000});
    ASSERT_EQ(limits.size(), 3u);
    EXPECT_EQ(limits[0].requests_per_minute, 5);
    EXPECT_EQ(limits[0].tokens_per_minute, 5000);
    EXPECT_EQ(limits[1].requests_per_minute, 100);
    EXPECT_EQ(limits[1].tokens_per_minute, 0);
    EXPECT_EQ(limits[2].requests_per_minute, 0);
    EXPECT_EQ(limits[2].tokens_per_minute, 7);
}

TEST(RateLimiterDeathTest, UnknownKeyIndexIsAProgrammerError) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    FakeClock clock;
    RateLimiter limiter(std::vector<RateLimits>(1), clock.fn());
    EXPECT_DEATH((void)limiter.try_acquire(1, 0), "key_index");
    EXPECT_DEATH(limiter.adjust_tokens(7, 0), "key_index");
}

}  // namespace
}  // namespace glmserve::http
