// Tests of UpstreamPool's availability rules and its wiring of health, outlier ejection and
// the circuit breaker, on explicit time points (no sockets, no timers).
#include "gateway/upstream_pool.h"

#include <gtest/gtest.h>

namespace glmserve::gateway {
namespace {

using std::chrono::milliseconds;

GatewayConfig config_with(size_t n) {
    GatewayConfig c;
    c.policy = "round_robin";
    for (size_t i = 0; i < n; ++i) {
        auto url = http::parse_url("http://127.0.0.1:" + std::to_string(9000 + i));
        GS_CHECK(url.ok());
        c.upstreams.push_back({.name = std::string(1, static_cast<char>('a' + i)), .url = *url});
    }
    return c;
}

const Clock::time_point t0 = Clock::time_point() + std::chrono::hours(1);

TEST(UpstreamPool, UnhealthyUpstreamsAreSkipped) {
    UpstreamPool pool(config_with(2));
    EXPECT_TRUE(pool.record_health(0, false));
    for (int i = 0; i < 4; ++i) {
        auto pick = pool.acquire("", {}, t0);
        ASSERT_TRUE(pick.has_value());
        EXPECT_EQ(*pick, 1u);
        pool.finish(*pick, AttemptOutcome::Success, true, t0);
    }
    EXPECT_TRUE(pool.record_health(1, false));
    EXPECT_FALSE(pool.acquire("", {}, t0).has_value());
    EXPECT_FALSE(pool.any_available({}, t0));
}

TEST(UpstreamPool, ExcludeListIsHonoured) {
    UpstreamPool pool(config_with(2));
    const size_t tried[] = {0};
    auto pick = pool.acquire("", tried, t0);
    ASSERT_TRUE(pick.has_value());
    EXPECT_EQ(*pick, 1u);
    EXPECT_TRUE(pool.any_available(tried, t0));
    const size_t both[] = {0, 1};
    EXPECT_FALSE(pool.any_available(both, t0));
    pool.finish(*pick, AttemptOutcome::NoVerdict, false, t0);
}

TEST(UpstreamPool, PendingAndConnectionLimits) {
    GatewayConfig c = config_with(1);
    c.limits.max_connections_per_upstream = 3;
    c.limits.max_pending_per_upstream = 2;
    UpstreamPool pool(c);
    ASSERT_TRUE(pool.acquire("", {}, t0));
    ASSERT_TRUE(pool.acquire("", {}, t0));
    EXPECT_FALSE(pool.acquire("", {}, t0)) << "two waiting for a first byte";
    pool.on_first_byte(0);
    ASSERT_TRUE(pool.acquire("", {}, t0));
    pool.on_first_byte(0);
    EXPECT_FALSE(pool.acquire("", {}, t0)) << "three in flight";
    EXPECT_EQ(pool.status(t0)[0].in_flight, 3);
    EXPECT_EQ(pool.status(t0)[0].pending, 1);
    pool.finish(0, AttemptOutcome::Success, true, t0);
    EXPECT_TRUE(pool.acquire("", {}, t0));
}

TEST(UpstreamPool, ConsecutiveGatewayErrorsEject) {
    GatewayConfig c = config_with(2);
    c.outlier.consecutive_gateway_errors = 2;
    c.outlier.base_ejection = milliseconds(1000);
    UpstreamPool pool(c);
    const size_t only_b[] = {1};
    for (int i = 0; i < 2; ++i) {
        auto pick = pool.acquire("", only_b, t0);
        ASSERT_EQ(pick, 0u);
        EXPECT_EQ(pool.finish(0, AttemptOutcome::ConnectError, false, t0), i == 1);
    }
    EXPECT_TRUE(pool.status(t0)[0].ejected);
    EXPECT_FALSE(pool.acquire("", only_b, t0).has_value());
    // Back after the ejection time.
    EXPECT_EQ(pool.acquire("", only_b, t0 + milliseconds(1001)), 0u);
}

TEST(UpstreamPool, BreakerOpensOnFailureRate) {
    GatewayConfig c = config_with(1);
    c.breaker = {.window = milliseconds(10000),
                 .min_requests = 4,
                 .failure_rate = 0.5,
                 .open_duration = milliseconds(500),
                 .half_open_probes = 1};
    UpstreamPool pool(c);
    for (AttemptOutcome o : {AttemptOutcome::Success, AttemptOutcome::Http5xx,
                             AttemptOutcome::Success, AttemptOutcome::Timeout}) {
        ASSERT_TRUE(pool.acquire("", {}, t0));
        pool.finish(0, o, true, t0);
    }
    EXPECT_EQ(pool.status(t0)[0].breaker, CircuitBreaker::State::Open);
    EXPECT_FALSE(pool.acquire("", {}, t0));
    // Half-open: one probe at a time.
    const auto later = t0 + milliseconds(501);
    ASSERT_TRUE(pool.acquire("", {}, later));
    EXPECT_FALSE(pool.acquire("", {}, later));
    pool.finish(0, AttemptOutcome::Success, true, later);
    EXPECT_EQ(pool.status(later)[0].breaker, CircuitBreaker::State::Closed);
}

TEST(UpstreamPool, CarryOverKeepsVerdictsOfTheSameUpstream) {
    UpstreamPool old_pool(config_with(2));
    ASSERT_TRUE(old_pool.record_health(1, false));
    old_pool.record_load(0, LoadReport{.queued_tokens = 7});
    GatewayConfig c = config_with(3);
    UpstreamPool pool(c);
    pool.carry_over(old_pool);
    const auto s = pool.status(t0);
    EXPECT_EQ(s[0].load->queued_tokens, 7);
    EXPECT_EQ(s[1].health, Health::Unhealthy);
    EXPECT_EQ(s[2].health, Health::Unknown);
}

}  // namespace
}  // namespace glmserve::gateway
