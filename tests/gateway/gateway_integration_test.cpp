// The gateway on loopback in front of in-process fake upstreams (tests/support/
// fake_openai_server.h): policies spread traffic, failures are retried elsewhere and ejected,
// breakers open, streams pass through or end with an SSE error event, timeouts retry, and the
// edge (keys, rate limits, abuse guard, cache) answers as configured.
// Synchronisation: each request runs a client io_context on the test thread until it is done.
// Health checks are off except where a test is about them (the fakes have no /ready route);
// waits for health verdicts poll a condition with a deadline.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <deque>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "gateway/gateway_server.h"
#include "http/client.h"
#include "http/server.h"
#include "support/fake_openai_server.h"
#include "support/http_fetch.h"

namespace glmserve::gateway {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using testing::FakeBehavior;
using testing::FakeOpenAiServer;

using Reply = testing::FetchReply;

Reply request(uint16_t port, std::string method, std::string target, std::string body = "",
              std::vector<std::pair<std::string, std::string>> headers = {}) {
    return testing::fetch("http://127.0.0.1:" + std::to_string(port),
                          {.method = std::move(method),
                           .target = std::move(target),
                           .headers = std::move(headers),
                           .body = std::move(body)});
}

std::string completion_body(bool stream = false, int max_tokens = 4) {
    return json{
        {"model", "m"}, {"prompt", "hello there"}, {"max_tokens", max_tokens}, {"stream", stream}}
        .dump();
}

Reply complete(uint16_t port, std::string body = completion_body(),
               std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Content-Type", "application/json");
    return request(port, "POST", "/v1/completions", std::move(body), std::move(headers));
}

// A port where connections are refused for the rest of the process: a socket bound to it
// without listen() holds it. A port merely closed again could be taken by the next server that
// binds port 0 (ctest runs test processes in parallel), and then it would answer.
uint16_t dead_port() {
    static boost::asio::io_context io;
    static std::deque<boost::asio::ip::tcp::socket> held;
    boost::asio::ip::tcp::socket& socket = held.emplace_back(io);
    socket.open(boost::asio::ip::tcp::v4());
    socket.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    return socket.local_endpoint().port();
}

UpstreamConfig upstream(std::string name, uint16_t port, int weight = 1) {
    auto url = http::parse_url("http://127.0.0.1:" + std::to_string(port));
    GS_CHECK(url.ok());
    return {.name = std::move(name), .url = *url, .weight = weight, .backup = false};
}

GatewayConfig base_config() {
    GatewayConfig c;
    c.host = "127.0.0.1";
    c.port = 0;
    c.io_threads = 2;
    c.upstream_threads = 2;
    c.policy = "round_robin";
    c.health.enabled = false;
    c.health.poll_load = false;
    c.timeouts = {.connect = milliseconds(500),
                  .first_byte = milliseconds(3000),
                  .between_chunks = milliseconds(2000),
                  .total = milliseconds(8000)};
    c.retries = {.max_attempts = 3,
                 .budget_ratio = 1.0,
                 .budget_window = milliseconds(10000),
                 .min_retries = 100};
    c.outlier.consecutive_5xx = 100;
    c.outlier.consecutive_gateway_errors = 100;
    c.breaker.min_requests = 1000;
    c.drain_timeout = milliseconds(1000);
    return c;
}

// Fakes plus a gateway over them, in the order given.
class Cluster {
public:
    explicit Cluster(std::vector<FakeBehavior> behaviors) {
        for (const FakeBehavior& b : behaviors) fakes_.push_back(FakeOpenAiServer::start(b));
    }

    GatewayConfig config() const {
        GatewayConfig c = base_config();
        for (size_t i = 0; i < fakes_.size(); ++i) {
            c.upstreams.push_back(
                upstream(std::string(1, static_cast<char>('a' + i)), fakes_[i]->port()));
        }
        return c;
    }

    void start(GatewayConfig config) {
        auto gw = GatewayServer::start(std::move(config));
        ASSERT_TRUE(gw.ok()) << gw.status().to_string();
        gateway_ = std::move(gw).value();
    }

    FakeOpenAiServer& fake(size_t i) { return *fakes_[i]; }
    GatewayServer& gateway() { return *gateway_; }
    uint16_t port() const { return gateway_->port(); }

