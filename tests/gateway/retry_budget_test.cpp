#include "gateway/retry_budget.h"

#include <gtest/gtest.h>

namespace glmserve::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const Clock::time_point kT0 = Clock::time_point{} + std::chrono::hours(1);

void requests(RetryBudget& budget, int n, Clock::time_point now) {
    for (int i = 0; i < n; ++i) budget.on_request(now);
}

// How many retries in a row the budget allows at `now`.
int drain(RetryBudget& budget, Clock::time_point now) {
    int n = 0;
    while (budget.try_retry(now)) {
        ++n;
        if (n > 100000) break;  // a broken budget must fail the test, not hang it
    }
    return n;
}

TEST(RetryBudget, AllowsTheMinimumWithoutAnyTraffic) {
    RetryBudget budget(0.2, seconds(10), 3);
    EXPECT_EQ(drain(budget, kT0), 3);
    EXPECT_EQ(budget.exhausted(), 1);
}

TEST(RetryBudget, AllowsRatioOfRequestsOnceThatExceedsTheMinimum) {
    RetryBudget budget(0.2, seconds(10), 3);
    requests(budget, 100, kT0);
    EXPECT_EQ(budget.available(kT0), 20);
    EXPECT_EQ(drain(budget, kT0), 20);
    EXPECT_EQ(budget.retries_in_window(kT0), 20);
    // More requests earn more retries, in proportion.
    requests(budget, 10, kT0);
    EXPECT_EQ(drain(budget, kT0), 2);
}

TEST(RetryBudget, TheMinimumIsAFloorNotAnAddition) {
    RetryBudget budget(0.2, seconds(10), 3);
    requests(budget, 10, kT0);  // ratio gives 2, the minimum 3
    EXPECT_EQ(drain(budget, kT0), 3);
}

TEST(RetryBudget, RatioArithmeticDoesNotLoseARetryToRounding) {
    RetryBudget budget(0.7, seconds(10), 0);
    requests(budget, 10, kT0);  // 0.7 * 10 is 6.999999999999999 in doubles
    EXPECT_EQ(drain(budget, kT0), 7);
}

TEST(RetryBudget, CountsEveryRefusal) {
    RetryBudget budget(0.0, seconds(10), 1);
    EXPECT_TRUE(budget.try_retry(kT0));
    for (int i = 0; i < 5; ++i) EXPECT_FALSE(budget.try_retry(kT0));
    EXPECT_EQ(budget.exhausted(), 5);
    // A refused retry is not recorded as a retry.
    EXPECT_EQ(budget.retries_in_window(kT0), 1);
}

TEST(RetryBudget, RecoversAsTheWindowSlides) {
    RetryBudget budget(0.0, seconds(10), 2);
    EXPECT_EQ(drain(budget, kT0), 2);
    EXPECT_EQ(drain(budget, kT0 + milliseconds(9999)), 0);
    // kT0 sits on a bucket boundary: its retries leave the window exactly 10 s later.
    EXPECT_EQ(budget.retries_in_window(kT0 + seconds(10)), 0);
    EXPECT_EQ(drain(budget, kT0 + seconds(10)), 2);
}

TEST(RetryBudget, RequestsLeaveTheWindowToo) {
    RetryBudget budget(0.5, seconds(10), 0);
    requests(budget, 10, kT0);
    requests(budget, 4, kT0 + seconds(5));
    EXPECT_EQ(budget.requests_in_window(kT0 + seconds(9)), 14);
    EXPECT_EQ(budget.available(kT0 + seconds(9)), 7);
    // The 10 early requests have slid out; only the 4 later ones earn retries.
    EXPECT_EQ(budget.requests_in_window(kT0 + seconds(10)), 4);
    EXPECT_EQ(drain(budget, kT0 + seconds(10)), 2);
}

TEST(RetryBudget, SteadyBrownOutNeverExceedsTheRatio) {
    // Every request wants a retry (all replicas sick) for a minute at 100 requests/s.
    RetryBudget budget(0.1, seconds(10), 5);
    int64_t sent = 0;
    int64_t retried = 0;
    for (int ms = 0; ms < 60000; ms += 10) {
        const Clock::time_point now = kT0 + milliseconds(ms);
        budget.on_request(now);
        ++sent;
        if (budget.try_retry(now)) ++retried;
        // At any moment the window holds at most max(min, 10%) of its requests as retries.
        ASSERT_LE(budget.retries_in_window(now),
                  std::max<int64_t>(5, budget.requests_in_window(now) / 10))
            << ms;
    }
    EXPECT_LE(retried, sent / 10 + 5);
    EXPECT_GE(retried, sent / 10 - 5);
    EXPECT_EQ(budget.exhausted(), sent - retried);
}

TEST(RetryBudget, OptionsConstructorAndValidation) {
    RetryBudget budget(RetryBudgetOptions{.ratio = 0.5, .window = seconds(1), .min_per_window = 0});
    requests(budget, 4, kT0);
    EXPECT_EQ(drain(budget, kT0), 2);

    EXPECT_TRUE(validate(RetryBudgetOptions{}).ok());
    EXPECT_NE(validate(RetryBudgetOptions{.ratio = -0.1}).message().find("ratio"),
              std::string::npos);
    EXPECT_NE(
        validate(RetryBudgetOptions{.window = Clock::duration::zero()}).message().find("window"),
        std::string::npos);
    EXPECT_NE(validate(RetryBudgetOptions{.min_per_window = -1}).message().find("min_per_window"),
              std::string::npos);
}

}  // namespace
}  // namespace glmserve::gateway
