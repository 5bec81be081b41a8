// Runner tests against the in-process FakeOpenAiServer: measured latencies have tight lower
// bounds (the fake cannot answer early) and loose upper bounds (this machine is shared).
#include "bench/runner.h"

#include <gtest/gtest.h>

#include "bench/stats.h"
#include "support/fake_openai_server.h"

namespace glmserve::bench {
namespace {

using std::chrono::milliseconds;
using testing::FakeBehavior;
using testing::FakeOpenAiServer;

RunnerConfig config_for(const std::string& url, LoadShape shape) {
    auto parsed = http::parse_url(url);
    GS_CHECK(parsed.ok());
    RunnerConfig config;
    config.base_url = *parsed;
    config.shape = shape;
    config.request_timeout = milliseconds(10000);
    return config;
}

std::vector<Prompt> prompts() {
    return make_synthetic_prompts(
        {.prompt_tokens = {.min = 5, .max = 5}, .output_tokens = {.min = 8, .max = 8}, .seed = 1},
        4);
}

RunResult run_ok(const RunnerConfig& config) {
    auto result = run_load(config, prompts());
    GS_CHECK(result.ok());
    return std::move(result).value();
}

TEST(Runner, MeasuresTtftAndItlOfTheFake) {
    auto server = FakeOpenAiServer::start(
        {.ttft = milliseconds(50), .inter_token = milliseconds(10), .n_tokens = 8});
    const auto config = config_for(server->url(), {.concurrency = 4, .n_requests = 16});
    const RunResult run = run_ok(config);
    ASSERT_EQ(run.records.size(), 16u);
    const Summary s = summarize(run.records, {}, run.wall_s);
    EXPECT_EQ(s.outcomes.ok, 16u) << run.records[0].error;
    EXPECT_EQ(s.ttft_s.count, 16u);
    EXPECT_GE(s.ttft_s.min, 0.050);
    EXPECT_LE(s.ttft_s.p50, 0.050 + 0.250);
    EXPECT_EQ(s.itl_s.count, 16u * 7);
    EXPECT_GE(s.itl_s.p50, 0.008);
    EXPECT_LE(s.itl_s.p50, 0.010 + 0.100);
    EXPECT_GE(s.e2e_s.min, 0.050 + 7 * 0.010 - 0.005);
    EXPECT_EQ(s.n_tokens_generated, 16u * 8);
    for (const auto& r : run.records) EXPECT_TRUE(r.tokens_from_usage);
    // Keep-alive: four connections carried sixteen requests.
    EXPECT_LE(server->connections_accepted(), 4);
    EXPECT_EQ(server->requests_seen(), 16);
}

TEST(Runner, ChatApiKeyAndExactOutputLength) {
    auto server = FakeOpenAiServer::start({.n_tokens = 50});
    auto config = config_for(server->url(), {.concurrency = 2, .n_requests = 4});
    config.request.api = ApiKind::ChatCompletions;
    config.request.api_key = "sekret";
    config.request.ignore_eos = true;
    const RunResult run = run_ok(config);
    ASSERT_EQ(run.records.size(), 4u);
    for (const auto& r : run.records) {
        EXPECT_EQ(r.outcome, Outcome::Ok) << r.error;
        EXPECT_EQ(r.n_tokens_generated, 8);  // the prompts' max_tokens, not the fake's 50
    }
    EXPECT_EQ(server->last_authorization(), "Bearer sekret");
    EXPECT_NE(server->last_request_body().find("\"messages\""), std::string::npos);
}

TEST(Runner, CountsHttpErrorsByCode) {
    auto server = FakeOpenAiServer::start({.status = 503});
    const RunResult run = run_ok(config_for(server->url(), {.concurrency = 3, .n_requests = 9}));
    const Summary s = summarize(run.records, {}, run.wall_s);
    EXPECT_EQ(s.outcomes.http_error, 9u);
    EXPECT_EQ(s.outcomes.by_http_status.at(503), 9u);
    EXPECT_EQ(s.ttft_s.count, 0u);
}

TEST(Runner, CutStreamsAndGarbageAreCountedNotFatal) {
    auto server = FakeOpenAiServer::start({.cut_stream_after = true, .cut_after_tokens = 3});
    RunResult run = run_ok(config_for(server->url(), {.concurrency = 2, .n_requests = 6}));
    EXPECT_EQ(summarize(run.records, {}, run.wall_s).outcomes.stream_cut, 6u);

    server->set_behavior({.garbage_sse = true});
    run = run_ok(config_for(server->url(), {.concurrency = 2, .n_requests = 6}));
    const Summary s = summarize(run.records, {}, run.wall_s);
    EXPECT_EQ(s.outcomes.bad_response, 6u);
    EXPECT_FALSE(run.records[0].error.empty());
}

TEST(Runner, UnreachableServerIsConnectErrorForEveryRequest) {
    // Port 1 on loopback: nothing listens there in a test environment, so connect is refused.
    const RunResult run =
        run_ok(config_for("http://127.0.0.1:1", {.concurrency = 2, .n_requests = 5}));
    ASSERT_EQ(run.records.size(), 5u);
    for (const auto& r : run.records) EXPECT_EQ(r.outcome, Outcome::ConnectError) << r.error;
}

TEST(Runner, SlowServerTimesOut) {
    auto server = FakeOpenAiServer::start({.ttft = milliseconds(3000)});
    auto config = config_for(server->url(), {.concurrency = 2, .n_requests = 2});
    config.request_timeout = milliseconds(100);
    const RunResult run = run_ok(config);
    ASSERT_EQ(run.records.size(), 2u);
    for (const auto& r : run.records) {
        EXPECT_EQ(r.outcome, Outcome::Timeout) << r.error;
        EXPECT_GE(r.e2e_s, 0.099);
    }
}

TEST(Runner, OpenLoopPoissonAndBurstSendEveryRequest) {
    auto server = FakeOpenAiServer::start({.ttft = milliseconds(5), .n_tokens = 2});
    RunResult run = run_ok(
        config_for(server->url(),
                   {.kind = LoadKind::Poisson, .n_requests = 20, .rate_per_s = 200, .seed = 3}));
    EXPECT_EQ(summarize(run.records, {}, run.wall_s).outcomes.ok, 20u);
    // Sends follow the schedule: none before its arrival offset.
    const auto schedule = poisson_offsets_s(200, 20, 3);
    for (const auto& r : run.records) {
        EXPECT_EQ(r.scheduled_s, schedule[r.index]);
        EXPECT_GE(r.start_s + 1e-3, r.scheduled_s);
    }
    const Summary poisson = summarize(run.records, {}, run.wall_s);
    EXPECT_EQ(poisson.send_lag_s.count, 20u);
    EXPECT_LT(poisson.send_lag_s.p50, 0.100);  // loose: a shared machine

    run = run_ok(config_for(server->url(), {.kind = LoadKind::Burst, .n_requests = 10}));
    EXPECT_EQ(summarize(run.records, {}, run.wall_s).outcomes.ok, 10u);
    for (const auto& r : run.records) EXPECT_LT(r.start_s, 0.5);
}

TEST(Runner, ClosedLoopForADuration) {
    auto server = FakeOpenAiServer::start({.ttft = milliseconds(20), .n_tokens = 1});
    const RunResult run = run_ok(config_for(server->url(), {.concurrency = 2, .duration_s = 0.2}));
    EXPECT_GE(run.records.size(), 2u);
    for (const auto& r : run.records) {
        EXPECT_EQ(r.outcome, Outcome::Ok) << r.error;
        EXPECT_LT(r.start_s, 0.2 + 0.005);  // checked at send; the clock moves on a little
    }
}

TEST(Runner, ExtraIoThreadsKeepEveryRecord) {
    auto server = FakeOpenAiServer::start({.inter_token = milliseconds(1), .n_tokens = 4});
    auto config = config_for(server->url(), {.concurrency = 8, .n_requests = 64});
    config.n_extra_io_threads = 2;
    uint64_t last_done = 0;
    config.on_progress = [&](const Progress& p) { last_done = p.n_done; };
    const RunResult run = run_ok(config);
    ASSERT_EQ(run.records.size(), 64u);
    EXPECT_EQ(last_done, 64u);
    std::vector<bool> seen(64);
    for (const auto& r : run.records) {
        EXPECT_EQ(r.outcome, Outcome::Ok) << r.error;
        seen[r.index] = true;
    }
    EXPECT_EQ(std::count(seen.begin(), seen.end(), true), 64);
}

TEST(Runner, BadConfigIsAnError) {
    const auto config = config_for("http://127.0.0.1:1", {.concurrency = 1, .n_requests = 1});
    EXPECT_FALSE(run_load(config, {}).ok());
    auto bad_shape = config;
    bad_shape.shape.n_requests.reset();
    EXPECT_FALSE(run_load(bad_shape, prompts()).ok());
}

}  // namespace
}  // namespace glmserve::bench