    std::string metrics() { return request(port(), "GET", "/metrics").body; }
    json status() { return json::parse(request(port(), "GET", "/gateway/status").body); }

private:
    std::vector<std::unique_ptr<FakeOpenAiServer>> fakes_;
    std::unique_ptr<GatewayServer> gateway_;
};

bool has_line(const std::string& text, const std::string& line) {
    return text.find(line + "\n") != std::string::npos;
}

// The value of one series in Prometheus text (`series` with its labels), or -1 when absent.
double metric_value(const std::string& text, const std::string& series) {
    const size_t at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + series.size() + 2));
}

// Polls `done` every 20 ms for up to `limit` (health verdicts come from timers).
template <typename F>
bool eventually(F done, milliseconds limit = milliseconds(5000)) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < give_up) {
        if (done()) return true;
        std::this_thread::sleep_for(milliseconds(20));
    }
    return done();
}

TEST(GatewayIntegration, RoundRobinSpreadsEvenly) {
    Cluster cluster(std::vector<FakeBehavior>{{}, {}, {}});
    cluster.start(cluster.config());
    for (int i = 0; i < 9; ++i) {
        Reply r = complete(cluster.port());
        ASSERT_TRUE(r.status.ok()) << r.status.to_string();
        ASSERT_EQ(r.http_status, 200) << r.body;
        EXPECT_FALSE(r.header("X-Request-Id").empty());
        EXPECT_NE(json::parse(r.body)["choices"][0]["text"].get<std::string>().find("tok0"),
                  std::string::npos);
    }
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(cluster.fake(i).requests_seen(), 3) << i;
}

TEST(GatewayIntegration, WeightedRoundRobinFollowsWeights) {
    Cluster cluster(std::vector<FakeBehavior>{{}, {}});
    GatewayConfig c = cluster.config();
    c.policy = "weighted_round_robin";
    c.upstreams[0].weight = 3;
    cluster.start(c);
    for (int i = 0; i < 8; ++i) ASSERT_EQ(complete(cluster.port()).http_status, 200);
    EXPECT_EQ(cluster.fake(0).requests_seen(), 6);
    EXPECT_EQ(cluster.fake(1).requests_seen(), 2);
}

TEST(GatewayIntegration, PrefixAffinityKeepsAPromptOnOneUpstream) {
    Cluster cluster(std::vector<FakeBehavior>{{}, {}, {}});
    GatewayConfig c = cluster.config();
    c.policy = "prefix_affinity";
    c.affinity.prefix_chars = 16;
    cluster.start(c);
    const std::string same =
        json{{"model", "m"}, {"prompt", "a long shared system prompt, then a question"}}.dump();
    for (int i = 0; i < 6; ++i) ASSERT_EQ(complete(cluster.port(), same).http_status, 200);
    int used = 0;
    for (size_t i = 0; i < 3; ++i) {
        const int seen = cluster.fake(i).requests_seen();
        EXPECT_TRUE(seen == 0 || seen == 6) << i << ": " << seen;
        used += seen > 0 ? 1 : 0;
    }
    EXPECT_EQ(used, 1);
    // Different prefixes spread over the ring.
    for (int i = 0; i < 30; ++i) {
        const std::string body =
            json{{"model", "m"}, {"prompt", "prompt number " + std::to_string(i) + " ..."}}.dump();
        ASSERT_EQ(complete(cluster.port(), body).http_status, 200);
    }
    int spread = 0;
    for (size_t i = 0; i < 3; ++i) spread += cluster.fake(i).requests_seen() > 6 ? 1 : 0;
    EXPECT_GE(spread, 2);
}

TEST(GatewayIntegration, FullUpstreamsGive503) {
    Cluster cluster(std::vector<FakeBehavior>{{.ttft = milliseconds(1500)}});
    GatewayConfig c = cluster.config();
    c.limits.max_pending_per_upstream = 1;
    cluster.start(c);
    std::thread slow([&] { EXPECT_EQ(complete(cluster.port()).http_status, 200); });
    // The first request is waiting for its first byte upstream: the only upstream is full.
    EXPECT_TRUE(eventually([&] { return cluster.fake(0).requests_seen() == 1; }));
    Reply r = complete(cluster.port());
    EXPECT_EQ(r.http_status, 503);
    EXPECT_EQ(r.header("Retry-After"), "1");
    EXPECT_NE(r.body.find("no_upstream"), std::string::npos) << r.body;
    slow.join();
    EXPECT_EQ(cluster.fake(0).requests_seen(), 1);
}

