// Tests for tests/support/fake_openai_server.h, through the HTTP client: the OpenAI shapes the
// load generator's tests rely on (chat and completions, usage on/off, max_tokens), and the
// error answers (unknown route, bad JSON, error statuses).
// Synchronisation: the client's io_context runs on the test thread until the request is done.
#include "support/fake_openai_server.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "http/client.h"

namespace glmserve::testing {
namespace {

using json = nlohmann::json;

struct Reply {
    Status status;
    int http_status = 0;
    std::string body;
};

Reply post(const FakeOpenAiServer& server, std::string target, std::string body) {
    boost::asio::io_context io;
    auto url = http::parse_url(server.url());
    GS_CHECK(url.ok());
    auto conn = http::Connection::create(io, *url, {});
    Reply reply;
    http::ClientCallbacks cb;
    cb.on_head = [&](const http::ResponseHead& h) { reply.http_status = h.status; };
    cb.on_body = [&](std::string_view chunk) { reply.body.append(chunk); };
    cb.on_done = [&](const Status& s) { reply.status = s; };
    conn->async_request({.target = std::move(target), .body = std::move(body)}, std::move(cb));
    io.run();
    return reply;
}

TEST(FakeOpenAiServer, ChatNonStreamedShape) {
    auto server = FakeOpenAiServer::start({.n_tokens = 2});
    json req = {{"model", "m1"}, {"messages", {{{"role", "user"}, {"content", "a b c d"}}}}};
    Reply r = post(*server, "/v1/chat/completions", req.dump());
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    ASSERT_EQ(r.http_status, 200);
    json body = json::parse(r.body);
    EXPECT_EQ(body["object"], "chat.completion");
    EXPECT_EQ(body["model"], "m1");
    EXPECT_EQ(body["choices"][0]["message"]["content"], " tok0 tok1");
    EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
    EXPECT_EQ(body["usage"]["prompt_tokens"], 4);
    EXPECT_EQ(body["usage"]["completion_tokens"], 2);
}

TEST(FakeOpenAiServer, UsageCanBeLeftOut) {
    auto server = FakeOpenAiServer::start({.include_usage = false});
    Reply r = post(*server, "/v1/completions", R"({"prompt": "x", "max_tokens": 1})");
    json body = json::parse(r.body);
    EXPECT_FALSE(body.contains("usage"));
    EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
}

TEST(FakeOpenAiServer, ErrorsAreOpenAiShaped) {
    auto server = FakeOpenAiServer::start();
    Reply r = post(*server, "/v1/nope", "{}");
    EXPECT_EQ(r.http_status, 404);
    EXPECT_EQ(json::parse(r.body)["error"]["code"], 404);
    r = post(*server, "/v1/completions", "{not json");
    EXPECT_EQ(r.http_status, 400);
    r = post(*server, "/v1/completions", R"({"prompt": "x", "stream": "yes"})");
    EXPECT_EQ(r.http_status, 200);  // a non-boolean "stream" is simply not streaming
    server->set_behavior({.status = 429});
    r = post(*server, "/v1/completions", R"({"prompt": "x"})");
    EXPECT_EQ(r.http_status, 429);
    EXPECT_EQ(json::parse(r.body)["error"]["type"], "rate_limit_error");
    EXPECT_EQ(server->requests_seen(), 4);
}

}  // namespace
}  // namespace glmserve::testing
