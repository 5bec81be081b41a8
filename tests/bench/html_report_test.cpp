#include "bench/html_report.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace glmserve::bench {
namespace {

size_t count_of(const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) {
        ++n;
    }
    return n;
}

std::vector<RequestRecord> records() {
    std::vector<RequestRecord> out;
    for (int i = 0; i < 1000; ++i) {
        RequestRecord r;
        r.index = static_cast<uint64_t>(i);
        r.start_s = 0.003 * i;
        r.ttft_s = 0.040 + 0.00001 * i;
        r.itl_s = {0.010, 0.011};
        r.e2e_s = *r.ttft_s + 0.021;
        r.n_tokens_generated = 3;
        r.http_status = 200;
        out.push_back(r);
    }
    RequestRecord cut;
    cut.outcome = Outcome::StreamCut;
    out.push_back(cut);
    return out;
}

TEST(HtmlReport, SelfContainedWithChartsAndNumbers) {
    const auto recs = records();
    const Summary s = summarize(recs, {}, 3.0);
    const std::string html = render_html_report(s, recs, "run <A>");
    EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
    EXPECT_NE(html.find("<title>run &lt;A&gt;</title>"), std::string::npos);
    EXPECT_EQ(count_of(html, "<svg"), 7u);  // 3 CDFs, 3 timelines, outcomes
    EXPECT_EQ(count_of(html, "<polyline"), 6u);
    EXPECT_NE(html.find("TTFT CDF"), std::string::npos);
    EXPECT_NE(html.find("Requests in flight"), std::string::npos);
    EXPECT_NE(html.find("stream_cut"), std::string::npos);
    EXPECT_NE(html.find(fmt::format("{:.2f}", s.ttft_s.p99 * 1e3)), std::string::npos);
    EXPECT_NE(html.find(fmt::format("{:.3f}", s.output_tokens_per_s)), std::string::npos);
    // Nothing fetched from elsewhere.
    EXPECT_EQ(html.find("<script"), std::string::npos);
    EXPECT_EQ(html.find("src="), std::string::npos);
    EXPECT_EQ(html.find("href="), std::string::npos);
    EXPECT_EQ(html.find("@import"), std::string::npos);
}

TEST(HtmlReport, CdfPointsAreBounded) {
    const auto recs = records();
    const std::string html = render_html_report(summarize(recs, {}, 3.0), recs, "t");
    const auto start = html.find("points=\"");
    const auto end = html.find('"', start + 8);
    const std::string points = html.substr(start + 8, end - start - 8);
    EXPECT_LE(count_of(points, ","), kMaxCdfPoints + 1);
}

TEST(HtmlReport, EmptyRunStillRenders) {
    const std::string html = render_html_report(summarize({}, {}, 0), {}, "empty");
    EXPECT_EQ(count_of(html, "<svg"), 7u);
    EXPECT_EQ(html.find("nan"), std::string::npos);
    EXPECT_EQ(html.find("inf"), std::string::npos);
}

TEST(HtmlReport, Escapes) {
    EXPECT_EQ(html_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
}

}  // namespace
}  // namespace glmserve::bench