// A minimal glmserve-like replica on http::Server: /ready passes, /v1/status reports a fixed
// load (fields as src/server/info_routes.cpp writes them), and completions are counted.
class LoadReportingReplica {
public:
    LoadReportingReplica(int64_t queued_tokens, double kv_usage) {
        auto server =
            http::Server::start({}, [this, queued_tokens, kv_usage](
                                        http::Request r, std::shared_ptr<http::ResponseWriter> w) {
                if (r.path() == "/v1/status") {
                    return w->send({.body = json{{"queued_prompt_tokens", queued_tokens},
                                                 {"kv_cache", {{"usage", kv_usage}}}}
                                                .dump()});
                }
                if (r.path() == "/ready") return w->send({.body = R"({"status":"ready"})"});
                served_.fetch_add(1);
                w->send({.body = R"({"choices":[{"text":"ok"}]})"});
            });
        GS_CHECK(server.ok());
        server_ = std::move(server).value();
    }
    uint16_t port() const { return server_->port(); }
    int served() const { return served_.load(); }

private:
    std::atomic<int> served_{0};
    std::unique_ptr<http::Server> server_;
};

TEST(GatewayIntegration, PowerOfTwoChoicesAvoidsTheLoadedReplica) {
    LoadReportingReplica busy(/*queued_tokens=*/200000, /*kv_usage=*/0.95);
    LoadReportingReplica idle(0, 0.0);
    GatewayConfig c = base_config();
    c.policy = "p2c";
    c.upstreams = {upstream("busy", busy.port()), upstream("idle", idle.port())};
    c.health = {.enabled = true,
                .path = "/ready",
                .interval = milliseconds(50),
                .timeout = milliseconds(40),
                .rise = 1,
                .fall = 1,
                .poll_load = true};
    auto gw = GatewayServer::start(c);
    ASSERT_TRUE(gw.ok());
    const uint16_t port = (*gw)->port();
    ASSERT_TRUE(eventually([&] {
        json s = json::parse(request(port, "GET", "/gateway/status").body);
        return s["upstreams"][0]["queued_tokens"] == 200000 &&
               s["upstreams"][1]["queued_tokens"] == 0;
    }));
    for (int i = 0; i < 10; ++i) ASSERT_EQ(complete(port).http_status, 200);
    EXPECT_EQ(idle.served(), 10);
    EXPECT_EQ(busy.served(), 0);
    const std::string m = request(port, "GET", "/metrics").body;
    EXPECT_TRUE(has_line(m, "glmserve_gateway_upstream_kv_usage_ratio{upstream=\"busy\"} 0.95"))
        << m;
}

TEST(GatewayIntegration, RequestHeadersAndIdPassThrough) {
    Cluster cluster(std::vector<FakeBehavior>{{}});
    cluster.start(cluster.config());
    Reply r = complete(cluster.port(), completion_body(),
                       {{"Authorization", "Bearer upstream-key"}, {"X-Request-Id", "abc123"}});
    ASSERT_EQ(r.http_status, 200);
    EXPECT_EQ(r.header("X-Request-Id"), "abc123");
    EXPECT_EQ(cluster.fake(0).last_authorization(), "Bearer upstream-key");
    EXPECT_EQ(cluster.fake(0).last_request_body(), completion_body());
}

TEST(GatewayIntegration, OddBodiesArePassedToTheUpstreamToJudge) {
    Cluster cluster(std::vector<FakeBehavior>{{}});
    cluster.start(cluster.config());
    EXPECT_EQ(complete(cluster.port(), R"({"prompt": "x", "stream": "yes", "max_tokens": [1]})")
                  .http_status,
              200);
    Reply bad = complete(cluster.port(), "not json");
    EXPECT_EQ(bad.http_status, 400);
    EXPECT_NE(bad.body.find("not a JSON object"), std::string::npos) << bad.body;
}

