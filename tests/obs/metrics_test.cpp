#include "obs/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <latch>
#include <limits>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

namespace glmserve::obs {
namespace {

TEST(Metrics, RendersASmallRegistryExactly) {
    Registry registry;
    registry.counter("glmserve_test_requests_total", "Requests served.").inc(3);
    Counter& ok = registry.counter("glmserve_test_responses_total", "Responses by status.",
                                   {{"code", "200"}});
    registry.counter("glmserve_test_responses_total", "Responses by status.", {{"code", "500"}})
        .inc();
    ok.inc(2);
    registry.gauge("glmserve_test_queue_depth", "Waiting requests.").set(-1.5);
    registry.gauge_fn("glmserve_test_kv_blocks", "KV blocks by state.", {{"state", "free"}},
                      [] { return 42.0; });
    Histogram& latency = registry.histogram("glmserve_test_latency_seconds", "Latency.",
                                            {0.125, 1.0}, {{"route", "chat"}});
    for (double v : {0.0625, 0.125, 0.5, 3.0}) latency.observe(v);

    EXPECT_EQ(registry.render(),
              "# HELP glmserve_test_requests_total Requests served.\n"
              "# TYPE glmserve_test_requests_total counter\n"
              "glmserve_test_requests_total 3\n"
              "# HELP glmserve_test_responses_total Responses by status.\n"
              "# TYPE glmserve_test_responses_total counter\n"
              "glmserve_test_responses_total{code=\"200\"} 2\n"
              "glmserve_test_responses_total{code=\"500\"} 1\n"
              "# HELP glmserve_test_queue_depth Waiting requests.\n"
              "# TYPE glmserve_test_queue_depth gauge\n"
              "glmserve_test_queue_depth -1.5\n"
              "# HELP glmserve_test_kv_blocks KV blocks by state.\n"
              "# TYPE glmserve_test_kv_blocks gauge\n"
              "glmserve_test_kv_blocks{state=\"free\"} 42\n"
              "# HELP glmserve_test_latency_seconds Latency.\n"
              "# TYPE glmserve_test_latency_seconds histogram\n"
              "glmserve_test_latency_seconds_bucket{route=\"chat\",le=\"0.125\"} 2\n"
              "glmserve_test_latency_seconds_bucket{route=\"chat\",le=\"1\"} 3\n"
              "glmserve_test_latency_seconds_bucket{route=\"chat\",le=\"+Inf\"} 4\n"
              "glmserve_test_latency_seconds_sum{route=\"chat\"} 3.6875\n"
              "glmserve_test_latency_seconds_count{route=\"chat\"} 4\n");
}

TEST(Metrics, HistogramWithoutLabelsAndSnapshot) {
    Registry registry;
    Histogram& tokens = registry.histogram("glmserve_test_tokens", "Tokens.", {1, 2, 4});
    for (double v : {1.0, 3.0, 3.0, 100.0}) tokens.observe(v);
    const auto snap = tokens.snapshot();
    EXPECT_EQ(snap.cumulative_counts, (std::vector<uint64_t>{1, 1, 3, 4}));
    EXPECT_EQ(snap.count, 4u);
    EXPECT_EQ(snap.sum, 107.0);
    EXPECT_NE(registry.render().find("glmserve_test_tokens_bucket{le=\"4\"} 3\n"
                                     "glmserve_test_tokens_bucket{le=\"+Inf\"} 4\n"
                                     "glmserve_test_tokens_sum 107\n"
                                     "glmserve_test_tokens_count 4\n"),
              std::string::npos);
}

TEST(Metrics, NumbersAreSpelledTheWayPrometheusParsesThem) {
    struct Case {
        double value;
        const char* text;
    };
    const Case cases[] = {
        {0.0, "0"},
        {-0.0, "0"},
        {7.0, "7"},
        {-12.0, "-12"},
        {9007199254740993.0, "9007199254740992"},  // 2^53 + 1 rounds to 2^53
        {0.1, "0.1"},
        {1e-05, "1e-05"},
        {1e21, "1e+21"},
        {0.30000000000000004, "0.30000000000000004"},
        {std::numeric_limits<double>::infinity(), "+Inf"},
        {-std::numeric_limits<double>::infinity(), "-Inf"},
        {std::numeric_limits<double>::quiet_NaN(), "NaN"},
    };
    for (const Case& c : cases) {
        Registry registry;
        registry.gauge("g", "h").set(c.value);
        EXPECT_EQ(registry.render(), std::string("# HELP g h\n# TYPE g gauge\ng ") + c.text + "\n")
            << c.text;
    }
}

TEST(Metrics, EscapesHelpTextAndLabelValues) {
    Registry registry;
    registry.counter("glmserve_test_total", "Back\\slash, new\nline and \"quotes\".",
                     {{"path", "C:\\dir\n\"x\""}});
    EXPECT_EQ(registry.render(),
              "# HELP glmserve_test_total Back\\\\slash, new\\nline and \"quotes\".\n"
              "# TYPE glmserve_test_total counter\n"
              "glmserve_test_total{path=\"C:\\\\dir\\n\\\"x\\\"\"} 0\n");
}

TEST(Metrics, SameNameAndLabelsIsTheSameSeriesWhateverTheLabelOrder) {
    Registry registry;
    Counter& a = registry.counter("glmserve_test_total", "h", {{"a", "1"}, {"b", "2"}});
    Counter& b = registry.counter("glmserve_test_total", "h", {{"b", "2"}, {"a", "1"}});
    Counter& other = registry.counter("glmserve_test_total", "h", {{"a", "1"}, {"b", "3"}});
    EXPECT_EQ(&a, &b);
    EXPECT_NE(&a, &other);
    a.inc();
    b.inc();
    EXPECT_EQ(a.value(), 2.0);
    EXPECT_EQ(&registry.gauge("glmserve_test_g", "h"), &registry.gauge("glmserve_test_g", "h"));
    EXPECT_EQ(&registry.histogram("glmserve_test_h", "h", {1.0}),
              &registry.histogram("glmserve_test_h", "h", {1.0}));
    const std::string text = registry.render();
    EXPECT_NE(text.find("glmserve_test_total{a=\"1\",b=\"2\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("glmserve_test_total{a=\"1\",b=\"3\"} 0\n"), std::string::npos);
    // One HELP/TYPE header per family.
    size_t headers = 0;
    for (size_t at = 0; (at = text.find("# TYPE glmserve_test_total ", at)) != std::string::npos;
         ++at) {
        ++headers;
    }
    EXPECT_EQ(headers, 1u);
}

TEST(Metrics, CounterIgnoresNegativeNanAndInfiniteIncrements) {
    Registry registry;
    Counter& c = registry.counter("glmserve_test_total", "h");
    c.inc(2.5);
    c.inc(-1.0);
    c.inc(std::numeric_limits<double>::quiet_NaN());
    c.inc(std::numeric_limits<double>::infinity());
    c.inc();
    EXPECT_EQ(c.value(), 3.5);
}

TEST(Metrics, GaugeSetsAndAdds) {
    Registry registry;
    Gauge& g = registry.gauge("glmserve_test_g", "h");
    g.set(10);
    g.add(-2.5);
    g.add(1);
    EXPECT_EQ(g.value(), 8.5);
}

TEST(Metrics, HistogramIgnoresNanAndPutsBoundsInTheirOwnBucket) {
    Histogram h({1.0, 2.0});
    h.observe(std::numeric_limits<double>::quiet_NaN());
    h.observe(1.0);  // le is inclusive
    h.observe(-5.0);
    h.observe(std::numeric_limits<double>::infinity());
    const auto snap = h.snapshot();
    EXPECT_EQ(snap.cumulative_counts, (std::vector<uint64_t>{2, 2, 3}));
    EXPECT_EQ(snap.count, 3u);
}

TEST(Metrics, ConcurrentUpdatesLoseNothing) {
    Registry registry;
    Counter& counter = registry.counter("glmserve_test_total", "h");
    Gauge& gauge = registry.gauge("glmserve_test_g", "h");
    Histogram& hist = registry.histogram("glmserve_test_h", "h", {1.0});
    constexpr int kThreads = 4;
    constexpr int kIterations = 20000;
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            start.arrive_and_wait();
            for (int i = 0; i < kIterations; ++i) {
                counter.inc();
                gauge.add(2);
                hist.observe(i % 2 == 0 ? 0.5 : 2.0);
                // The same series looked up concurrently with render: both take the lock.
                if (i % 5000 == 0) {
                    registry.counter("glmserve_test_total", "h");
                    (void)registry.render();
                }
            }
        });
    }
    for (auto& thread : threads) thread.join();
    constexpr double kTotal = double{kThreads} * kIterations;
    EXPECT_EQ(counter.value(), kTotal);
    EXPECT_EQ(gauge.value(), 2 * kTotal);
    const auto snap = hist.snapshot();
    EXPECT_EQ(snap.count, static_cast<uint64_t>(kTotal));
    EXPECT_EQ(snap.cumulative_counts[0], static_cast<uint64_t>(kTotal / 2));
    EXPECT_EQ(snap.sum, kTotal / 2 * 0.5 + kTotal / 2 * 2.0);
}

