// The replica end to end: a real OpenAiServer on a loopback port over a tiny model, driven
// through raw HTTP. Concurrent streams, seeds independent of the batch, prefix-cache hits,
// preemption under a tiny KV pool, deadlines, cancellation by disconnect, drain, the /health
// watchdog, queue limits, API keys and rate limits.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "server/server_fixture.h"
#include "support/step_gate.h"

namespace glmserve::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string completion(int max_tokens, uint64_t seed, bool stream, std::string prompt = "Hello") {
    json body = {{"prompt", prompt},   {"max_tokens", max_tokens}, {"seed", seed},
                 {"temperature", 0.8}, {"ignore_eos", true},       {"stream", stream}};
    return body.dump();
}

class ServerIntegrationTest : public ::testing::Test {
protected:
    void start(server::ServeConfig config = test_serve_config()) {
        server_ = start_test_server(std::move(config));
    }
    uint16_t port() const { return server_->port(); }
    std::optional<Reply> post(
        std::string_view target, std::string_view body,
        const std::vector<std::pair<std::string, std::string>>& headers = {}) {
        return call(port(), "POST", target, body, headers);
    }
    std::string metrics() {
        auto r = call(port(), "GET", "/metrics");
        return r ? r->body : "";
    }
    json status() {
        auto r = call(port(), "GET", "/v1/status");
        return r ? body_json(*r) : json();
    }

    std::unique_ptr<server::OpenAiServer> server_;
};

TEST_F(ServerIntegrationTest, CompletionAndChatAnswerInOpenAiShape) {
    start();
    auto r = post("/v1/completions", completion(6, 1, false));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_FALSE(r->header("X-Request-Id").empty());
    const json c = body_json(*r);
    EXPECT_EQ(c["object"], "text_completion");
    EXPECT_EQ(c["model"], "tiny");
    EXPECT_EQ(c["choices"][0]["finish_reason"], "length");
    EXPECT_EQ(c["usage"]["completion_tokens"], 6);
    EXPECT_GT(c["usage"]["prompt_tokens"].get<int>(), 0);

    auto chat = post("/v1/chat/completions",
                     R"({"messages":[{"role":"system","content":"Be brief."},
                         {"role":"user","content":[{"type":"text","text":"Hi"}]}],
                         "max_tokens":4,"ignore_eos":true})",
                     {{"X-Request-Id", "my-id-1"}});
    ASSERT_TRUE(chat);
    EXPECT_EQ(chat->status, 200) << chat->body;
    EXPECT_EQ(chat->header("X-Request-Id"), "my-id-1");
    const json cc = body_json(*chat);
    EXPECT_EQ(cc["object"], "chat.completion");
    EXPECT_EQ(cc["choices"][0]["message"]["role"], "assistant");
    EXPECT_EQ(cc["usage"]["completion_tokens"], 4);
}

TEST_F(ServerIntegrationTest, ConcurrentStreamsMatchTheSameSeedsRunAlone) {
    start();
    constexpr int kN = 8;
    std::vector<std::string> alone(kN);
    for (int i = 0; i < kN; ++i) {
        auto r = post("/v1/completions", completion(12, 100 + i, false, fmt::format("p{} x", i)));
        ASSERT_TRUE(r && r->status == 200);
        alone[static_cast<size_t>(i)] = body_json(*r)["choices"][0]["text"];
    }
    std::vector<std::future<std::optional<Reply>>> streams;
    for (int i = 0; i < kN; ++i) {
        streams.push_back(std::async(std::launch::async, [this, i] {
            return post("/v1/completions", completion(12, 100 + i, true, fmt::format("p{} x", i)));
        }));
    }
    for (int i = 0; i < kN; ++i) {
        auto r = streams[static_cast<size_t>(i)].get();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200);
        EXPECT_EQ(r->header("Content-Type"), "text/event-stream");
        const auto events = sse_data(r->body);
        ASSERT_FALSE(events.empty());
        EXPECT_EQ(events.back(), "[DONE]");
        EXPECT_EQ(streamed_text(r->body), alone[static_cast<size_t>(i)]) << "stream " << i;
    }
}

TEST_F(ServerIntegrationTest, StreamWithUsageAndChatRoleChunks) {
    start();
    auto r = post("/v1/chat/completions",
                  R"({"messages":[{"role":"user","content":"Hi"}],"max_tokens":5,
                      "ignore_eos":true,"stream":true,"stream_options":{"include_usage":true}})");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    const auto events = sse_data(r->body);
    ASSERT_GE(events.size(), 3u);
    const json first = json::parse(events.front());
    EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
    const json usage = json::parse(events[events.size() - 2]);
    EXPECT_TRUE(usage["choices"].empty());
    EXPECT_EQ(usage["usage"]["completion_tokens"], 5);
}