TEST(GatewayIntegration, FailingUpstreamIsRetriedElsewhereAndEjected) {
    Cluster cluster(std::vector<FakeBehavior>{{.status = 503}, {}});
    GatewayConfig c = cluster.config();
    c.outlier.consecutive_5xx = 2;
    c.outlier.base_ejection = milliseconds(60000);
    c.outlier.max_ejection = milliseconds(60000);
    cluster.start(c);
    for (int i = 0; i < 8; ++i) {
        Reply r = complete(cluster.port());
        ASSERT_EQ(r.http_status, 200) << r.body;
    }
    // Ejected after its second 503: it sees no traffic after that.
    EXPECT_EQ(cluster.fake(0).requests_seen(), 2);
    EXPECT_EQ(cluster.fake(1).requests_seen(), 8);
    const std::string m = cluster.metrics();
    EXPECT_TRUE(has_line(m, "glmserve_gateway_upstream_ejections_total{upstream=\"a\"} 1")) << m;
    EXPECT_TRUE(has_line(m, "glmserve_gateway_retries_total 2")) << m;
    EXPECT_TRUE(
        has_line(m, "glmserve_gateway_upstream_errors_total{upstream=\"a\",kind=\"5xx\"} 2"))
        << m;
    EXPECT_TRUE(has_line(m, "glmserve_gateway_upstream_ejected{upstream=\"a\"} 1")) << m;
    EXPECT_TRUE(cluster.status()["upstreams"][0]["ejected"].get<bool>());
}

TEST(GatewayIntegration, InternalErrorIsNotRetried) {
    Cluster cluster(std::vector<FakeBehavior>{{.status = 500}, {}});
    cluster.start(cluster.config());
    Reply r = complete(cluster.port());
    EXPECT_EQ(r.http_status, 500);
    EXPECT_NE(r.body.find("fake error 500"), std::string::npos) << r.body;
    EXPECT_EQ(cluster.fake(1).requests_seen(), 0);
}

TEST(GatewayIntegration, LastRetryableAnswerIsPassedOnWhenNoRetryIsLeft) {
    Cluster cluster(std::vector<FakeBehavior>{{.status = 503}, {.status = 503}});
    cluster.start(cluster.config());
    Reply r = complete(cluster.port());
    EXPECT_EQ(r.http_status, 503);
    EXPECT_EQ(r.header("Retry-After"), "1");
    EXPECT_NE(r.body.find("fake error 503"), std::string::npos) << r.body;
    EXPECT_EQ(cluster.fake(0).requests_seen() + cluster.fake(1).requests_seen(), 2);
}

TEST(GatewayIntegration, TooManyRequestsIsRetriedOnAFreeUpstream) {
    Cluster cluster(std::vector<FakeBehavior>{{.status = 429}, {}});
    cluster.start(cluster.config());
    for (int i = 0; i < 4; ++i) EXPECT_EQ(complete(cluster.port()).http_status, 200);
    EXPECT_EQ(cluster.fake(1).requests_seen(), 4);
}

TEST(GatewayIntegration, DeadPortIsAConnectErrorRetriedElsewhere) {
    Cluster cluster(std::vector<FakeBehavior>{{}});
    GatewayConfig c = cluster.config();
    c.upstreams.insert(c.upstreams.begin(), upstream("dead", dead_port()));
    cluster.start(c);
    for (int i = 0; i < 4; ++i) {
        Reply r = complete(cluster.port());
        ASSERT_EQ(r.http_status, 200) << r.body;
    }
    const std::string m = cluster.metrics();
    // Every request that tried the dead port first was retried on the live one.
    const double errors = metric_value(
        m, "glmserve_gateway_upstream_errors_total{upstream=\"dead\",kind=\"connect\"}");
    EXPECT_GE(errors, 1) << m;
    EXPECT_EQ(metric_value(m, "glmserve_gateway_retries_total"), errors) << m;
}

TEST(GatewayIntegration, AllUpstreamsDeadGives502) {
    Cluster cluster(std::vector<FakeBehavior>{});
    GatewayConfig c = cluster.config();
    c.upstreams = {upstream("x", dead_port()), upstream("y", dead_port())};
    cluster.start(c);
    Reply r = complete(cluster.port());
    EXPECT_EQ(r.http_status, 502);
    EXPECT_NE(r.body.find("upstream_failed"), std::string::npos) << r.body;
}

TEST(GatewayIntegration, BreakerOpensAndRefuses) {
    Cluster cluster(std::vector<FakeBehavior>{{.status = 500}});
    GatewayConfig c = cluster.config();
    c.breaker = {.window = milliseconds(10000),
                 .min_requests = 3,
                 .failure_rate = 0.5,
                 .open_duration = milliseconds(60000),
                 .half_open_probes = 1};
    cluster.start(c);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(complete(cluster.port()).http_status, 500);
    Reply r = complete(cluster.port());
    EXPECT_EQ(r.http_status, 503);
    EXPECT_NE(r.body.find("no_upstream"), std::string::npos) << r.body;
    EXPECT_EQ(cluster.fake(0).requests_seen(), 3);
    EXPECT_EQ(cluster.status()["upstreams"][0]["breaker"], "open");
    const std::string m = cluster.metrics();
    EXPECT_TRUE(has_line(m, "glmserve_gateway_upstream_breaker_state{upstream=\"a\"} 2")) << m;
    EXPECT_TRUE(has_line(m, "glmserve_gateway_upstream_breaker_opens_total{upstream=\"a\"} 1"))
        << m;
    EXPECT_EQ(request(cluster.port(), "GET", "/ready").http_status, 503);
}

