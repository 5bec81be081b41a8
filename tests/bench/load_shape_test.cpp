#include "bench/load_shape.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace glmserve::bench {
namespace {

TEST(LoadShape, PoissonMeanGapMatchesTheRate) {
    const double rate = 20.0;
    const size_t n = 10000;
    const auto offsets = poisson_offsets_s(rate, n, 7);
    ASSERT_EQ(offsets.size(), n);
    EXPECT_TRUE(std::is_sorted(offsets.begin(), offsets.end()));
    const double mean_gap = offsets.back() / static_cast<double>(n);
    // The mean of 10k exponential gaps has a relative sd of 1%; 4% is four sigma.
    EXPECT_NEAR(mean_gap, 1.0 / rate, 0.04 / rate);
    // Exponential: the sd of gaps equals the mean.
    double sum_sq = 0, prev = 0;
    for (double o : offsets) {
        sum_sq += (o - prev - mean_gap) * (o - prev - mean_gap);
        prev = o;
    }
    EXPECT_NEAR(std::sqrt(sum_sq / static_cast<double>(n)), 1.0 / rate, 0.06 / rate);
}

TEST(LoadShape, SameSeedSameSchedule) {
    EXPECT_EQ(poisson_offsets_s(5, 100, 1), poisson_offsets_s(5, 100, 1));
    EXPECT_NE(poisson_offsets_s(5, 100, 1), poisson_offsets_s(5, 100, 2));
}

TEST(LoadShape, ScheduleForEachKind) {
    auto burst = arrival_offsets_s({.kind = LoadKind::Burst, .n_requests = 5});
    ASSERT_TRUE(burst.ok());
    EXPECT_EQ(*burst, std::vector<double>(5, 0.0));

    auto by_count = arrival_offsets_s(
        {.kind = LoadKind::Poisson, .n_requests = 50, .rate_per_s = 10, .seed = 3});
    ASSERT_TRUE(by_count.ok());
    EXPECT_EQ(*by_count, poisson_offsets_s(10, 50, 3));

    auto by_time = arrival_offsets_s(
        {.kind = LoadKind::Poisson, .duration_s = 100.0, .rate_per_s = 10, .seed = 3});
    ASSERT_TRUE(by_time.ok());
    EXPECT_LT(by_time->back(), 100.0);
    EXPECT_NEAR(static_cast<double>(by_time->size()), 1000, 130);  // ~4 sigma

    EXPECT_FALSE(arrival_offsets_s({.kind = LoadKind::ClosedLoop, .n_requests = 5}).ok());
}

TEST(LoadShape, ValidationNamesTheField) {
    const auto msg = [](const LoadShape& s) { return validate(s).message(); };
    EXPECT_NE(msg({}).find("requests or duration"), std::string::npos);
    EXPECT_NE(msg({.concurrency = 0, .n_requests = 1}).find("concurrency"), std::string::npos);
    EXPECT_NE(msg({.kind = LoadKind::Poisson, .n_requests = 1}).find("rate"), std::string::npos);
    EXPECT_NE(msg({.kind = LoadKind::Burst, .duration_s = 1.0}).find("burst"), std::string::npos);
    EXPECT_NE(msg({.n_requests = -3}).find("requests"), std::string::npos);
    EXPECT_TRUE(validate({.concurrency = 4, .duration_s = 2.0}).ok());
}

TEST(LoadShape, RateLists) {
    auto rates = parse_rate_list("1,2,4.5");
    ASSERT_TRUE(rates.ok());
    EXPECT_EQ(*rates, (std::vector<double>{1, 2, 4.5}));
    EXPECT_FALSE(parse_rate_list("").ok());
    EXPECT_FALSE(parse_rate_list("1,,2").ok());
    EXPECT_FALSE(parse_rate_list("1,x").ok());
    EXPECT_FALSE(parse_rate_list("0").ok());
    EXPECT_FALSE(parse_rate_list("inf").ok());
}

}  // namespace
}  // namespace glmserve::bench