TEST(Metrics, BucketPresetsAreStrictlyIncreasing) {
    for (const auto& bounds : {latency_buckets_seconds(), token_count_buckets()}) {
        ASSERT_FALSE(bounds.empty());
        for (size_t i = 1; i < bounds.size(); ++i) EXPECT_LT(bounds[i - 1], bounds[i]);
        Histogram h(bounds);  // accepted by the constructor's checks
    }
    EXPECT_EQ(latency_buckets_seconds().front(), 0.001);
    EXPECT_EQ(latency_buckets_seconds().back(), 60.0);
    EXPECT_EQ(token_count_buckets().front(), 1.0);
    EXPECT_EQ(token_count_buckets().back(), 65536.0);
}

TEST(MetricsDeathTest, ProgrammerErrorsAbort) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    Registry registry;
    registry.counter("glmserve_test_total", "h", {{"code", "200"}});
    registry.gauge_fn("glmserve_test_fn", "h", {}, [] { return 1.0; });
    EXPECT_DEATH(registry.gauge("glmserve_test_total", "h", {{"code", "200"}}), "type");
    EXPECT_DEATH(registry.counter("glmserve_test_total", "h", {{"route", "x"}}), "label");
    EXPECT_DEATH(registry.counter("glmserve_test_total", "h", {}), "label");
    EXPECT_DEATH(registry.counter("glmserve_test_total", "other help", {{"code", "1"}}), "help");
    EXPECT_DEATH(registry.counter("1_starts_with_digit", "h"), "is_metric_name");
    EXPECT_DEATH(registry.counter("has-dash", "h"), "is_metric_name");
    EXPECT_DEATH(registry.counter("glmserve_x", "h", {{"__reserved", "v"}}), "is_label_name");
    EXPECT_DEATH(registry.counter("glmserve_x", "h", {{"a:b", "v"}}), "is_label_name");
    EXPECT_DEATH(registry.counter("glmserve_x", "h", {{"a", "1"}, {"a", "2"}}), "find");
    EXPECT_DEATH(registry.histogram("glmserve_h", "h", {1.0}, {{"le", "1"}}), "le");
    EXPECT_DEATH(Histogram({2.0, 1.0}), "upper_bounds_");
    EXPECT_DEATH(Histogram({1.0, std::numeric_limits<double>::infinity()}), "isfinite");
    EXPECT_DEATH(registry.gauge_fn("glmserve_test_fn", "h", {}, [] { return 2.0; }), "find_series");
    registry.histogram("glmserve_h", "h", {1.0});
    EXPECT_DEATH(registry.histogram("glmserve_h", "h", {2.0}), "upper_bounds");
}