TEST(GatewayIntegration, StreamPassesThrough) {
    Cluster cluster(std::vector<FakeBehavior>{{.inter_token = milliseconds(5)}});
    cluster.start(cluster.config());
    Reply r = complete(cluster.port(), completion_body(true, 5));
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    ASSERT_EQ(r.http_status, 200);
    EXPECT_EQ(r.header("Content-Type"), "text/event-stream");
    for (int i = 0; i < 5; ++i) {
        EXPECT_NE(r.body.find("tok" + std::to_string(i)), std::string::npos) << r.body;
    }
    EXPECT_NE(r.body.find("data: [DONE]"), std::string::npos) << r.body;
}

TEST(GatewayIntegration, UpstreamCutMidStreamEndsWithAnErrorEvent) {
    Cluster cluster(std::vector<FakeBehavior>{{.cut_stream_after = true, .cut_after_tokens = 2}});
    cluster.start(cluster.config());
    const auto t0 = std::chrono::steady_clock::now();
    Reply r = complete(cluster.port(), completion_body(true, 8));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(2000));  // no hang
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    EXPECT_EQ(r.http_status, 200);
    EXPECT_NE(r.body.find("tok1"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("data: {\"error\""), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("[DONE]"), std::string::npos) << r.body;
    EXPECT_TRUE(has_line(cluster.metrics(), "glmserve_gateway_stream_errors_total 1"));
}

TEST(GatewayIntegration, FirstByteTimeoutIsRetried) {
    Cluster cluster(std::vector<FakeBehavior>{{.ttft = milliseconds(3000)}, {}});
    GatewayConfig c = cluster.config();
    c.timeouts.first_byte = milliseconds(200);
    cluster.start(c);
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < 2; ++i) {
        Reply r = complete(cluster.port(), completion_body(i == 1));
        EXPECT_EQ(r.http_status, 200) << r.body;
    }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(2000));
    EXPECT_EQ(cluster.fake(1).requests_seen(), 2);
    const std::string m = cluster.metrics();
    const double timeouts =
        metric_value(m, "glmserve_gateway_upstream_errors_total{upstream=\"a\",kind=\"timeout\"}");
    EXPECT_GE(timeouts, 1) << m;
    EXPECT_EQ(metric_value(m, "glmserve_gateway_retries_total"), timeouts) << m;
}

TEST(GatewayIntegration, TotalTimeoutEndsAStreamWithAnErrorEvent) {
    Cluster cluster(std::vector<FakeBehavior>{{.inter_token = milliseconds(100)}});
    GatewayConfig c = cluster.config();
    c.timeouts.total = milliseconds(400);
    cluster.start(c);
    const auto t0 = std::chrono::steady_clock::now();
    Reply r = complete(cluster.port(), completion_body(true, 50));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(2000));
    EXPECT_EQ(r.http_status, 200);
    EXPECT_NE(r.body.find("upstream_timeout"), std::string::npos) << r.body;
}

TEST(GatewayIntegration, StalledStreamEndsWithAnErrorEvent) {
    Cluster cluster(std::vector<FakeBehavior>{{.inter_token = milliseconds(1000)}});
    GatewayConfig c = cluster.config();
    c.timeouts.between_chunks = milliseconds(150);
    cluster.start(c);
    const auto t0 = std::chrono::steady_clock::now();
    Reply r = complete(cluster.port(), completion_body(true, 5));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(900));
    EXPECT_EQ(r.http_status, 200);
    EXPECT_NE(r.body.find("tok0"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("upstream_timeout"), std::string::npos) << r.body;
}

