#include "supervisor/backoff.h"

#include <gtest/gtest.h>

#include <random>

namespace glmserve::supervisor {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

BackoffOptions options(double jitter) {
    return {.initial = milliseconds(100), .max = seconds(2), .multiplier = 2.0, .jitter = jitter};
}

TEST(Backoff, GrowsGeometricallyUpToTheCap) {
    const Backoff backoff(options(0.0));
    EXPECT_EQ(backoff.base_delay(0), milliseconds(100));
    EXPECT_EQ(backoff.base_delay(1), milliseconds(200));
    EXPECT_EQ(backoff.base_delay(3), milliseconds(800));
    EXPECT_EQ(backoff.base_delay(4), milliseconds(1600));
    EXPECT_EQ(backoff.base_delay(5), seconds(2));
    EXPECT_EQ(backoff.base_delay(1000), seconds(2));  // no overflow after a long history
    EXPECT_EQ(backoff.base_delay(-3), milliseconds(100));
}

TEST(Backoff, WithoutJitterTheDelayIsTheBase) {
    const Backoff backoff(options(0.0));
    std::mt19937_64 rng(7);
    for (int n = 0; n < 8; ++n) EXPECT_EQ(backoff.delay(n, rng), backoff.base_delay(n)) << n;
}

TEST(Backoff, JitterStaysWithinItsFractionAndVaries) {
    const Backoff backoff(options(0.25));
    std::mt19937_64 rng(42);
    Clock::duration lowest = Clock::duration::max();
    Clock::duration highest = Clock::duration::min();
    for (int i = 0; i < 1000; ++i) {
        const Clock::duration d = backoff.delay(2, rng);  // base 400 ms
        ASSERT_GE(d, milliseconds(300));
        ASSERT_LE(d, milliseconds(500));
        lowest = std::min(lowest, d);
        highest = std::max(highest, d);
    }
    // Both halves of the range are used: replicas that crash together spread out.
    EXPECT_LT(lowest, milliseconds(330));
    EXPECT_GT(highest, milliseconds(470));
}

TEST(Backoff, JitteredDelayNeverExceedsTheCap) {
    const Backoff backoff(options(1.0));
    std::mt19937_64 rng(1);
    for (int i = 0; i < 1000; ++i) {
        const Clock::duration d = backoff.delay(10, rng);
        ASSERT_LE(d, seconds(2));
        ASSERT_GE(d, Clock::duration::zero());
    }
}

TEST(Backoff, SameSeedSameDelays) {
    const Backoff backoff(options(0.5));
    std::mt19937_64 a(99);
    std::mt19937_64 b(99);
    for (int n = 0; n < 10; ++n) EXPECT_EQ(backoff.delay(n, a), backoff.delay(n, b));
}

TEST(Backoff, ValidationNamesTheField) {
    BackoffOptions bad = options(0.1);
    bad.initial = Clock::duration::zero();
    EXPECT_NE(validate_backoff(bad).message().find("restart.initial"), std::string::npos);
    bad = options(0.1);
    bad.max = milliseconds(50);
    EXPECT_NE(validate_backoff(bad).message().find("restart.max"), std::string::npos);
    bad = options(0.1);
    bad.multiplier = 0.5;
    EXPECT_NE(validate_backoff(bad).message().find("restart.multiplier"), std::string::npos);
    bad = options(1.5);
    EXPECT_NE(validate_backoff(bad).message().find("restart.jitter"), std::string::npos);
    EXPECT_TRUE(validate_backoff(options(0.1)).ok());
}

}  // namespace
}  // namespace glmserve::supervisor
