#include "bench/serve_bench.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/report.h"
#include "support/fake_openai_server.h"

namespace glmserve::bench {
namespace {

namespace fs = std::filesystem;

struct TempDir {
    fs::path path =
        fs::temp_directory_path() / ("glmserve_serve_bench_test_" + std::to_string(::getpid()));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
};

std::string read_all(const fs::path& p) {
    std::ifstream in(p);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Runs with output to a temporary file (fmt::print takes a FILE*) and returns the text.
std::string run_to_text(const ServeBenchConfig& config) {
    std::FILE* out = std::tmpfile();
    const Status st = run_serve_bench(config, out);
    EXPECT_TRUE(st.ok()) << st.to_string();
    std::rewind(out);
    std::string text;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, out)) > 0;) text.append(buf, n);
    std::fclose(out);
    return text;
}

TEST(ServeBench, Durations) {
    EXPECT_DOUBLE_EQ(*parse_duration_s("250ms"), 0.25);
    EXPECT_DOUBLE_EQ(*parse_duration_s("1.5s"), 1.5);
    EXPECT_DOUBLE_EQ(*parse_duration_s("2m"), 120);
    EXPECT_DOUBLE_EQ(*parse_duration_s("3"), 3);
    for (const char* bad : {"", "s", "-1s", "0", "5 s", "1d", "nan"}) {
        EXPECT_FALSE(parse_duration_s(bad).ok()) << bad;
    }
}

TEST(ServeBench, BadFlagsAreClearErrors) {
    const auto message = [](ServeBenchOptions o) { return validate(o).status().message(); };
    ServeBenchOptions o{.url = "http://127.0.0.1:8080", .requests = 10};
    EXPECT_TRUE(validate(o).ok());
    EXPECT_NE(message({.requests = 1}).find("--url"), std::string::npos);
    EXPECT_NE(message({.url = "ftp://x", .requests = 1}).find("--url"), std::string::npos);
    EXPECT_NE(message({.url = o.url}).find("--requests or --duration"), std::string::npos);
    auto both = o;
    both.rate = 2;
    both.burst = true;
    EXPECT_NE(message(both).find("only one of"), std::string::npos);
    auto api = o;
    api.api = "embeddings";
    EXPECT_NE(message(api).find("--api"), std::string::npos);
    auto slo = o;
    slo.slo_itl = "fast";
    EXPECT_NE(message(slo).find("--slo-itl"), std::string::npos);
    auto rates = o;
    rates.rates = "1,x";
    EXPECT_NE(message(rates).find("--rates"), std::string::npos);
    auto lengths = o;
    lengths.output_tokens = "9:3";
    EXPECT_NE(message(lengths).find("--output-tokens"), std::string::npos);
    auto dataset = o;
    dataset.dataset = "/nonexistent/prompts.jsonl";
    EXPECT_NE(message(dataset).find("/nonexistent/prompts.jsonl"), std::string::npos);
}

TEST(ServeBench, RunWritesTableJsonAndHtml) {
    auto server = testing::FakeOpenAiServer::start(
        {.ttft = std::chrono::milliseconds(20), .inter_token = std::chrono::milliseconds(2)});
    TempDir dir;
    auto config = validate({.url = server->url(),
                            .concurrency = 2,
                            .requests = 6,
                            .output_tokens = "4",
                            .slo_ttft = "10s",
                            .json_path = (dir.path / "run.json").string(),
                            .html_path = (dir.path / "run.html").string(),
                            .progress = false});
    ASSERT_TRUE(config.ok()) << config.status().to_string();
    const std::string table = run_to_text(*config);
    EXPECT_NE(table.find("TTFT"), std::string::npos) << table;
    const auto summary = read_summary_file((dir.path / "run.json").string());
    ASSERT_TRUE(summary.ok()) << summary.status().to_string();
    EXPECT_EQ(summary->outcomes.ok, 6u);
    EXPECT_EQ(summary->n_goodput, 6u);
    EXPECT_EQ(summary->n_tokens_generated, 24u);
    EXPECT_GE(summary->ttft_s.min, 0.020);
    EXPECT_NE(read_all(dir.path / "run.html").find("<svg"), std::string::npos);
    const auto doc = nlohmann::json::parse(read_all(dir.path / "run.json"));
    EXPECT_EQ(doc["run"]["url"], server->url());
    EXPECT_EQ(doc["run"]["load"], "closed_loop");
    EXPECT_EQ(doc["run"]["concurrency"], 2);

    std::FILE* out = std::tmpfile();
    EXPECT_TRUE(
        run_compare((dir.path / "run.json").string(), (dir.path / "run.json").string(), out).ok());
    std::fclose(out);
    EXPECT_EQ(
        run_compare((dir.path / "missing.json").string(), (dir.path / "run.json").string(), stdout)
            .code(),
        StatusCode::NotFound);
}

