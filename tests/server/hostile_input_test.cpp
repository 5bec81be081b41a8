// The hostile-input suite (issue #4): every case gets the right status with an OpenAI error
// body, the server stays healthy, and a bystander — seeded streams running beside the suite the
// whole time — gets exactly the text it gets on a quiet server.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "server/server_fixture.h"

namespace glmserve::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

struct HostileCase {
    std::string name;
    std::string request;  // raw bytes
    int status;           // expected HTTP status
    std::string param;    // expected error.param, when the error names a field
};

std::string post_json(std::string_view target, std::string_view body) {
    return raw_post(target, body);
}

std::string completions(std::string_view body) {
    return post_json("/v1/completions", body);
}

std::string chat(std::string_view body) {
    return post_json("/v1/chat/completions", body);
}

std::vector<HostileCase> hostile_cases() {
    const std::string deep_array = std::string(100000, '[') + std::string(100000, ']');
    std::string deep_object;
    for (int i = 0; i < 5000; ++i) deep_object += R"({"a":)";
    deep_object += "1" + std::string(5000, '}');
    std::string many_stops = R"({"prompt":"x","max_tokens":1,"stop":[)";
    for (int i = 0; i < 100; ++i) many_stops += fmt::format(R"({}"s{}")", i ? "," : "", i);
    many_stops += "]}";
    std::string long_prompt_ids = R"({"max_tokens":1,"prompt":[)";
    for (int i = 0; i < 300; ++i) long_prompt_ids += fmt::format("{}{}", i ? "," : "", 65 + i % 20);
    long_prompt_ids += "]}";
    const std::string big_header(20 * 1024, 'x');

    return {
        // Bodies that are not a request.
        {"malformed_json", completions(R"({"prompt": "x", )"), 400, ""},
        {"empty_body", completions(""), 400, ""},
        {"top_level_array", completions("[]"), 400, ""},
        {"top_level_string", completions(R"("prompt")"), 400, ""},
        {"deeply_nested_arrays", completions(deep_array), 400, ""},
        {"deeply_nested_objects", completions(deep_object), 400, ""},
        {"trailing_garbage_in_body", completions(R"({"prompt":"x"} trailing)"), 400, ""},
        {"invalid_utf8_in_prompt", completions("{\"prompt\":\"bad \xff\xfe bytes\"}"), 400, ""},
        {"nul_in_body", completions(std::string("{\"prompt\":\"x\"\0}", 15)), 400, ""},
        // Wrong types and values, each naming its field.
        {"prompt_number", completions(R"({"prompt":42})"), 400, "prompt"},
        {"prompt_missing", completions(R"({"max_tokens":1})"), 400, "prompt"},
        {"prompt_empty_string", completions(R"({"prompt":""})"), 400, "prompt"},
        {"prompt_negative_token", completions(R"({"prompt":[1,-2,3]})"), 400, ""},
        {"max_tokens_negative", completions(R"({"prompt":"x","max_tokens":-5})"), 400,
         "max_tokens"},
        {"max_tokens_huge", completions(R"({"prompt":"x","max_tokens":1000000000000})"), 400,
         "max_tokens"},
        {"max_tokens_string", completions(R"({"prompt":"x","max_tokens":"10"})"), 400,
         "max_tokens"},
        {"max_tokens_fraction", completions(R"({"prompt":"x","max_tokens":2.5})"), 400,
         "max_tokens"},
        {"max_tokens_over_context", completions(R"({"prompt":"x","max_tokens":100000})"), 400, ""},
        {"n_zero", completions(R"({"prompt":"x","n":0})"), 400, "n"},
        {"n_huge", completions(R"({"prompt":"x","n":1000})"), 400, "n"},
        {"top_k_negative", completions(R"({"prompt":"x","top_k":-5})"), 400, "top_k"},
        {"temperature_too_high", completions(R"({"prompt":"x","temperature":3})"), 400,
         "temperature"},
        {"temperature_string", completions(R"({"prompt":"x","temperature":"hot"})"), 400,
         "temperature"},
        {"temperature_infinite", completions(R"({"prompt":"x","temperature":1e999})"), 400, ""},
        {"top_p_zero", completions(R"({"prompt":"x","top_p":0})"), 400, "top_p"},
        {"presence_penalty_out_of_range", completions(R"({"prompt":"x","presence_penalty":5})"),
         400, "presence_penalty"},
        {"seed_fraction", completions(R"({"prompt":"x","seed":1.5})"), 400, "seed"},
        {"stream_not_bool", completions(R"({"prompt":"x","stream":"yes"})"), 400, "stream"},
        {"too_many_stops", completions(many_stops), 400, "stop"},
        {"empty_stop", completions(R"({"prompt":"x","stop":[""]})"), 400, ""},
        {"logprobs_too_many", completions(R"({"prompt":"x","logprobs":100})"), 400, "logprobs"},
        {"timeout_negative", completions(R"({"prompt":"x","timeout":-1})"), 400, "timeout"},
        {"echo_unsupported", completions(R"({"prompt":"x","echo":true})"), 400, "echo"},
        {"unknown_model", completions(R"({"model":"gpt-4o","prompt":"x","max_tokens":1})"), 404,
         "model"},
        {"prompt_longer_than_context", completions(long_prompt_ids), 400, ""},
        {"token_id_out_of_vocabulary", completions(R"({"prompt":[1,99999999],"max_tokens":1})"),
         400, ""},
        // Chat messages.
        {"messages_empty", chat(R"({"messages":[]})"), 400, "messages"},
        {"messages_not_array", chat(R"({"messages":"hi"})"), 400, "messages"},
        {"message_role_missing", chat(R"({"messages":[{"content":"hi"}]})"), 400, ""},
        {"message_role_unknown", chat(R"({"messages":[{"role":"wizard","content":"hi"}]})"), 400,
         ""},
        {"message_content_number", chat(R"({"messages":[{"role":"user","content":5}]})"), 400, ""},
        {"image_part_text_only_model",
         chat(R"({"messages":[{"role":"user","content":[{"type":"image_url",
              "image_url":{"url":"data:image/png;base64,AAAA"}}]}]})"),
         400, ""},
        {"top_logprobs_without_logprobs",
         chat(R"({"messages":[{"role":"user","content":"hi"}],"top_logprobs":3})"), 400, ""},
        // HTTP-level refusals.
        {"giant_header",
         fmt::format("GET /v1/models HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n", big_header), 431,
         ""},
        {"body_over_limit",
         "POST /v1/completions HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999\r\n\r\n{", 413, ""},
        {"negative_content_length",
         "POST /v1/completions HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\n", 400, ""},
        {"garbage_request_line", "HELLO\r\n\r\n", 400, ""},
        {"unknown_route", raw_get("/v2/everything"), 404, ""},
        {"wrong_method", raw_get("/v1/completions"), 405, ""},
        {"detokenize_out_of_range", post_json("/detokenize", R"({"tokens":[-1]})"), 400, ""},
        {"tokenize_wrong_type", post_json("/tokenize", R"({"prompt":7})"), 400, ""},
        // Accepted: unknown fields are ignored, HTTP/1.0 works.
        {"unknown_fields_ignored",
         completions(R"({"prompt":"x","max_tokens":1,"frobnicate":{"a":[1,2]}})"), 200, ""},
        {"http_1_0", "GET /v1/models HTTP/1.0\r\n\r\n", 200, ""},
    };
}

class HostileInputTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        server::ServeConfig config = test_serve_config();
        config.http.limits.header_timeout = 300ms;
        config.http.limits.body_timeout = 300ms;
        server_ = start_test_server(std::move(config)).release();
        bystander_ = new std::thread(run_bystander);
    }
    static void TearDownTestSuite() {
        stop_bystander_ = true;
        bystander_->join();
        delete bystander_;
        EXPECT_GT(bystander_runs_.load(), 0) << "the bystander never completed a request";
        EXPECT_EQ(bystander_failures_.load(), 0)
            << "a request running beside the hostile ones was disturbed";
        delete server_;
    }

    // A seeded stream beside the suite: its text must be what a quiet server gives.
    static void run_bystander() {
        const std::string body =
            R"({"prompt":"bystander","max_tokens":40,"seed":9,"temperature":0.9,"ignore_eos":true)";
        auto quiet = call(server_->port(), "POST", "/v1/completions", body + "}");
        const std::string expected =
            quiet && quiet->status == 200 ? body_json(*quiet)["choices"][0]["text"] : "?";
        // At least one stream overlaps the suite even when it is a single quick test (ctest
        // runs each test in its own process).
        do {
            auto r = call(server_->port(), "POST", "/v1/completions", body + R"(,"stream":true})");
            if (!r || r->status != 200 || streamed_text(r->body) != expected) {
                ++bystander_failures_;
            }
            ++bystander_runs_;
        } while (!stop_bystander_);
    }

    static inline server::OpenAiServer* server_ = nullptr;
    static inline std::thread* bystander_ = nullptr;
    static inline std::atomic<bool> stop_bystander_{false};
    static inline std::atomic<int> bystander_runs_{0};
    static inline std::atomic<int> bystander_failures_{0};
};

