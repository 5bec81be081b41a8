// Tests for server/openai_response.h: every body parses back as JSON with OpenAI's field
// names and values; invalid UTF-8 token text never throws; SSE framing.
#include "server/openai_response.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

namespace glmserve::server {
namespace {

using json = nlohmann::json;

const ResponseMeta kMeta{.id = "cmpl-00000000000000ff", .created = 1700000000, .model = "glm4"};

std::vector<TokenLogprob> sample_logprobs() {
    return {
        {.token = "Hel", .logprob = -0.25f, .top = {{"Hel", -0.25f}, {"He", -1.5f}}},
        {.token = "lo", .logprob = -0.5f, .top = {{"lo", -0.5f}, {"p", -2.0f}}},
    };
}

TEST(OpenAiResponseTest, CompletionIdHasPrefixAndSixteenHexDigits) {
    EXPECT_EQ(make_completion_id("cmpl", 0xff), "cmpl-00000000000000ff");
    EXPECT_EQ(make_completion_id("chatcmpl", 0x0123456789abcdefULL), "chatcmpl-0123456789abcdef");
}

TEST(OpenAiResponseTest, CompletionResponse) {
    const std::vector<Choice> choices = {
        {.index = 0, .text = "Hello", .finish_reason = "length", .logprobs = sample_logprobs()},
        {.index = 1, .text = "Bye", .finish_reason = "stop"},
    };
    const json j = json::parse(
        completion_response(kMeta, choices, Usage{.prompt_tokens = 5, .completion_tokens = 4}));
    EXPECT_EQ(j["id"], "cmpl-00000000000000ff");
    EXPECT_EQ(j["object"], "text_completion");
    EXPECT_EQ(j["created"], 1700000000);
    EXPECT_EQ(j["model"], "glm4");
    ASSERT_EQ(j["choices"].size(), 2u);
    const json& c0 = j["choices"][0];
    EXPECT_EQ(c0["index"], 0);
    EXPECT_EQ(c0["text"], "Hello");
    EXPECT_EQ(c0["finish_reason"], "length");
    EXPECT_EQ(c0["logprobs"]["tokens"], json::array({"Hel", "lo"}));
    EXPECT_EQ(c0["logprobs"]["token_logprobs"], json::array({-0.25, -0.5}));
    EXPECT_EQ(c0["logprobs"]["text_offset"], json::array({0, 3}));
    EXPECT_EQ(c0["logprobs"]["top_logprobs"][0], json({{"Hel", -0.25}, {"He", -1.5}}));
    EXPECT_TRUE(j["choices"][1]["logprobs"].is_null());
    EXPECT_EQ(j["choices"][1]["finish_reason"], "stop");
    EXPECT_EQ(j["usage"],
              json({{"prompt_tokens", 5}, {"completion_tokens", 4}, {"total_tokens", 9}}));
}

TEST(OpenAiResponseTest, UsageWithCachedTokens) {
    const std::vector<Choice> choices = {{.text = "x", .finish_reason = "stop"}};
    const json j = json::parse(completion_response(
        kMeta, choices, {.prompt_tokens = 10, .completion_tokens = 1, .cached_prompt_tokens = 8}));
    EXPECT_EQ(j["usage"]["prompt_tokens_details"]["cached_tokens"], 8);
    EXPECT_EQ(j["usage"]["total_tokens"], 11);
}

TEST(OpenAiResponseTest, ChatCompletionResponse) {
    const std::vector<Choice> choices = {
        {.index = 0, .text = "Hello", .finish_reason = "stop", .logprobs = sample_logprobs()},
    };
    const json j = json::parse(chat_completion_response(kMeta, choices, {.prompt_tokens = 3}));
    EXPECT_EQ(j["object"], "chat.completion");
    const json& c = j["choices"][0];
    EXPECT_EQ(c["message"], json({{"role", "assistant"}, {"content", "Hello"}}));
    EXPECT_EQ(c["finish_reason"], "stop");
    const json& lp = c["logprobs"]["content"];
    ASSERT_EQ(lp.size(), 2u);
    EXPECT_EQ(lp[0]["token"], "Hel");
    EXPECT_EQ(lp[0]["logprob"], -0.25);
    EXPECT_EQ(lp[0]["bytes"], json::array({72, 101, 108}));
    ASSERT_EQ(lp[0]["top_logprobs"].size(), 2u);
    EXPECT_EQ(lp[0]["top_logprobs"][1],
              json({{"token", "He"}, {"logprob", -1.5}, {"bytes", {72, 101}}}));
    EXPECT_EQ(j["usage"]["total_tokens"], 3);
}

TEST(OpenAiResponseTest, InvalidUtf8TokenTextIsReplacedAndBytesKept) {
    // First half of U+1F600 as one token's text.
    const std::string half = "\xF0\x9F";
    const std::vector<Choice> choices = {{
        .text = "a\xFF",
        .finish_reason = "stop",
        .logprobs =
            std::vector<TokenLogprob>{{.token = half, .logprob = -1.0f, .top = {{half, -1.0f}}}},
    }};
    std::string chat;
    std::string completion;
    ASSERT_NO_THROW(chat = chat_completion_response(kMeta, choices, {}));
    ASSERT_NO_THROW(completion = completion_response(kMeta, choices, {}));
    const json c = json::parse(chat);
    EXPECT_EQ(c["choices"][0]["message"]["content"], "a\xEF\xBF\xBD");
    const json& tok = c["choices"][0]["logprobs"]["content"][0];
    EXPECT_NE(tok["token"].get<std::string>().find("\xEF\xBF\xBD"), std::string::npos);
    EXPECT_EQ(tok["bytes"], json::array({0xF0, 0x9F}));
    const json p = json::parse(completion);
    EXPECT_NE(p["choices"][0]["logprobs"]["tokens"][0].get<std::string>().find("\xEF\xBF\xBD"),
              std::string::npos);
    EXPECT_EQ(p["choices"][0]["logprobs"]["top_logprobs"][0].size(), 1u);
}

TEST(OpenAiResponseTest, NonFiniteLogprobsBecomeTheFloor) {
    const std::vector<Choice> choices = {{
        .finish_reason = "stop",
        .logprobs =
            std::vector<TokenLogprob>{{.token = "a",
                                       .logprob = -std::numeric_limits<float>::infinity(),
                                       .top = {{"b", std::numeric_limits<float>::quiet_NaN()},
                                               {"c", -1e30f}}}},
    }};
    const json j = json::parse(chat_completion_response(kMeta, choices, {}));
    const json& tok = j["choices"][0]["logprobs"]["content"][0];
    EXPECT_EQ(tok["logprob"], kMinLogprob);
    EXPECT_EQ(tok["top_logprobs"][0]["logprob"], kMinLogprob);
    EXPECT_EQ(tok["top_logprobs"][1]["logprob"], kMinLogprob);
}

TEST(OpenAiResponseTest, RepeatedTopTokenTextKeepsTheFirst) {
    const std::vector<Choice> choices = {{
        .logprobs =
            std::vector<TokenLogprob>{
                {.token = "a", .logprob = -0.1f, .top = {{"a", -0.1f}, {"a", -3.0f}}}},
    }};
    const json j = json::parse(completion_response(kMeta, choices, {}));
    EXPECT_EQ(j["choices"][0]["logprobs"]["top_logprobs"][0], json({{"a", -0.1f}}));
    EXPECT_TRUE(j["choices"][0]["finish_reason"].is_null());
}

TEST(OpenAiResponseTest, CompletionChunk) {
    const std::vector<TokenLogprob> lps = sample_logprobs();
    const json j = json::parse(completion_chunk(kMeta, {.index = 1,
                                                        .text = "Hello",
                                                        .logprobs = lps,
                                                        .logprobs_requested = true,
                                                        .text_offset = 10}));
    EXPECT_EQ(j["object"], "text_completion");
    const json& c = j["choices"][0];
    EXPECT_EQ(c["index"], 1);
    EXPECT_EQ(c["text"], "Hello");
    EXPECT_TRUE(c["finish_reason"].is_null());
    EXPECT_EQ(c["logprobs"]["text_offset"], json::array({10, 13}));
    EXPECT_FALSE(j.contains("usage"));

    const json last = json::parse(completion_chunk(kMeta, {.text = "", .finish_reason = "stop"}));
    EXPECT_EQ(last["choices"][0]["finish_reason"], "stop");
    EXPECT_TRUE(last["choices"][0]["logprobs"].is_null());
}

TEST(OpenAiResponseTest, ChatChunks) {
    const json role = json::parse(chat_chunk_role(kMeta, 2));
    EXPECT_EQ(role["object"], "chat.completion.chunk");
    EXPECT_EQ(role["choices"][0]["index"], 2);
    EXPECT_EQ(role["choices"][0]["delta"], json({{"role", "assistant"}, {"content", ""}}));
    EXPECT_TRUE(role["choices"][0]["finish_reason"].is_null());

    const std::vector<TokenLogprob> lps = sample_logprobs();
    const json content = json::parse(chat_chunk_content(
        kMeta, {.index = 0, .text = "Hello", .logprobs = lps, .logprobs_requested = true}));
    EXPECT_EQ(content["choices"][0]["delta"], json({{"content", "Hello"}}));
    EXPECT_EQ(content["choices"][0]["logprobs"]["content"].size(), 2u);
    EXPECT_TRUE(content["choices"][0]["finish_reason"].is_null());

    const json plain = json::parse(chat_chunk_content(kMeta, {.text = "x"}));
    EXPECT_TRUE(plain["choices"][0]["logprobs"].is_null());

    const json finish = json::parse(chat_chunk_finish(kMeta, 0, "length"));
    EXPECT_EQ(finish["choices"][0]["delta"], json::object());
    EXPECT_EQ(finish["choices"][0]["finish_reason"], "length");
}

TEST(OpenAiResponseTest, FinishReasonsPassThrough) {
    for (const char* reason : {"stop", "length", "timeout", "cancelled"}) {
        const json j = json::parse(chat_chunk_finish(kMeta, 0, reason));
        EXPECT_EQ(j["choices"][0]["finish_reason"], reason);
    }
}

TEST(OpenAiResponseTest, UsageChunkHasNoChoicesAndTheStreamsObjectType) {
    const json chat = json::parse(usage_chunk(kMeta, Endpoint::ChatCompletions,
                                              {.prompt_tokens = 2, .completion_tokens = 3}));
    EXPECT_EQ(chat["object"], "chat.completion.chunk");
    EXPECT_EQ(chat["choices"], json::array());
    EXPECT_EQ(chat["usage"]["total_tokens"], 5);
    const json completions = json::parse(usage_chunk(kMeta, Endpoint::Completions, {}));
    EXPECT_EQ(completions["object"], "text_completion");
}

TEST(OpenAiResponseTest, SseFraming) {
    EXPECT_EQ(sse_event("{\"a\":1}"), "data: {\"a\":1}\n\n");
    EXPECT_EQ(sse_event("line1\nline2"), "data: line1\ndata: line2\n\n");
    EXPECT_EQ(kSseDone, "data: [DONE]\n\n");
    // Our chunks are one line, so each is exactly one data: line.
    const std::string chunk = chat_chunk_content(kMeta, {.text = "a\nb"});
    EXPECT_EQ(chunk.find('\n'), std::string::npos);
}

TEST(OpenAiResponseTest, SseErrorEvent) {
    const std::string event = sse_error_event(api_error_from_status(internal_error("boom")));
    ASSERT_EQ(event.rfind("data: ", 0), 0u);
    ASSERT_EQ(event.substr(event.size() - 2), "\n\n");
    const json j = json::parse(event.substr(6, event.size() - 8));
    EXPECT_EQ(j["error"]["message"], "boom");
    EXPECT_EQ(j["error"]["type"], "server_error");
}

TEST(OpenAiResponseTest, ModelsResponse) {
    const std::vector<ModelInfo> models = {
        {.id = "glm-4-9b", .created = 42, .max_model_len = 8192}};
    const json j = json::parse(models_response(models));
    EXPECT_EQ(j["object"], "list");
    ASSERT_EQ(j["data"].size(), 1u);
    EXPECT_EQ(j["data"][0], json({{"id", "glm-4-9b"},
                                  {"object", "model"},
                                  {"created", 42},
                                  {"owned_by", "glmserve"},
                                  {"max_model_len", 8192}}));
}

TEST(OpenAiResponseTest, TokenizeAndDetokenizeResponses) {
    const std::vector<int32_t> tokens = {1, 20, 300};
    const json t = json::parse(tokenize_response(tokens, 4096));
    EXPECT_EQ(t["tokens"], json::array({1, 20, 300}));
    EXPECT_EQ(t["count"], 3);
    EXPECT_EQ(t["max_model_len"], 4096);
    const json empty = json::parse(tokenize_response({}, 4096));
    EXPECT_EQ(empty["tokens"], json::array());
    const json d = json::parse(detokenize_response("hi \xC3"));
    EXPECT_EQ(d["prompt"], "hi \xEF\xBF\xBD");
}

}  // namespace
}  // namespace glmserve::server