TEST(ServeBench, UnreachableServerIsAClearError) {
    auto config =
        validate({.url = "http://127.0.0.1:1", .model = "m", .requests = 3, .progress = false});
    ASSERT_TRUE(config.ok());
    std::FILE* out = std::tmpfile();
    Status st = run_serve_bench(*config, out);
    EXPECT_EQ(st.code(), StatusCode::Unavailable);
    EXPECT_NE(st.message().find("could not connect to http://127.0.0.1:1"), std::string::npos)
        << st.message();
    // Without --model the run cannot start: the error says where it looked and what to pass.
    config = validate({.url = "http://127.0.0.1:1", .requests = 3, .progress = false});
    ASSERT_TRUE(config.ok());
    st = run_serve_bench(*config, out);
    std::fclose(out);
    EXPECT_EQ(st.code(), StatusCode::Unavailable);
    EXPECT_NE(st.message().find("http://127.0.0.1:1/v1/models"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("pass --model"), std::string::npos) << st.message();
}

TEST(ServeBench, ExplicitModelAndNoCalibrateAskNothingFirst) {
    auto server = testing::FakeOpenAiServer::start(
        {.serve_models = false, .serve_tokenize = false, .tokens_per_word = 2});
    TempDir dir;
    auto config = validate({.url = server->url(),
                            .model = "mine",
                            .requests = 3,
                            .prompt_tokens = "10",
                            .output_tokens = "1",
                            .calibrate = false,
                            .json_path = (dir.path / "run.json").string(),
                            .progress = false});
    ASSERT_TRUE(config.ok()) << config.status().to_string();
    const std::string text = run_to_text(*config);
    EXPECT_EQ(server->requests_seen(), 3);  // the three measured requests only
    EXPECT_NE(text.find("1.000 tokens per word (estimate, --no-calibrate)"), std::string::npos)
        << text;
    EXPECT_EQ(text.find("model:"), std::string::npos) << text;
    const auto doc = nlohmann::json::parse(read_all(dir.path / "run.json"));
    EXPECT_EQ(doc["run"]["model"], "mine");
    EXPECT_EQ(doc["run"]["model_source"], "--model");
    EXPECT_EQ(doc["run"]["prompt_calibration"]["source"], "estimate");
    EXPECT_EQ(doc["run"]["prompt_calibration"]["tokens_per_word"], 1.0);
    EXPECT_EQ(doc["n_tokens_prompt"], 3 * 10 * 2);  // ten words, two tokens each
}

TEST(ServeBench, DatasetPromptsAreNotCalibrated) {
    auto server = testing::FakeOpenAiServer::start({.model_id = "glm-ds"});
    TempDir dir;
    const fs::path dataset = dir.path / "p.jsonl";
    std::ofstream(dataset) << "{\"prompt\": \"one two three\", \"max_tokens\": 2}\n";
    auto config = validate({.url = server->url(),
                            .requests = 2,
                            .dataset = dataset.string(),
                            .json_path = (dir.path / "run.json").string(),
                            .progress = false});
    ASSERT_TRUE(config.ok()) << config.status().to_string();
    const std::string text = run_to_text(*config);
    EXPECT_EQ(server->requests_seen(), 1 + 2);  // /v1/models, then the run
    EXPECT_NE(text.find("model: glm-ds"), std::string::npos) << text;
    EXPECT_EQ(text.find("tokens per word"), std::string::npos) << text;
    const auto doc = nlohmann::json::parse(read_all(dir.path / "run.json"));
    EXPECT_EQ(doc["run"]["model"], "glm-ds");
    EXPECT_EQ(doc["run"]["model_source"], "/v1/models");
    EXPECT_TRUE(doc["run"]["prompt_calibration"].is_null());
}

TEST(ServeBench, FailedRequestsShowAnExampleError) {
    auto server = testing::FakeOpenAiServer::start({.status = 429});
    auto config = validate({.url = server->url(), .requests = 2, .progress = false});
    ASSERT_TRUE(config.ok());
    const std::string text = run_to_text(*config);
    EXPECT_NE(text.find("e.g. http_error:"), std::string::npos) << text;
    EXPECT_NE(text.find("http 429"), std::string::npos);
}

TEST(ServeBench, SweepWritesOneRunPerRate) {
    auto server = testing::FakeOpenAiServer::start({.n_tokens = 2});
    TempDir dir;
    auto config = validate({.url = server->url(),
                            .requests = 5,
                            .rates = "50,100",
                            .output_tokens = "2",
                            .json_path = (dir.path / "sweep.json").string(),
                            .html_path = (dir.path / "sweep.html").string(),
                            .progress = false});
    ASSERT_TRUE(config.ok()) << config.status().to_string();
    ASSERT_EQ(config->shapes.size(), 2u);
    const std::string text = run_to_text(*config);
    EXPECT_NE(text.find("== sweep =="), std::string::npos);
    const auto doc = nlohmann::json::parse(read_all(dir.path / "sweep.json"));
    ASSERT_EQ(doc["runs"].size(), 2u);
    EXPECT_EQ(doc["runs"][1]["rate_per_s"], 100.0);
    EXPECT_TRUE(doc.contains("knee_rate_per_s"));
    EXPECT_NE(text.find("knee:"), std::string::npos);
    EXPECT_TRUE(summary_from_json(doc["runs"][0]["summary"]).ok());
    EXPECT_TRUE(fs::exists(dir.path / "sweep-rate50.html"));
    EXPECT_TRUE(fs::exists(dir.path / "sweep-rate100.html"));
}

}  // namespace
}  // namespace glmserve::bench