TEST_F(ServerIntegrationTest, RepeatedPromptIsServedFromThePrefixCache) {
    start();
    std::string prompt;
    for (int i = 0; i < 40; ++i) prompt += fmt::format("word{} ", i);
    const std::string body = json{{"prompt", prompt}, {"max_tokens", 3}, {"temperature", 0}}.dump();
    auto first = post("/v1/completions", body);
    auto second = post("/v1/completions", body);
    ASSERT_TRUE(first && second);
    ASSERT_EQ(first->status, 200);
    ASSERT_EQ(second->status, 200);
    EXPECT_EQ(body_json(*first)["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
    EXPECT_GT(body_json(*second)["usage"]["prompt_tokens_details"]["cached_tokens"].get<int>(), 0);
    EXPECT_EQ(body_json(*first)["choices"][0]["text"], body_json(*second)["choices"][0]["text"]);
    EXPECT_GT(metric_value(metrics(), "glmserve_prefix_cache_hits_total").value_or(0), 0);
    EXPECT_GT(status()["prefix_cache"]["hit_rate"].get<double>(), 0);
}

TEST_F(ServerIntegrationTest, TinyKvPoolPreemptsAndEveryRequestCompletes) {
    server::ServeConfig config = test_serve_config();
    const int64_t per_token = model::kv_bytes_per_token(tiny_chat_model()->hparams());
    config.engine.kv_bytes = 16 * 16 * per_token;  // 16 blocks of 16 positions
    config.engine.prefix_cache = false;
    // Hold the engine until every request is queued: on a fast machine they would otherwise
    // finish one after another and never compete for the pool.
    auto gate = std::make_shared<StepGate>();
    config.engine.before_step = [gate] { gate->pass(); };
    start(config);
    gate->wait_held();
    constexpr int kN = 6;
    std::vector<std::future<std::optional<Reply>>> replies;
    for (int i = 0; i < kN; ++i) {
        replies.push_back(std::async(std::launch::async, [this, i] {
            return post("/v1/completions",
                        completion(40, 7 + i, i % 2 == 0, fmt::format("q{}", i)));
        }));
    }
    ASSERT_TRUE(eventually([&] { return server_->scheduler().queue_depth().n_requests == kN; }));
    gate->open();
    for (int i = 0; i < kN; ++i) {
        auto r = replies[static_cast<size_t>(i)].get();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200) << r->body;
    }
    EXPECT_GT(status()["preemptions"].get<int>(), 0);
    EXPECT_GT(metric_value(metrics(), "glmserve_preemptions_total").value_or(0), 0);
}

TEST_F(ServerIntegrationTest, DeadlineGives504OrATimeoutFinishReason) {
    server::ServeConfig config = test_serve_config();
    config.engine.before_step = [] { std::this_thread::sleep_for(5ms); };  // a slow engine
    start(config);
    auto whole = post("/v1/completions",
                      R"({"prompt":"Hello","max_tokens":200,"ignore_eos":true,"timeout":0.2})");
    ASSERT_TRUE(whole);
    EXPECT_EQ(whole->status, 504) << whole->body;
    EXPECT_EQ(body_json(*whole)["error"]["type"], "timeout_error");

    auto streamed = post("/v1/completions",
                         R"({"prompt":"Hello","max_tokens":200,"ignore_eos":true,"timeout":0.2,
                             "stream":true})");
    ASSERT_TRUE(streamed);
    EXPECT_EQ(streamed->status, 200);
    const auto events = sse_data(streamed->body);
    ASSERT_GE(events.size(), 2u);
    const json last = json::parse(events[events.size() - 2]);
    EXPECT_EQ(last["choices"][0]["finish_reason"], "timeout");
    EXPECT_GE(metric_value(metrics(), R"(glmserve_inferences_total{reason="timeout"})").value_or(0),
              2);
}

TEST_F(ServerIntegrationTest, ClientDisconnectCancelsItsRequest) {
    // At least 1 ms per step: the 240 tokens cannot all be out before the client leaves.
    server::ServeConfig config = test_serve_config();
    config.engine.before_step = [] { std::this_thread::sleep_for(1ms); };
    start(config);
    RawClient client(port());
    ASSERT_TRUE(client.connected());
    const std::string body =
        R"({"prompt":"Hello","max_tokens":240,"ignore_eos":true,"stream":true})";
    ASSERT_FALSE(client.send(
        fmt::format("POST /v1/completions HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{}",
                    body.size(), body)));
    ASSERT_TRUE(client.read_until("data: "));  // the stream has started
    client.close();
    EXPECT_TRUE(eventually([&] {
        return metric_value(metrics(), R"(glmserve_inferences_total{reason="cancelled"})")
                   .value_or(0) == 1;
    }));
    EXPECT_TRUE(eventually([&] { return status()["kv_cache"]["blocks_used"] == 0; }));
    EXPECT_EQ(call(port(), "GET", "/health")->status, 200);
}