// Every line of the exposition is a comment (# HELP / # TYPE) or `name{labels} value`, each
// sample belongs to the family announced by the last # TYPE line, and its value parses.
void check_exposition(const std::string& text) {
    static const std::regex kComment(R"(# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*))");
    static const std::regex kSample(
        R"re(([a-zA-Z_:][a-zA-Z0-9_:]*))re"
        R"re((\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")re"
        R"re((?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? )re"
        R"re(([-+]?[0-9]+(?:\.[0-9]*)?(?:e[-+]?[0-9]+)?|[-+]?\.[0-9]+|[+-]Inf|NaN))re");
    ASSERT_FALSE(text.empty());
    ASSERT_EQ(text.back(), '\n');
    std::istringstream lines(text);
    std::string family, type;
    size_t n_samples = 0;
    for (std::string line; std::getline(lines, line);) {
        std::smatch m;
        if (std::regex_match(line, m, kComment)) {
            if (m[1] == "TYPE") {
                family = m[2];
                type = m[3];
                EXPECT_TRUE(type == "counter" || type == "gauge" || type == "histogram") << line;
            }
            continue;
        }
        ASSERT_TRUE(std::regex_match(line, m, kSample)) << "bad line: " << line;
        ++n_samples;
        const std::string name = m[1];
        if (type == "histogram") {
            EXPECT_TRUE(name == family + "_bucket" || name == family + "_sum" ||
                        name == family + "_count")
                << line;
        } else {
            EXPECT_EQ(name, family) << line;
        }
        const std::string value = m[3];
        char* end = nullptr;
        std::strtod(value.c_str(), &end);
        EXPECT_EQ(*end, '\0') << line;
    }
    EXPECT_GT(n_samples, 0u);
}

