#include "bench/stats.h"

#include <gtest/gtest.h>

#include <numeric>

namespace glmserve::bench {
namespace {

std::vector<double> one_to(int n) {
    std::vector<double> v(static_cast<size_t>(n));
    std::iota(v.begin(), v.end(), 1.0);
    return v;
}

RequestRecord ok_record(double start_s, double ttft_s, std::vector<double> gaps) {
    RequestRecord r;
    r.start_s = start_s;
    r.scheduled_s = start_s;
    r.ttft_s = ttft_s;
    r.itl_s = std::move(gaps);
    double e2e = ttft_s;
    for (double g : r.itl_s) e2e += g;
    r.e2e_s = e2e;
    r.n_tokens_prompt = 10;
    r.n_tokens_generated = static_cast<int64_t>(r.itl_s.size()) + 1;
    r.http_status = 200;
    return r;
}

TEST(Percentile, LinearInterpolationBetweenClosestRanks) {
    const auto v = one_to(100);
    EXPECT_DOUBLE_EQ(percentile_sorted(v, 0), 1.0);
    EXPECT_DOUBLE_EQ(percentile_sorted(v, 50), 50.5);
    EXPECT_DOUBLE_EQ(percentile_sorted(v, 90), 90.1);
    EXPECT_DOUBLE_EQ(percentile_sorted(v, 95), 95.05);
    EXPECT_DOUBLE_EQ(percentile_sorted(v, 99), 99.01);
    EXPECT_DOUBLE_EQ(percentile_sorted(v, 100), 100.0);
    const std::vector<double> single{7.0};
    EXPECT_DOUBLE_EQ(percentile_sorted(single, 99), 7.0);
}

TEST(Distribution, SummarisesUnsortedSamples) {
    auto v = one_to(100);
    std::reverse(v.begin(), v.end());
    const Distribution d = distribution(v);
    EXPECT_EQ(d.count, 100u);
    EXPECT_DOUBLE_EQ(d.min, 1);
    EXPECT_DOUBLE_EQ(d.max, 100);
    EXPECT_DOUBLE_EQ(d.mean, 50.5);
    EXPECT_DOUBLE_EQ(d.p50, 50.5);
    EXPECT_DOUBLE_EQ(d.p90, 90.1);
    EXPECT_DOUBLE_EQ(d.p99, 99.01);
    const Distribution empty = distribution({});
    EXPECT_EQ(empty.count, 0u);
    EXPECT_EQ(empty.max, 0);
}

TEST(Summarize, LatencyFiguresUseOkRequestsOnly) {
    std::vector<RequestRecord> records;
    records.push_back(ok_record(0.0, 0.1, {0.01, 0.03}));
    records.push_back(ok_record(0.5, 0.3, {0.02}));
    RequestRecord failed;
    failed.outcome = Outcome::HttpError;
    failed.http_status = 503;
    failed.e2e_s = 0.001;
    records.push_back(failed);
    const Summary s = summarize(records, {}, 2.0);
    EXPECT_EQ(s.n_requests, 3u);
    EXPECT_EQ(s.ttft_s.count, 2u);
    EXPECT_DOUBLE_EQ(s.ttft_s.p50, 0.2);
    EXPECT_EQ(s.itl_s.count, 3u);
    EXPECT_DOUBLE_EQ(s.itl_s.p50, 0.02);
    // TPOT: (0.14 - 0.1) / 2 = 0.02 and (0.32 - 0.3) / 1 = 0.02.
    EXPECT_EQ(s.tpot_s.count, 2u);
    EXPECT_NEAR(s.tpot_s.mean, 0.02, 1e-12);
    EXPECT_NEAR(s.e2e_s.max, 0.32, 1e-12);
    EXPECT_EQ(s.n_tokens_generated, 5u);
    EXPECT_EQ(s.n_tokens_prompt, 20u);
    EXPECT_DOUBLE_EQ(s.requests_per_s, 1.0);
    EXPECT_DOUBLE_EQ(s.output_tokens_per_s, 2.5);
    EXPECT_EQ(s.outcomes.ok, 2u);
    EXPECT_EQ(s.outcomes.http_error, 1u);
    EXPECT_EQ(s.outcomes.by_http_status.at(200), 2u);
    EXPECT_EQ(s.outcomes.by_http_status.at(503), 1u);
}

TEST(Summarize, GoodputCountsOkRequestsMeetingEverySlo) {
    std::vector<RequestRecord> records;
    records.push_back(ok_record(0, 0.5, {0.05, 0.05}));  // meets all
    records.push_back(ok_record(0, 1.5, {0.05}));        // TTFT too slow
    records.push_back(ok_record(0, 0.5, {0.05, 0.5}));   // ITL P99 = 0.4955 too slow
    records.push_back(ok_record(0, 0.9, {}));            // no gaps: meets ITL
    records.push_back(ok_record(0, 0.2, {0.05, 3.0}));   // E2E 3.25 too slow (and ITL)
    RequestRecord cut = ok_record(0, 0.1, {0.01});
    cut.outcome = Outcome::StreamCut;  // never goodput
    records.push_back(cut);
    const Slo slo{.ttft_s = 1.0, .itl_s = 0.1, .e2e_s = 3.0};
    EXPECT_EQ(summarize(records, slo, 4.0).n_goodput, 2u);
    EXPECT_DOUBLE_EQ(summarize(records, slo, 4.0).goodput_per_s, 0.5);
    EXPECT_EQ(summarize(records, {}, 4.0).n_goodput, 5u);
    EXPECT_EQ(summarize(records, {.ttft_s = 1.0}, 4.0).n_goodput, 4u);
}

TEST(Summarize, ItlSloUsesEachRequestsP99Gap) {
    std::vector<double> gaps(99, 0.01);
    gaps.push_back(0.5);  // P99 of 100 gaps = 0.01 + 0.01 * 0.49 = 0.0149
    const RequestRecord r = ok_record(0, 0.1, gaps);
    EXPECT_TRUE(meets_slo(r, {.itl_s = 0.015}));
    EXPECT_FALSE(meets_slo(r, {.itl_s = 0.014}));
}

TEST(Summarize, TimelineBucketsInFlightTokensAndCompletions) {
    std::vector<RequestRecord> records;
    records.push_back(ok_record(0.5, 0.25, {0.5, 0.5}));  // open [0.5, 1.75), tokens 0.75 1.25 1.75
    records.push_back(ok_record(1.0, 0.5, {}));           // open [1.0, 1.5), token 1.5
    RequestRecord refused;
    refused.outcome = Outcome::ConnectError;
    refused.start_s = 2.0;
    refused.e2e_s = 0.5;
    records.push_back(refused);
    const Summary s = summarize(records, {}, 2.5);
    ASSERT_EQ(s.timeline.size(), 3u);
    EXPECT_DOUBLE_EQ(s.timeline[0].in_flight, 0.5);
    EXPECT_DOUBLE_EQ(s.timeline[1].in_flight, 0.75 + 0.5);
    EXPECT_DOUBLE_EQ(s.timeline[2].in_flight, 0.5);
    EXPECT_EQ(s.timeline[0].tokens_out, 1u);
    EXPECT_EQ(s.timeline[1].tokens_out, 3u);
    EXPECT_EQ(s.timeline[1].completed_ok, 2u);
    EXPECT_EQ(s.timeline[2].completed_ok, 0u);
    EXPECT_EQ(s.outcomes.connect_error, 1u);
}

TEST(Summarize, SendLagOfEveryRequest) {
    std::vector<RequestRecord> records;
    records.push_back(ok_record(1.0, 0.1, {}));
    records.back().scheduled_s = 0.75;  // sent 0.25 s late
    RequestRecord refused;
    refused.outcome = Outcome::ConnectError;
    refused.start_s = 2.0;
    refused.scheduled_s = 2.0;
    records.push_back(refused);
    const Summary s = summarize(records, {}, 3.0);
    EXPECT_EQ(s.send_lag_s.count, 2u);
    EXPECT_DOUBLE_EQ(s.send_lag_s.max, 0.25);
    EXPECT_DOUBLE_EQ(s.send_lag_s.min, 0.0);
}

TEST(RequestRecord, GapsAreBounded) {
    RequestRecord r;
    for (size_t i = 0; i < kMaxGapsPerRequest + 3; ++i) r.add_gap(0.001);
    EXPECT_EQ(r.itl_s.size(), kMaxGapsPerRequest);
    EXPECT_EQ(r.n_gaps_dropped, 3u);
}

}  // namespace
}  // namespace glmserve::bench