TEST_F(ServerIntegrationTest, DrainFinishesInFlightWorkAndRefusesNewWork) {
    // Each engine step takes at least 2 ms, so the 120-token request is still running when the
    // test sees it (the tiny model alone can finish it between two polls).
    server::ServeConfig config = test_serve_config();
    config.engine.before_step = [] { std::this_thread::sleep_for(2ms); };
    start(config);
    auto in_flight = std::async(
        std::launch::async, [this] { return post("/v1/completions", completion(120, 3, false)); });
    ASSERT_TRUE(eventually([&] { return status()["running"] == 1; }));
    server_->begin_drain();
    EXPECT_TRUE(server_->draining());
    auto r = in_flight.get();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(body_json(*r)["usage"]["completion_tokens"], 120);
    EXPECT_TRUE(eventually([&] { return server_->idle(); }));
    // The listener is closed: a new client cannot get in.
    EXPECT_FALSE(call(port(), "GET", "/ready").has_value());
}

TEST_F(ServerIntegrationTest, WatchdogFailsHealthWhileTheEngineIsWedged) {
    server::ServeConfig config = test_serve_config();
    config.watchdog_timeout = 300ms;
    auto gate = std::make_shared<StepGate>();
    auto wedge = std::make_shared<std::atomic<bool>>(false);  // the hook outlives this body
    config.engine.before_step = [gate, wedge] {
        if (wedge->load()) gate->pass();
    };
    config.engine.idle_tick = 10ms;
    start(config);
    EXPECT_EQ(call(port(), "GET", "/health")->status, 200);
    *wedge = true;
    gate->wait_held();
    EXPECT_TRUE(eventually([&] { return call(port(), "GET", "/health")->status == 503; }));
    EXPECT_EQ(body_json(*call(port(), "GET", "/health"))["status"], "stalled");
    EXPECT_EQ(call(port(), "GET", "/ready")->status, 503);
    *wedge = false;
    gate->open();
    EXPECT_TRUE(eventually([&] { return call(port(), "GET", "/health")->status == 200; }));
}

TEST_F(ServerIntegrationTest, FullQueueGets503WithRetryAfter) {
    server::ServeConfig config = test_serve_config();
    config.engine.max_waiting = 2;
    auto gate = std::make_shared<StepGate>();
    config.engine.before_step = [gate] { gate->pass(); };
    start(config);
    gate->wait_held();
    auto a = std::async(std::launch::async,
                        [this] { return post("/v1/completions", completion(2, 1, false)); });
    auto b = std::async(std::launch::async,
                        [this] { return post("/v1/completions", completion(2, 2, false)); });
    ASSERT_TRUE(eventually([&] { return server_->scheduler().queue_depth().n_requests == 2; }));
    EXPECT_EQ(call(port(), "GET", "/ready")->status, 503);
    auto refused = post("/v1/completions", completion(2, 3, false));
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 503);
    EXPECT_FALSE(refused->header("Retry-After").empty());
    EXPECT_EQ(body_json(*refused)["error"]["type"], "service_unavailable");
    gate->open();
    EXPECT_EQ(a.get()->status, 200);
    EXPECT_EQ(b.get()->status, 200);
}

