#include "gateway/abuse_guard.h"

#include <gtest/gtest.h>

#include <string>

namespace glmserve::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const Clock::time_point kT0 = Clock::time_point{} + std::chrono::hours(1);

void fail(AbuseGuard& g, std::string_view address, int n, Clock::time_point now) {
    for (int i = 0; i < n; ++i) g.on_auth_failure(address, now);
}

TEST(AbuseGuard, BlocksAfterMaxFailuresWithinTheWindow) {
    AbuseGuard g(3, seconds(60), seconds(300), 100);
    fail(g, "10.0.0.1", 2, kT0);
    EXPECT_FALSE(g.blocked("10.0.0.1", kT0));
    g.on_auth_failure("10.0.0.1", kT0 + seconds(59));
    EXPECT_TRUE(g.blocked("10.0.0.1", kT0 + seconds(59)));
    EXPECT_EQ(g.blocks_started(), 1);
    // Other addresses are not affected.
    EXPECT_FALSE(g.blocked("10.0.0.2", kT0 + seconds(59)));
}

TEST(AbuseGuard, FailuresSpreadWiderThanTheWindowDoNotBlock) {
    AbuseGuard g(3, seconds(60), seconds(300), 100);
    Clock::time_point now = kT0;
    for (int i = 0; i < 20; ++i) {
        g.on_auth_failure("10.0.0.1", now);
        EXPECT_FALSE(g.blocked("10.0.0.1", now)) << i;
        now += seconds(30);  // three failures always span 60 s: never inside the window
    }
    EXPECT_EQ(g.blocks_started(), 0);
    // Just inside the window it blocks.
    g.on_auth_failure("10.0.0.1", now);
    g.on_auth_failure("10.0.0.1", now + seconds(29));
    EXPECT_TRUE(g.blocked("10.0.0.1", now + seconds(29)));
}

TEST(AbuseGuard, TheCoolDownEnds) {
    AbuseGuard g(2, seconds(10), seconds(300), 100);
    fail(g, "a", 2, kT0);
    EXPECT_TRUE(g.blocked("a", kT0 + milliseconds(299999)));
    EXPECT_FALSE(g.blocked("a", kT0 + seconds(300)));
    // The allowance is whole again afterwards: one failure does not re-block.
    g.on_auth_failure("a", kT0 + seconds(301));
    EXPECT_FALSE(g.blocked("a", kT0 + seconds(301)));
    g.on_auth_failure("a", kT0 + seconds(302));
    EXPECT_TRUE(g.blocked("a", kT0 + seconds(302)));
    EXPECT_EQ(g.blocks_started(), 2);
}

TEST(AbuseGuard, FailuresDuringTheCoolDownNeitherExtendNorCount) {
    AbuseGuard g(2, seconds(10), seconds(100), 100);
    fail(g, "a", 2, kT0);
    fail(g, "a", 50, kT0 + seconds(50));
    EXPECT_EQ(g.blocks_started(), 1);
    EXPECT_FALSE(g.blocked("a", kT0 + seconds(100)));
    g.on_auth_failure("a", kT0 + seconds(100));
    EXPECT_FALSE(g.blocked("a", kT0 + seconds(100)));
}

TEST(AbuseGuard, MemoryIsBoundedAndTheOldestAddressGoesFirst) {
    AbuseGuard g(2, seconds(60), seconds(300), 3);
    g.on_auth_failure("a", kT0);
    g.on_auth_failure("b", kT0);
    g.on_auth_failure("c", kT0);
    g.on_auth_failure("a", kT0 + seconds(1));  // a blocks, and is now the most recent
    EXPECT_TRUE(g.blocked("a", kT0 + seconds(1)));
    g.on_auth_failure("d", kT0 + seconds(2));  // evicts b, the oldest
    EXPECT_EQ(g.tracked(), 3u);
    EXPECT_EQ(g.evictions(), 1);
    // b was forgotten: one more failure does not complete its pair.
    g.on_auth_failure("b", kT0 + seconds(3));  // evicts c
    EXPECT_FALSE(g.blocked("b", kT0 + seconds(3)));
    // c was forgotten too; a is still remembered and blocked.
    g.on_auth_failure("c", kT0 + seconds(4));  // evicts a
    EXPECT_FALSE(g.blocked("c", kT0 + seconds(4)));
    EXPECT_FALSE(g.blocked("a", kT0 + seconds(4)));
    EXPECT_EQ(g.tracked(), 3u);
}

TEST(AbuseGuard, ManyAddressesStayWithinTheBound) {
    AbuseGuard g(5, seconds(60), seconds(300), 100);
    for (int i = 0; i < 10000; ++i) {
        g.on_auth_failure("10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256),
                          kT0 + milliseconds(i));
        ASSERT_LE(g.tracked(), 100u);
    }
    EXPECT_EQ(g.evictions(), 9900);
    EXPECT_EQ(g.blocks_started(), 0);
}

TEST(AbuseGuard, UnknownAddressesAreNotBlocked) {
    const AbuseGuard g(1, seconds(60), seconds(300), 10);
    EXPECT_FALSE(g.blocked("", kT0));
    EXPECT_FALSE(g.blocked("::1", kT0));
}

TEST(AbuseGuard, OneFailureBlocksWhenMaxFailuresIsOne) {
    AbuseGuard g(1, seconds(60), seconds(5), 10);
    g.on_auth_failure("::1", kT0);
    EXPECT_TRUE(g.blocked("::1", kT0));
    EXPECT_FALSE(g.blocked("::1", kT0 + seconds(5)));
}

}  // namespace
}  // namespace glmserve::gateway
