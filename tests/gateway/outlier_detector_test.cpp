#include "gateway/outlier_detector.h"

#include <gtest/gtest.h>

namespace glmserve::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Outcome = OutlierDetector::Outcome;

const Clock::time_point kT0 = Clock::time_point{} + std::chrono::hours(1);

OutlierOptions options() {
    return {.consecutive_5xx = 3,
            .consecutive_gateway_errors = 2,
            .base_ejection = seconds(10),
            .max_ejection = seconds(35),
            .max_ejected_fraction = 0.5};
}

// Records `n` outcomes of one kind; returns how many of those calls ejected.
int record_n(OutlierDetector& d, size_t index, Outcome outcome, int n, Clock::time_point now) {
    int ejections = 0;
    for (int i = 0; i < n; ++i) ejections += d.record(index, outcome, now) ? 1 : 0;
    return ejections;
}

TEST(OutlierDetector, EjectsAfterConsecutive5xx) {
    OutlierDetector d(4, options());
    EXPECT_EQ(record_n(d, 1, Outcome::Http5xx, 2, kT0), 0);
    EXPECT_FALSE(d.ejected(1, kT0));
    EXPECT_TRUE(d.record(1, Outcome::Http5xx, kT0));
    EXPECT_TRUE(d.ejected(1, kT0));
    EXPECT_FALSE(d.ejected(0, kT0));
    EXPECT_EQ(d.ejections(1), 1);
    EXPECT_EQ(d.ejected_count(kT0), 1u);
}

TEST(OutlierDetector, ConnectErrorsAndTimeoutsFormOneRun) {
    OutlierDetector d(4, options());
    EXPECT_FALSE(d.record(2, Outcome::ConnectError, kT0));
    EXPECT_TRUE(d.record(2, Outcome::Timeout, kT0));
    EXPECT_TRUE(d.ejected(2, kT0));
}

TEST(OutlierDetector, SuccessResetsBothRuns) {
    OutlierDetector d(4, options());
    for (int round = 0; round < 10; ++round) {
        EXPECT_EQ(record_n(d, 0, Outcome::Http5xx, 2, kT0), 0);
        EXPECT_EQ(record_n(d, 0, Outcome::Timeout, 1, kT0), 0);
        EXPECT_FALSE(d.record(0, Outcome::Success, kT0));
    }
    EXPECT_FALSE(d.ejected(0, kT0));
    EXPECT_EQ(d.ejections(0), 0);
}

TEST(OutlierDetector, OneKindOfFailureDoesNotResetTheOtherRun) {
    OutlierDetector d(4, options());
    EXPECT_EQ(record_n(d, 0, Outcome::Http5xx, 2, kT0), 0);
    EXPECT_EQ(record_n(d, 0, Outcome::ConnectError, 1, kT0), 0);
    EXPECT_TRUE(d.record(0, Outcome::Http5xx, kT0));
}

TEST(OutlierDetector, ComesBackAfterTheEjectionTime) {
    OutlierDetector d(4, options());
    ASSERT_EQ(record_n(d, 0, Outcome::Http5xx, 3, kT0), 1);
    EXPECT_TRUE(d.ejected(0, kT0 + milliseconds(9999)));
    EXPECT_FALSE(d.ejected(0, kT0 + seconds(10)));
    EXPECT_EQ(d.ejected_until(0), kT0 + seconds(10));
    EXPECT_EQ(d.ejected_count(kT0 + seconds(10)), 0u);
}

TEST(OutlierDetector, EjectionTimeGrowsWithEachEjectionUpToTheCap) {
    OutlierDetector d(4, options());
    Clock::time_point now = kT0;
    const seconds expected[] = {seconds(10), seconds(20), seconds(30), seconds(35), seconds(35)};
    for (seconds want : expected) {
        ASSERT_EQ(record_n(d, 0, Outcome::Http5xx, 3, now), 1);
        EXPECT_EQ(d.ejected_until(0) - now, want);
        now = d.ejected_until(0) + seconds(1);  // back, and failing again soon after
    }
    EXPECT_EQ(d.ejections(0), 5);
}

TEST(OutlierDetector, TheMultiplierDecaysWhileTheReplicaStaysHealthy) {
    OutlierDetector d(4, options());
    Clock::time_point now = kT0;
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(record_n(d, 0, Outcome::Http5xx, 3, now), 1);
        now = d.ejected_until(0);
    }
    // Multiplier 3 now. Two full max_ejection periods of health take two steps off it.
    now += seconds(70);
    ASSERT_EQ(record_n(d, 0, Outcome::Http5xx, 3, now), 1);
    EXPECT_EQ(d.ejected_until(0) - now, seconds(20));
    // A long healthy spell resets it to the base.
    now = d.ejected_until(0) + std::chrono::hours(1);
    ASSERT_EQ(record_n(d, 0, Outcome::Http5xx, 3, now), 1);
    EXPECT_EQ(d.ejected_until(0) - now, seconds(10));
}