TEST_F(ServerIntegrationTest, ApiKeysAndPerKeyRateLimits) {
    const std::string path = ::testing::TempDir() + "glmserve-keys.txt";
    {
        FILE* f = std::fopen(path.c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fputs("sk-test-key-1 name=alice rpm=2\n", f);
        std::fclose(f);
    }
    server::ServeConfig config = test_serve_config();
    config.api_key_file = path;
    start(config);
    const auto body = completion(1, 1, false);
    EXPECT_EQ(post("/v1/completions", body)->status, 401);
    EXPECT_EQ(post("/v1/completions", body, {{"Authorization", "Bearer sk-wrong-key"}})->status,
              401);
    EXPECT_EQ(call(port(), "GET", "/health")->status, 200);  // open routes stay open
    const std::vector<std::pair<std::string, std::string>> auth = {
        {"Authorization", "Bearer sk-test-key-1"}};
    EXPECT_EQ(post("/v1/completions", body, auth)->status, 200);
    EXPECT_EQ(post("/v1/completions", body, auth)->status, 200);
    auto limited = post("/v1/completions", body, auth);
    ASSERT_TRUE(limited);
    EXPECT_EQ(limited->status, 429);
    EXPECT_GE(std::stoi(limited->header("Retry-After")), 1);
    EXPECT_EQ(metric_value(metrics(), R"(glmserve_requests_rejected_total{reason="rate_limited"})"),
              1);
}

TEST_F(ServerIntegrationTest, ModelsTokenizeDetokenizeAndUnknownModel) {
    start();
    const json models = body_json(*call(port(), "GET", "/v1/models"));
    EXPECT_EQ(models["data"][0]["id"], "tiny");
    EXPECT_EQ(models["data"][0]["max_model_len"], 256);
    auto tok = post("/tokenize", R"({"prompt":"Hello world","add_special":false})");
    ASSERT_EQ(tok->status, 200);
    const json ids = body_json(*tok)["tokens"];
    ASSERT_FALSE(ids.empty());
    auto detok = post("/detokenize", json{{"tokens", ids}}.dump());
    ASSERT_EQ(detok->status, 200);
    EXPECT_EQ(body_json(*detok)["prompt"], "Hello world");
    auto unknown = post("/v1/completions", R"({"model":"gpt-4","prompt":"x","max_tokens":1})");
    EXPECT_EQ(unknown->status, 404);
    EXPECT_EQ(body_json(*unknown)["error"]["code"], "model_not_found");
}

TEST_F(ServerIntegrationTest, SeededChoicesDifferAndRepeatAndCarryLogprobs) {
    start();
    const std::string body =
        R"({"prompt":"Once","max_tokens":8,"n":2,"seed":5,"temperature":1.0,"ignore_eos":true,
            "logprobs":2})";
    auto a = post("/v1/completions", body);
    auto b = post("/v1/completions", body);
    ASSERT_EQ(a->status, 200);
    const json ja = body_json(*a), jb = body_json(*b);
    ASSERT_EQ(ja["choices"].size(), 2u);
    EXPECT_EQ(ja["choices"], jb["choices"]);
    EXPECT_NE(ja["choices"][0]["text"], ja["choices"][1]["text"]);
    EXPECT_EQ(ja["choices"][0]["logprobs"]["token_logprobs"].size(), 8u);
    EXPECT_EQ(ja["choices"][0]["logprobs"]["top_logprobs"][0].size(), 2u);
    EXPECT_EQ(ja["usage"]["completion_tokens"], 16);
}

TEST_F(ServerIntegrationTest, StopStringCutsTheOutputAndStopsGeneration) {
    start();
    auto free_run = post("/v1/completions",
                         R"({"prompt":"Hello","max_tokens":30,"temperature":0,"ignore_eos":true})");
    ASSERT_EQ(free_run->status, 200);
    const std::string text = body_json(*free_run)["choices"][0]["text"];
    ASSERT_GE(text.size(), 8u);
    // A stop string from the middle of what greedy decoding writes.
    size_t cut = text.size() / 2;
    while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;
    const std::string stop = text.substr(cut, 2);
    const size_t first = text.find(stop);
    auto stopped = post("/v1/completions", json{{"prompt", "Hello"},
                                                {"max_tokens", 30},
                                                {"temperature", 0},
                                                {"ignore_eos", true},
                                                {"stop", {stop}}}
                                               .dump());
    ASSERT_EQ(stopped->status, 200);
    const json j = body_json(*stopped);
    EXPECT_EQ(j["choices"][0]["finish_reason"], "stop");
    EXPECT_EQ(j["choices"][0]["text"], text.substr(0, first));
    EXPECT_LT(j["usage"]["completion_tokens"].get<int>(), 30);
}

TEST_F(ServerIntegrationTest, MetricsAndRequestCountsByRoute) {
    start();
    ASSERT_EQ(post("/v1/completions", completion(2, 1, false))->status, 200);
    ASSERT_EQ(post("/v1/completions", "{bad json")->status, 400);
    const std::string ok = R"(glmserve_http_requests_total{route="/v1/completions",code="200"})";
    const std::string bad = R"(glmserve_http_requests_total{route="/v1/completions",code="400"})";
    // A request is counted right after its answer goes out, by the thread that sent it, so a
    // scrape can arrive a moment before that: poll briefly.
    std::string text = metrics();
    for (int i = 0; i < 200 && !(metric_value(text, ok) && metric_value(text, bad)); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        text = metrics();
    }
    EXPECT_EQ(metric_value(text, ok), 1);
    EXPECT_EQ(metric_value(text, bad), 1);
    EXPECT_EQ(metric_value(text, R"(glmserve_inferences_total{reason="length"})"), 1);
    EXPECT_GT(metric_value(text, "glmserve_process_resident_memory_bytes").value_or(0), 0);
    EXPECT_GT(metric_value(text, "glmserve_kv_pool_bytes").value_or(0), 0);
    EXPECT_GT(metric_value(text, "glmserve_model_mapped_bytes").value_or(0), 0);
}

}  // namespace
}  // namespace glmserve::testing