TEST(GatewayIntegration, ClientDisconnectReleasesTheUpstream) {
    Cluster cluster(std::vector<FakeBehavior>{{.inter_token = milliseconds(50)}});
    cluster.start(cluster.config());
    {
        boost::asio::io_context io;
        auto url = http::parse_url("http://127.0.0.1:" + std::to_string(cluster.port()));
        ASSERT_TRUE(url.ok());
        auto conn = http::Connection::create(io, *url, {});
        int chunks = 0;
        Status done;
        conn->async_request({.method = "POST",
                             .target = "/v1/completions",
                             .headers = {{"Content-Type", "application/json"}},
                             .body = completion_body(true, 1000)},
                            {.on_head = {},
                             .on_body =
                                 [&](std::string_view) {
                                     if (++chunks == 3) conn->close();  // the client leaves
                                 },
                             .on_done = [&](const Status& s) { done = s; }});
        io.run();
        EXPECT_EQ(done.code(), StatusCode::Cancelled);
    }
    EXPECT_TRUE(eventually([&] { return cluster.status()["upstreams"][0]["in_flight"] == 0; }));
    const std::string m = cluster.metrics();
    // The client left: that says nothing about the upstream.
    EXPECT_EQ(
        metric_value(m, "glmserve_gateway_upstream_errors_total{upstream=\"a\",kind=\"connect\"}"),
        0)
        << m;
}

TEST(GatewayIntegration, BackupIsUsedOnlyWhenNoPrimaryIs) {
    Cluster cluster(std::vector<FakeBehavior>{{}, {}});
    GatewayConfig c = cluster.config();
    c.upstreams[1].backup = true;
    c.outlier.consecutive_5xx = 1;
    c.outlier.base_ejection = milliseconds(60000);
    c.outlier.max_ejection = milliseconds(60000);
    cluster.start(c);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(complete(cluster.port()).http_status, 200);
    EXPECT_EQ(cluster.fake(1).requests_seen(), 0);
    // The primary starts failing: ejected at once, its request retried on the backup, and the
    // backup takes the traffic from then on.
    cluster.fake(0).set_behavior({.status = 503});
    for (int i = 0; i < 3; ++i) ASSERT_EQ(complete(cluster.port()).http_status, 200);
    EXPECT_EQ(cluster.fake(0).requests_seen(), 4);
    EXPECT_EQ(cluster.fake(1).requests_seen(), 3);
}

TEST(GatewayIntegration, CacheHitMissAndNoCache) {
    Cluster cluster(std::vector<FakeBehavior>{{}});
    GatewayConfig c = cluster.config();
    c.cache.max_bytes = 1 << 20;
    cluster.start(c);
    const std::string body =
        json{{"model", "m"}, {"prompt", "same"}, {"max_tokens", 3}, {"temperature", 0}}.dump();
    Reply first = complete(cluster.port(), body);
    ASSERT_EQ(first.http_status, 200);
    EXPECT_EQ(first.header("X-Cache"), "MISS");
    Reply second = complete(cluster.port(), body);
    ASSERT_EQ(second.http_status, 200);
    EXPECT_EQ(second.header("X-Cache"), "HIT");
    EXPECT_EQ(second.body, first.body);
    EXPECT_EQ(cluster.fake(0).requests_seen(), 1);
    Reply bypass = complete(cluster.port(), body, {{"Cache-Control", "no-cache"}});
    EXPECT_EQ(bypass.http_status, 200);
    EXPECT_NE(bypass.header("X-Cache"), "HIT");
    EXPECT_EQ(cluster.fake(0).requests_seen(), 2);
    // Not deterministic: never cached.
    complete(cluster.port());
    complete(cluster.port());
    EXPECT_EQ(cluster.fake(0).requests_seen(), 4);
    const std::string m = cluster.metrics();
    EXPECT_TRUE(has_line(m, "glmserve_gateway_cache_requests_total{result=\"hit\"} 1")) << m;
    EXPECT_TRUE(has_line(m, "glmserve_gateway_cache_requests_total{result=\"miss\"} 1")) << m;
}

