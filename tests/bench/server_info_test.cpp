// Model discovery and tokenizer calibration: the reply parsers on hand-written answers, and the
// calls against the in-process fake server (API key sent, routes switched off, the run's
// timeout honoured).
#include "bench/server_info.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "bench/prompts.h"
#include "support/fake_openai_server.h"

namespace glmserve::bench {
namespace {

using std::chrono::milliseconds;
using testing::FakeOpenAiServer;

RunnerConfig config_for(const std::string& url) {
    auto parsed = http::parse_url(url);
    GS_CHECK(parsed.ok());
    RunnerConfig config;
    config.base_url = *parsed;
    config.request_timeout = milliseconds(10000);
    return config;
}

TEST(ServerInfo, ModelsReplyGivesTheFirstId) {
    auto id = parse_models_reply(
        R"({"object": "list", "data": [{"id": "glm-4", "object": "model"}, {"id": "other"}]})");
    ASSERT_TRUE(id.ok()) << id.status().to_string();
    EXPECT_EQ(*id, "glm-4");
    EXPECT_EQ(parse_models_reply(R"({"object": "list", "data": []})").status().code(),
              StatusCode::NotFound);
    for (const char* bad :
         {"", "[]", "{oops", R"({"object": "list"})", R"({"data": {}})", R"({"data": [{}]})",
          R"({"data": [{"id": 3}]})", R"({"data": [{"id": ""}]})", R"({"data": ["glm"]})"}) {
        EXPECT_FALSE(parse_models_reply(bad).ok()) << bad;
    }
}

TEST(ServerInfo, TokenizeReplyUsesCountElseTheTokens) {
    EXPECT_EQ(*parse_tokenize_reply(R"({"tokens": [1, 2, 3], "count": 3, "max_model_len": 8})"), 3);
    EXPECT_EQ(*parse_tokenize_reply(R"({"tokens": [5, 6]})"), 2);
    EXPECT_EQ(*parse_tokenize_reply(R"({"count": 7})"), 7);
    for (const char* bad : {"", "null", R"({"count": "3"})", R"({"count": -1})",
                            R"({"count": 2.5})", R"({"tokens": 3})", R"({"n": 3})"}) {
        EXPECT_FALSE(parse_tokenize_reply(bad).ok()) << bad;
    }
}

TEST(ServerInfo, AsksTheFakeWithTheApiKey) {
    auto server = FakeOpenAiServer::start({.model_id = "glm-fake", .tokens_per_word = 3});
    RunnerConfig config = config_for(server->url());
    config.request.api_key = "secret-1";
    auto model = discover_model(config);
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    EXPECT_EQ(*model, "glm-fake");
    EXPECT_EQ(server->last_authorization(), "Bearer secret-1");

    config.request.api_key = "secret-2";
    auto ratio = measure_tokens_per_word(config, *model, synthetic_word_sample(7, 400), 400);
    ASSERT_TRUE(ratio.ok()) << ratio.status().to_string();
    EXPECT_DOUBLE_EQ(*ratio, 3.0);
    EXPECT_EQ(server->last_authorization(), "Bearer secret-2");
    EXPECT_NE(server->last_request_body().find("\"model\":\"glm-fake\""), std::string::npos);
}

TEST(ServerInfo, ARefusedKeySaysToCheckTheKey) {
    auto server = FakeOpenAiServer::start({.required_api_key = "right"});
    RunnerConfig config = config_for(server->url());
    config.request.api_key = "wrong";
    auto model = discover_model(config);
    ASSERT_FALSE(model.ok());
    EXPECT_NE(model.status().message().find("HTTP 401 (check --api-key)"), std::string::npos)
        << model.status().to_string();
    config.request.api_key = "right";
    EXPECT_TRUE(discover_model(config).ok());
}

TEST(ServerInfo, MissingRoutesAndEmptyListsAreErrorsThatSayWhat) {
    auto server = FakeOpenAiServer::start({.serve_models = false, .serve_tokenize = false});
    const RunnerConfig config = config_for(server->url());
    auto model = discover_model(config);
    ASSERT_FALSE(model.ok());
    EXPECT_NE(model.status().message().find("/v1/models: HTTP 404"), std::string::npos)
        << model.status().message();
    auto ratio = measure_tokens_per_word(config, "m", "a b c", 3);
    ASSERT_FALSE(ratio.ok());
    EXPECT_NE(ratio.status().message().find("/tokenize: HTTP 404"), std::string::npos)
        << ratio.status().message();

    server->set_behavior({.model_id = ""});
    model = discover_model(config);
    EXPECT_EQ(model.status().code(), StatusCode::NotFound);
    EXPECT_NE(model.status().message().find("no models"), std::string::npos);
}

TEST(ServerInfo, ImplausibleRatiosAreRefused) {
    auto server = FakeOpenAiServer::start({.tokens_per_word = 1});
    // 1000 words claimed, 10 sent: 0.01 tokens per word.
    auto ratio =
        measure_tokens_per_word(config_for(server->url()), "m", synthetic_word_sample(1, 10), 1000);
    ASSERT_FALSE(ratio.ok());
    EXPECT_NE(ratio.status().message().find("not a plausible tokenizer"), std::string::npos);
}

TEST(ServerInfo, HonoursTheRunTimeout) {
    // A listener that never accepts: the connect completes in the backlog, no answer comes.
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    RunnerConfig config =
        config_for("http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()));
    config.request_timeout = milliseconds(200);
    const auto t0 = std::chrono::steady_clock::now();
    auto model = discover_model(config);
    const auto waited = std::chrono::steady_clock::now() - t0;
    EXPECT_EQ(model.status().code(), StatusCode::DeadlineExceeded) << model.status().to_string();
    EXPECT_GE(waited, milliseconds(200));
    EXPECT_LT(waited, milliseconds(5000));
}

}  // namespace
}  // namespace glmserve::bench