TEST(Metrics, RenderedOutputIsWellFormedLineByLine) {
    Registry registry;
    registry.counter("glmserve_a_total", "A.\nSecond line \\ here").inc(0.25);
    registry.counter("glmserve_b_total", "B.", {{"code", "2\"0\n0\\"}, {"m", ""}}).inc(1e22);
    registry.gauge("glmserve_c", "C.").set(std::numeric_limits<double>::quiet_NaN());
    registry.gauge("glmserve_d", "D.", {{"x", "y"}}).set(-std::numeric_limits<double>::infinity());
    registry.gauge_fn("glmserve_e", "E.", {{"k", "v"}}, [] { return 1e-9; });
    registry.counter_fn("glmserve_f_total", "F.", {}, [] { return 12345.5; });
    auto& h = registry.histogram("glmserve_g_seconds", "G.", latency_buckets_seconds(),
                                 {{"route", "/v1/chat"}});
    h.observe(0.003);
    h.observe(1e9);
    registry.histogram("glmserve_t", "T.", token_count_buckets()).observe(17);
    check_exposition(registry.render());
}

TEST(Metrics, CounterFnRendersAsCounter) {
    Registry registry;
    double cpu = 1.5;
    registry.counter_fn("glmserve_test_cpu_seconds_total", "CPU.", {}, [&] { return cpu; });
    cpu = 2.0;
    EXPECT_EQ(registry.render(),
              "# HELP glmserve_test_cpu_seconds_total CPU.\n"
              "# TYPE glmserve_test_cpu_seconds_total counter\n"
              "glmserve_test_cpu_seconds_total 2\n");
}

TEST(Metrics, ContentTypeIsTheTextFormat) {
    EXPECT_EQ(kPrometheusContentType, "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace
}  // namespace glmserve::obs