// One test over the whole table, so the server and the bystander span every case; each
// failure names its case.
TEST_F(HostileInputTest, EveryCaseGetsItsStatusAndTheServerStaysHealthy) {
    const std::vector<HostileCase> cases = hostile_cases();
    ASSERT_GE(cases.size(), 40u);
    for (const HostileCase& c : cases) {
        SCOPED_TRACE(c.name);
        RawClient client(server_->port());
        ASSERT_TRUE(client.connected());
        client.send(c.request);  // the server may close before reading it all: that is fine
        auto reply = client.read_reply();
        ASSERT_TRUE(reply) << "no response";
        EXPECT_EQ(reply->status, c.status) << reply->body;
        if (c.status >= 400) {
            const json body = body_json(*reply);
            ASSERT_TRUE(body.contains("error")) << reply->body;
            EXPECT_FALSE(body["error"]["message"].get<std::string>().empty());
            if (!c.param.empty()) {
                EXPECT_EQ(body["error"]["param"], c.param) << reply->body;
            }
        }
        auto health = call(server_->port(), "GET", "/health");
        ASSERT_TRUE(health);
        EXPECT_EQ(health->status, 200);
    }
}

TEST_F(HostileInputTest, SlowClientTricklingItsHeaderGets408) {
    RawClient client(server_->port());
    ASSERT_TRUE(client.connected());
    const auto [reply, n_sent] = client.trickle(raw_get("/v1/models"), 60ms);
    if (reply) {
        EXPECT_EQ(reply->status, 408);
    }
    EXPECT_LT(n_sent, raw_get("/v1/models").size());
    EXPECT_EQ(call(server_->port(), "GET", "/health")->status, 200);
}

TEST_F(HostileInputTest, BodyThatNeverEndsGets408) {
    RawClient client(server_->port());
    ASSERT_TRUE(client.connected());
    client.send("POST /v1/completions HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n{\"pro");
    auto reply = client.read_reply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 408);
    EXPECT_EQ(call(server_->port(), "GET", "/health")->status, 200);
}

TEST_F(HostileInputTest, EndlessChunkedBodyGets413) {
    RawClient client(server_->port());
    ASSERT_TRUE(client.connected());
    client.send("POST /v1/completions HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string chunk = fmt::format("{:x}\r\n{}\r\n", 8192, std::string(8192, ' '));
    for (int i = 0; i < 64 && !client.send(chunk); ++i) {
    }
    auto reply = client.read_reply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 413);
    EXPECT_EQ(call(server_->port(), "GET", "/health")->status, 200);
}

TEST_F(HostileInputTest, PipelinedRequestsAreAnsweredInOrder) {
    RawClient client(server_->port());
    ASSERT_TRUE(client.connected());
    client.send(raw_get("/health") +
                completions(R"({"prompt":"x","max_tokens":2,"ignore_eos":true})") +
                raw_get("/v1/models"));
    auto a = client.read_reply();
    auto b = client.read_reply();
    auto c = client.read_reply();
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(a->status, 200);
    EXPECT_EQ(body_json(*b)["object"], "text_completion");
    EXPECT_EQ(body_json(*c)["object"], "list");
}

TEST_F(HostileInputTest, GarbageAfterTheBodyIsAnsweredAfterTheRequest) {
    RawClient client(server_->port());
    ASSERT_TRUE(client.connected());
    client.send(raw_get("/v1/models") + "\x01\x02 not http\r\n\r\n");
    auto first = client.read_reply();
    auto second = client.read_reply();
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->status, 200);
    EXPECT_EQ(second->status, 400);
    EXPECT_TRUE(client.wait_closed());
}

TEST_F(HostileInputTest, DisconnectMidStreamLeavesTheServerHealthy) {
    for (int i = 0; i < 5; ++i) {
        RawClient client(server_->port());
        ASSERT_TRUE(client.connected());
        client.send(
            completions(R"({"prompt":"x","max_tokens":200,"ignore_eos":true,"stream":true})"));
        ASSERT_TRUE(client.read_until("data: "));
        client.close();
    }
    EXPECT_TRUE(eventually([] {
        auto s = call(server_->port(), "GET", "/v1/status");
        return s && body_json(*s)["running"].get<int>() <= 1;  // the bystander may be running
    }));
    EXPECT_EQ(call(server_->port(), "GET", "/health")->status, 200);
}

TEST_F(HostileInputTest, ContentLengthLargerThanWhatIsSentThenHangUp) {
    {
        RawClient client(server_->port());
        ASSERT_TRUE(client.connected());
        client.send("POST /v1/completions HTTP/1.1\r\nHost: t\r\nContent-Length: 50\r\n\r\n{");
        client.close();
    }
    EXPECT_EQ(call(server_->port(), "GET", "/health")->status, 200);
}

}  // namespace
}  // namespace glmserve::testing