TEST(OutlierDetector, NeverEjectsMoreThanTheFraction) {
    OutlierDetector d(4, options());  // 0.5 of 4: two at once
    EXPECT_EQ(d.max_ejected(), 2u);
    ASSERT_EQ(record_n(d, 0, Outcome::Http5xx, 3, kT0), 1);
    ASSERT_EQ(record_n(d, 1, Outcome::Http5xx, 3, kT0), 1);
    EXPECT_EQ(record_n(d, 2, Outcome::Http5xx, 10, kT0), 0);
    EXPECT_FALSE(d.ejected(2, kT0));
    EXPECT_EQ(d.ejected_count(kT0), 2u);
    // Once a slot frees up, the replica whose run is complete goes with its next failure.
    const Clock::time_point later = kT0 + seconds(10);
    EXPECT_EQ(d.ejected_count(later), 0u);
    EXPECT_TRUE(d.record(2, Outcome::Http5xx, later));
}

TEST(OutlierDetector, AtLeastOneMayGoButNeverAll) {
    OutlierDetector two(2, OutlierOptions{.max_ejected_fraction = 0.0});
    EXPECT_EQ(two.max_ejected(), 1u);
    OutlierDetector all(3, OutlierOptions{.max_ejected_fraction = 1.0});
    EXPECT_EQ(all.max_ejected(), 2u);
    OutlierDetector ten(10, OutlierOptions{.max_ejected_fraction = 0.3});
    EXPECT_EQ(ten.max_ejected(), 3u);

    OutlierDetector one(1, options());
    EXPECT_EQ(one.max_ejected(), 0u);
    EXPECT_EQ(record_n(one, 0, Outcome::ConnectError, 100, kT0), 0);
    EXPECT_FALSE(one.ejected(0, kT0));
}

TEST(OutlierDetector, FailuresWhileEjectedChangeNothing) {
    OutlierDetector d(4, options());
    ASSERT_EQ(record_n(d, 0, Outcome::Http5xx, 3, kT0), 1);
    const Clock::time_point until = d.ejected_until(0);
    EXPECT_EQ(record_n(d, 0, Outcome::Http5xx, 10, kT0 + seconds(1)), 0);
    EXPECT_EQ(d.ejected_until(0), until);
    EXPECT_EQ(d.ejections(0), 1);
    // And they did not build a run: back in rotation, it takes a full run again.
    EXPECT_EQ(record_n(d, 0, Outcome::Http5xx, 2, until), 0);
    EXPECT_TRUE(d.record(0, Outcome::Http5xx, until));
}

TEST(OutlierDetector, ResizeKeepsExistingStateAndAddsCleanReplicas) {
    OutlierDetector d(2, options());
    ASSERT_EQ(record_n(d, 0, Outcome::Http5xx, 3, kT0), 1);
    d.set_upstream_count(5);
    EXPECT_EQ(d.size(), 5u);
    EXPECT_TRUE(d.ejected(0, kT0));
    EXPECT_FALSE(d.ejected(4, kT0));
    EXPECT_EQ(d.ejections(4), 0);
    d.set_upstream_count(1);
    EXPECT_EQ(d.size(), 1u);
}

TEST(OutlierDetector, ValidateNamesTheBadField) {
    EXPECT_TRUE(validate(options()).ok());
    OutlierOptions o = options();
    o.consecutive_5xx = 0;
    EXPECT_NE(validate(o).message().find("consecutive_5xx"), std::string::npos);
    o = options();
    o.consecutive_gateway_errors = 0;
    EXPECT_NE(validate(o).message().find("consecutive_gateway_errors"), std::string::npos);
    o = options();
    o.base_ejection = Clock::duration::zero();
    EXPECT_NE(validate(o).message().find("base_ejection"), std::string::npos);
    o = options();
    o.max_ejection = seconds(1);
    EXPECT_NE(validate(o).message().find("max_ejection"), std::string::npos);
    o = options();
    o.max_ejected_fraction = 1.5;
    EXPECT_NE(validate(o).message().find("max_ejected_fraction"), std::string::npos);
}

}  // namespace
}  // namespace glmserve::gateway