class KeyFile {
public:
    explicit KeyFile(const std::string& text)
        : path_(std::filesystem::temp_directory_path() /
                ("gateway_keys_" + std::to_string(::getpid()) + ".txt")) {
        std::ofstream(path_) << text;
    }
    ~KeyFile() { std::filesystem::remove(path_); }
    std::string path() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

TEST(GatewayIntegration, KeysRateLimitsAndAbuseGuard) {
    KeyFile keys("sk-team-a-0123456789 name=team-a rpm=2\n");
    Cluster cluster(std::vector<FakeBehavior>{{}});
    GatewayConfig c = cluster.config();
    c.keys.api_key_file = keys.path();
    c.abuse = {.max_failures = 3,
               .window = milliseconds(60000),
               .cooldown = milliseconds(60000),
               .max_tracked = 100};
    cluster.start(c);
    const std::pair<std::string, std::string> good = {"Authorization",
                                                      "Bearer sk-team-a-0123456789"};
    const std::pair<std::string, std::string> bad = {"Authorization", "Bearer sk-wrong-key-000"};

    EXPECT_EQ(complete(cluster.port(), completion_body(), {good}).http_status, 200);
    EXPECT_EQ(complete(cluster.port(), completion_body(), {good}).http_status, 200);
    Reply limited = complete(cluster.port(), completion_body(), {good});
    EXPECT_EQ(limited.http_status, 429);
    EXPECT_FALSE(limited.header("Retry-After").empty());

    Reply missing = complete(cluster.port());
    EXPECT_EQ(missing.http_status, 401);
    EXPECT_NE(missing.body.find("invalid_api_key"), std::string::npos);
    EXPECT_EQ(complete(cluster.port(), completion_body(), {bad}).http_status, 401);
    EXPECT_EQ(complete(cluster.port(), completion_body(), {bad}).http_status, 401);
    // Three failures: this address is now in a cool-down, even with a good key.
    Reply blocked = complete(cluster.port(), completion_body(), {good});
    EXPECT_EQ(blocked.http_status, 403);
    EXPECT_EQ(cluster.fake(0).requests_seen(), 2);
    const std::string m = cluster.metrics();
    EXPECT_TRUE(has_line(m, "glmserve_gateway_abuse_blocks_total 1")) << m;
    EXPECT_TRUE(has_line(m, "glmserve_gateway_auth_failures_total 3")) << m;
    EXPECT_TRUE(has_line(m, "glmserve_gateway_rate_limited_total{limit=\"requests\"} 1")) << m;
}

// A stream's token charge is settled from what it streamed: without that, the up-front
// estimate (no max_tokens: prompt + 256) of the first stream would leave too little of a
// 400 tokens/min budget for the second.
TEST(GatewayIntegration, StreamsSettleTheirTokenCharge) {
    KeyFile keys("sk-team-b-0123456789 name=team-b tpm=400\n");
    Cluster cluster(std::vector<FakeBehavior>{{.n_tokens = 8}});
    GatewayConfig c = cluster.config();
    c.keys.api_key_file = keys.path();
    cluster.start(c);
    const std::pair<std::string, std::string> key = {"Authorization",
                                                     "Bearer sk-team-b-0123456789"};
    const std::string body =
        json{{"model", "m"}, {"prompt", "hello there"}, {"stream", true}}.dump();
    for (int i = 1; i <= 3; ++i) {
        Reply r = complete(cluster.port(), body, {key});
        ASSERT_EQ(r.http_status, 200) << "stream " << i << ": " << r.body;
        EXPECT_NE(r.body.find("data: [DONE]"), std::string::npos);
        // The gateway settles before it counts the answer.
        const std::string series = "glmserve_gateway_responses_total{class=\"2xx\"}";
        EXPECT_TRUE(eventually([&] { return metric_value(cluster.metrics(), series) == i; }));
    }
    const std::string m = cluster.metrics();
    EXPECT_EQ(metric_value(m, "glmserve_gateway_rate_limited_total{limit=\"tokens\"}"), 0) << m;
}

TEST(GatewayIntegration, ReadyFollowsActiveHealthChecks) {
    Cluster cluster(std::vector<FakeBehavior>{});
    GatewayConfig c = cluster.config();
    c.upstreams = {upstream("x", dead_port()), upstream("y", dead_port())};
    c.health = {.enabled = true,
                .path = "/ready",
                .interval = milliseconds(50),
                .timeout = milliseconds(40),
                .rise = 1,
                .fall = 1,
                .poll_load = true};
    cluster.start(c);
    EXPECT_TRUE(
        eventually([&] { return request(cluster.port(), "GET", "/ready").http_status == 503; }));
    json s = cluster.status();
    EXPECT_EQ(s["state"], "no_upstream");
    EXPECT_EQ(s["upstreams"][0]["health"], "unhealthy");
    Reply r = complete(cluster.port());
    EXPECT_EQ(r.http_status, 503);
    EXPECT_NE(r.body.find("no_upstream"), std::string::npos);
    EXPECT_EQ(request(cluster.port(), "GET", "/health").http_status, 200);
}

TEST(GatewayIntegration, HealthChecksPassOnAnUpstreamThatAnswers) {
    Cluster cluster(std::vector<FakeBehavior>{{}});
    GatewayConfig c = cluster.config();
    // The fake answers POST routes only; a GET on /v1/completions is 405, a failure, so use
    // the gateway's own /health on a second gateway as the upstream that passes.
    cluster.start(c);
    GatewayConfig front = base_config();
    front.upstreams = {upstream("gw", cluster.port()), upstream("dead", dead_port())};
    front.health = {.enabled = true,
                    .path = "/health",
                    .interval = milliseconds(50),
                    .timeout = milliseconds(40),
                    .rise = 1,
                    .fall = 1,
                    .poll_load = false};
    auto gw = GatewayServer::start(front);
    ASSERT_TRUE(gw.ok());
    EXPECT_TRUE(eventually([&] {
        json s = json::parse(request((*gw)->port(), "GET", "/gateway/status").body);
        return s["upstreams"][0]["health"] == "healthy" &&
               s["upstreams"][1]["health"] == "unhealthy";
    }));
    for (int i = 0; i < 3; ++i) EXPECT_EQ(complete((*gw)->port()).http_status, 200);
    EXPECT_EQ(cluster.fake(0).requests_seen(), 3);
}

TEST(GatewayIntegration, StatusPageAndMetrics) {
    Cluster cluster(std::vector<FakeBehavior>{{}});
    cluster.start(cluster.config());
    Reply page = request(cluster.port(), "GET", "/");
    EXPECT_EQ(page.http_status, 200);
    EXPECT_NE(page.header("Content-Type").find("text/html"), std::string::npos);
    EXPECT_NE(page.body.find("/gateway/status"), std::string::npos);
    EXPECT_EQ(page.body.find("http://"), std::string::npos);  // no external assets
    ASSERT_EQ(complete(cluster.port()).http_status, 200);
    json s = cluster.status();
    EXPECT_EQ(s["state"], "ready");
    EXPECT_EQ(s["upstreams"][0]["name"], "a");
    EXPECT_EQ(s["upstreams"][0]["requests"], 1.0);
    const std::string m = cluster.metrics();
    EXPECT_TRUE(has_line(m, "glmserve_gateway_upstream_requests_total{upstream=\"a\"} 1")) << m;
    EXPECT_TRUE(has_line(m, "glmserve_gateway_upstream_latency_seconds_count{upstream=\"a\"} 1"))
        << m;
    EXPECT_TRUE(has_line(m, "glmserve_gateway_upstream_healthy{upstream=\"a\"} 1")) << m;
    EXPECT_EQ(request(cluster.port(), "GET", "/nope").http_status, 404);
    EXPECT_EQ(request(cluster.port(), "GET", "/ready").http_status, 200);
}

TEST(GatewayIntegration, ReloadSwapsUpstreamsWithoutRestarting) {
    Cluster cluster(std::vector<FakeBehavior>{{}, {}});
    GatewayConfig c = cluster.config();
    GatewayConfig only_a = c;
    only_a.upstreams.resize(1);
    cluster.start(only_a);
    const uint16_t port = cluster.port();
    ASSERT_EQ(complete(port).http_status, 200);
    GatewayConfig only_b = c;
    only_b.upstreams.erase(only_b.upstreams.begin());
    ASSERT_TRUE(cluster.gateway().reload(only_b).ok());
    ASSERT_EQ(complete(port).http_status, 200);
    EXPECT_EQ(cluster.fake(0).requests_seen(), 1);
    EXPECT_EQ(cluster.fake(1).requests_seen(), 1);
    GatewayConfig bad = c;
    bad.keys.api_key_file = "/nonexistent/keys";
    EXPECT_FALSE(cluster.gateway().reload(bad).ok());
    EXPECT_EQ(complete(port).http_status, 200);  // the old config keeps serving
}

TEST(GatewayIntegration, DrainTurnsReadyOff) {
    Cluster cluster(std::vector<FakeBehavior>{{}});
    cluster.start(cluster.config());
    ASSERT_EQ(request(cluster.port(), "GET", "/ready").http_status, 200);
    cluster.gateway().begin_drain();
    // The /ready exchange counts as active until the server's side of it has finished, which
    // may be just after the client read the answer (seen under ASan).
    EXPECT_TRUE(eventually([&] { return cluster.gateway().idle(); }));
    cluster.gateway().stop();
}

}  // namespace
}  // namespace glmserve::gateway
