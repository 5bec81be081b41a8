#include "bench/stream_request.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace glmserve::bench {
namespace {

using std::chrono::milliseconds;
using TimePoint = StreamMeasurer::TimePoint;

const TimePoint kT0{};

std::string completion_chunk(const std::string& text) {
    return "data: " + nlohmann::json{{"choices", {{{"text", text}}}}}.dump() + "\n\n";
}

std::string chat_chunk(const std::string& content) {
    return "data: " + nlohmann::json{{"choices", {{{"delta", {{"content", content}}}}}}}.dump() +
           "\n\n";
}

TEST(BuildRequest, CompletionsBodyAndHeaders) {
    const RequestParams params{
        .model = "glm", .api_key = "k1", .ignore_eos = true, .max_tokens = 9};
    const auto req = build_request(params, {.prompt = "hi there"});
    EXPECT_EQ(req.target, "/v1/completions");
    const auto body = nlohmann::json::parse(req.body);
    EXPECT_EQ(body["prompt"], "hi there");
    EXPECT_EQ(body["model"], "glm");
    EXPECT_EQ(body["max_tokens"], 9);
    EXPECT_EQ(body["stream"], true);
    EXPECT_EQ(body["ignore_eos"], true);
    bool auth = false;
    for (const auto& [k, v] : req.headers) auth |= k == "Authorization" && v == "Bearer k1";
    EXPECT_TRUE(auth);
}

TEST(BuildRequest, ChatUsesDatasetMessagesAndPromptMaxTokens) {
    Prompt p{.prompt = "x", .messages_json = R"([{"role":"user","content":"q"}])", .max_tokens = 3};
    const auto req = build_request({.api = ApiKind::ChatCompletions, .max_tokens = 9}, p);
    EXPECT_EQ(req.target, "/v1/chat/completions");
    const auto body = nlohmann::json::parse(req.body);
    EXPECT_EQ(body["messages"][0]["content"], "q");
    EXPECT_EQ(body["max_tokens"], 3);
    EXPECT_FALSE(body.contains("ignore_eos"));
    for (const auto& [k, v] : req.headers) EXPECT_NE(k, "Authorization");
}

TEST(StreamMeasurer, TimesTokensAndReadsUsage) {
    StreamMeasurer m(ApiKind::Completions, 4, 1.5, 10, kT0);
    m.on_head(200);
    m.on_body(completion_chunk(""), kT0 + milliseconds(20));  // role-only chunk: no token
    m.on_body(completion_chunk("a"), kT0 + milliseconds(50));
    m.on_body(completion_chunk("b") + completion_chunk("c"), kT0 + milliseconds(60));
    m.on_body(
        "data: {\"choices\": [], \"usage\": {\"prompt_tokens\": 12, "
        "\"completion_tokens\": 3}}\n\ndata: [DONE]\n\n",
        kT0 + milliseconds(70));
    const RequestRecord r = m.finish(ok_status(), kT0 + milliseconds(80));
    EXPECT_EQ(r.outcome, Outcome::Ok) << r.error;
    EXPECT_EQ(r.index, 4u);
    EXPECT_DOUBLE_EQ(r.start_s, 1.5);
    ASSERT_TRUE(r.ttft_s.has_value());
    EXPECT_NEAR(*r.ttft_s, 0.050, 1e-9);
    ASSERT_EQ(r.itl_s.size(), 2u);
    EXPECT_NEAR(r.itl_s[0], 0.010, 1e-9);
    EXPECT_NEAR(r.itl_s[1], 0.0, 1e-9);
    EXPECT_NEAR(r.e2e_s, 0.080, 1e-9);
    EXPECT_EQ(r.n_tokens_prompt, 12);
    EXPECT_EQ(r.n_tokens_generated, 3);
    EXPECT_TRUE(r.tokens_from_usage);
}

TEST(StreamMeasurer, ChatWithoutUsageCountsChunks) {
    StreamMeasurer m(ApiKind::ChatCompletions, 0, 0, 7, kT0);
    m.on_head(200);
    m.on_body(chat_chunk("x") + chat_chunk("y") + "data: [DONE]\n\n", kT0 + milliseconds(5));
    const RequestRecord r = m.finish(ok_status(), kT0 + milliseconds(6));
    EXPECT_EQ(r.outcome, Outcome::Ok);
    EXPECT_EQ(r.n_tokens_generated, 2);
    EXPECT_EQ(r.n_tokens_prompt, 7);
    EXPECT_FALSE(r.tokens_from_usage);
}

RequestRecord measure(int status, const std::string& body, const Status& transport,
                      bool head = true) {
    StreamMeasurer m(ApiKind::Completions, 0, 0, 1, kT0);
    if (head) m.on_head(status);
    if (!body.empty()) m.on_body(body, kT0 + milliseconds(1));
    return m.finish(transport, kT0 + milliseconds(2));
}

TEST(StreamMeasurer, ClassifiesOutcomes) {
    const std::string good = completion_chunk("a") + "data: [DONE]\n\n";
    EXPECT_EQ(measure(200, good, ok_status()).outcome, Outcome::Ok);

    const RequestRecord busy = measure(503, "{\"error\": {\"message\": \"busy\"}}", ok_status());
    EXPECT_EQ(busy.outcome, Outcome::HttpError);
    EXPECT_EQ(busy.http_status, 503);
    EXPECT_NE(busy.error.find("busy"), std::string::npos);

    EXPECT_EQ(measure(200, completion_chunk("a"), ok_status()).outcome, Outcome::StreamCut);
    EXPECT_EQ(measure(200, completion_chunk("a"), data_loss("closed")).outcome, Outcome::StreamCut);
    EXPECT_EQ(measure(0, "", unavailable("refused"), false).outcome, Outcome::ConnectError);
    EXPECT_EQ(measure(0, "", data_loss("bad status line"), false).outcome, Outcome::BadResponse);
    EXPECT_EQ(measure(200, "", deadline_exceeded("slow")).outcome, Outcome::Timeout);
    EXPECT_EQ(measure(200, "", cancelled("closed")).outcome, Outcome::Timeout);
}

TEST(StreamMeasurer, GarbageIsBadResponse) {
    const char* garbage[] = {
        "hello world\n\n",                                // not SSE
        "data: {not json\n\n",                            // SSE, not JSON
        "data: [1, 2]\n\n",                               // not an object
        "data: {\"error\": {\"message\": \"oom\"}}\n\n",  // error mid-stream
        "data: [DONE]\n\ndata: {}\n\n",                   // data after DONE
    };
    for (const char* body : garbage) {
        const RequestRecord r = measure(200, std::string(body) + "data: [DONE]\n\n", ok_status());
        EXPECT_EQ(r.outcome, Outcome::BadResponse) << body;
        EXPECT_FALSE(r.error.empty());
    }
    // Still BadResponse when the connection then breaks.
    EXPECT_EQ(measure(200, "garbage\n\n", data_loss("closed")).outcome, Outcome::BadResponse);
}

TEST(StreamMeasurer, ByteSplitsDoNotChangeTheCount) {
    std::string body;
    for (int i = 0; i < 5; ++i) body += chat_chunk("t" + std::to_string(i));
    body += "data: [DONE]\n\n";
    StreamMeasurer whole(ApiKind::ChatCompletions, 0, 0, 1, kT0);
    whole.on_head(200);
    whole.on_body(body, kT0);
    StreamMeasurer bytes(ApiKind::ChatCompletions, 0, 0, 1, kT0);
    bytes.on_head(200);
    for (char c : body) bytes.on_body(std::string_view(&c, 1), kT0);
    const RequestRecord a = whole.finish(ok_status(), kT0);
    const RequestRecord b = bytes.finish(ok_status(), kT0);
    EXPECT_EQ(a.outcome, Outcome::Ok);
    EXPECT_EQ(b.outcome, Outcome::Ok);
    EXPECT_EQ(a.n_tokens_generated, 5);
    EXPECT_EQ(b.n_tokens_generated, 5);
    EXPECT_EQ(b.itl_s.size(), 4u);
}

TEST(StreamMeasurer, RandomBytesNeverCrash) {
    uint64_t state = 12345;
    const auto next = [&] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<char>(state >> 56);
    };
    const std::string alphabet = "data: {}[]\"\n\r:choices text";
    for (int round = 0; round < 200; ++round) {
        StreamMeasurer m(ApiKind::Completions, 0, 0, 1, kT0);
        m.on_head(200);
        std::string body;
        for (int i = 0; i < 300; ++i) {
            const char c = next();
            body += round % 2 ? c : alphabet[static_cast<unsigned char>(c) % alphabet.size()];
        }
        m.on_body(body, kT0);
        const RequestRecord r = m.finish(ok_status(), kT0);
        EXPECT_NE(r.outcome, Outcome::Ok);
    }
}

}  // namespace
}  // namespace glmserve::bench
