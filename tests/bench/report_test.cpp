#include "bench/report.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace glmserve::bench {
namespace {

Summary sample_summary() {
    std::vector<RequestRecord> records;
    for (int i = 0; i < 10; ++i) {
        RequestRecord r;
        r.start_s = 0.1 * i;
        r.ttft_s = 0.05 + 0.001 * i;
        r.itl_s = {0.01, 0.012, 0.011};
        r.e2e_s = *r.ttft_s + 0.033;
        r.n_tokens_prompt = 32;
        r.n_tokens_generated = 4;
        r.http_status = 200;
        records.push_back(r);
    }
    RequestRecord busy;
    busy.outcome = Outcome::HttpError;
    busy.http_status = 503;
    records.push_back(busy);
    return summarize(records, {.ttft_s = 0.055, .itl_s = 0.1}, 2.0);
}

std::filesystem::path temp_file(const std::string& name, const std::string& text) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("glmserve_report_test_" + std::to_string(::getpid()) + "_" + name);
    std::ofstream(path) << text;
    return path;
}

TEST(Report, JsonRoundTripKeepsEveryFigure) {
    const Summary s = sample_summary();
    const auto back = summary_from_json_text(to_json(s).dump(2));
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_EQ(to_json(*back), to_json(s));
    EXPECT_EQ(back->n_goodput, s.n_goodput);
    EXPECT_EQ(back->ttft_s.p99, s.ttft_s.p99);
    EXPECT_EQ(back->outcomes.by_http_status.at(503), 1u);
    EXPECT_EQ(back->slo.ttft_s, 0.055);
    EXPECT_FALSE(back->slo.e2e_s.has_value());
    EXPECT_EQ(back->timeline.size(), s.timeline.size());
}

TEST(Report, TableShowsTheNumbersAligned) {
    const Summary s = sample_summary();
    const std::string table = format_table(s);
    EXPECT_NE(table.find(fmt::format("{:.2f}", s.ttft_s.p50 * 1e3)), std::string::npos) << table;
    EXPECT_NE(table.find("TTFT"), std::string::npos);
    EXPECT_NE(table.find("http 503"), std::string::npos);
    EXPECT_NE(table.find("5.000"), std::string::npos) << table;  // 10 ok requests / 2 s
    // Every latency row is as wide as the header.
    std::istringstream lines(table);
    std::string header, row;
    std::getline(lines, header);
    std::getline(lines, row);
    EXPECT_EQ(row.size(), header.size());
}

TEST(Report, CompareShowsRatios) {
    Summary a = sample_summary();
    Summary b = a;
    b.requests_per_s = a.requests_per_s * 2;
    b.ttft_s.p50 = a.ttft_s.p50 * 0.5;
    b.goodput_per_s = 0;
    a.goodput_per_s = 0;
    const std::string text = format_compare(a, b);
    auto line_with = [&](const std::string& key) {
        const auto pos = text.find(key);
        EXPECT_NE(pos, std::string::npos) << key;
        return text.substr(pos, text.find('\n', pos) - pos);
    };
    EXPECT_NE(line_with("requests/s").find("2.000"), std::string::npos);
    EXPECT_NE(line_with("TTFT p50 ms").find("0.500"), std::string::npos);
    EXPECT_NE(line_with("goodput").find(" -"), std::string::npos);  // A is zero
}

TEST(Report, BadJsonIsAClearError) {
    auto r = summary_from_json_text("{not json");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("not valid JSON"), std::string::npos);

    nlohmann::json j = to_json(sample_summary());
    j["ttft_s"]["p99"] = "slow";
    r = summary_from_json(j);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("summary.ttft_s.p99"), std::string::npos)
        << r.status().message();

    j = to_json(sample_summary());
    j.erase("outcomes");
    EXPECT_NE(summary_from_json(j).status().message().find("summary.outcomes"), std::string::npos);

    const auto path = temp_file("bad.json", "[1, 2]");
    r = read_summary_file(path.string());
    std::filesystem::remove(path);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find(path.string()), std::string::npos);

    r = read_summary_file("/nonexistent/run.json");
    EXPECT_EQ(r.status().code(), StatusCode::NotFound);
}

TEST(Report, FileRoundTrip) {
    const Summary s = sample_summary();
    const auto path = temp_file("ok.json", to_json(s).dump());
    const auto back = read_summary_file(path.string());
    std::filesystem::remove(path);
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_EQ(back->n_requests, 11u);
}

}  // namespace
}  // namespace glmserve::bench
