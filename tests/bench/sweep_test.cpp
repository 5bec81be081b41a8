#include "bench/sweep.h"

#include <gtest/gtest.h>

namespace glmserve::bench {
namespace {

SweepPoint point(double rate, double goodput, double ttft_p99_s = 0.1) {
    SweepPoint p{.rate_per_s = rate};
    p.summary.goodput_per_s = goodput;
    p.summary.requests_per_s = goodput;
    p.summary.ttft_s.p99 = ttft_p99_s;
    return p;
}

TEST(Sweep, KneeIsTheLastRateThatKeepsUp) {
    // Given out of order on purpose: the knee is found in rate order.
    const std::vector<SweepPoint> points = {point(8, 5.0, 2.0), point(1, 1.0), point(4, 3.7),
                                            point(2, 1.8)};
    const auto knee = find_knee(points);
    ASSERT_TRUE(knee.has_value());
    EXPECT_EQ(points[*knee].rate_per_s, 4);  // 3.7 >= 0.9 * 4; 5.0 < 0.9 * 8
}

TEST(Sweep, KneeStopsAtTheFirstRateThatFallsBehind) {
    // A later rate that happens to keep up again does not move the knee past a failure.
    const std::vector<SweepPoint> points = {point(1, 1.0), point(2, 1.0), point(4, 4.0)};
    EXPECT_EQ(find_knee(points), 0u);
    EXPECT_FALSE(find_knee({point(1, 0.5)}).has_value());
    EXPECT_FALSE(find_knee({}).has_value());
}

TEST(Sweep, TableListsEveryRateAndTheKnee) {
    const std::string table = format_sweep_table({point(2, 1.9), point(1, 1.0), point(4, 2.0)});
    const auto p1 = table.find("\n       1");
    const auto p2 = table.find("\n       2");
    const auto p4 = table.find("\n       4");
    ASSERT_NE(p1, std::string::npos) << table;
    EXPECT_LT(p1, p2);
    EXPECT_LT(p2, p4);
    EXPECT_NE(table.find("knee: 2 req/s"), std::string::npos) << table;
    EXPECT_NE(format_sweep_table({point(1, 0)}).find("below the lowest rate"), std::string::npos);
}

}  // namespace
}  // namespace glmserve::bench
