// Tests for server/openai_request.h: a table of hostile and invalid bodies, each refused with
// InvalidArgument whose message names the field (and so becomes the 400's `param`), and valid
// bodies mapped to exact GenerationRequest values.
#include "server/openai_request.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/api_error.h"

namespace glmserve::server {
namespace {

using ::testing::HasSubstr;

constexpr Endpoint kCmpl = Endpoint::Completions;
constexpr Endpoint kChat = Endpoint::ChatCompletions;

const RequestLimits kLimits;

// A minimal valid body for the endpoint with `extra` members spliced in ("" for none).
std::string body_with(Endpoint e, const std::string& extra) {
    std::string base =
        e == kCmpl ? R"({"prompt":"hi")" : R"({"messages":[{"role":"user","content":"hi"}])";
    if (!extra.empty()) base += "," + extra;
    return base + "}";
}

struct BadCase {
    const char* name;
    Endpoint endpoint;
    std::string body;
    const char* param;  // expected param ("" when the message names no field)
    const char* says;   // a substring of the message
};

std::vector<BadCase> bad_cases() {
    const auto c = [](const char* extra) { return body_with(kCmpl, extra); };
    const auto h = [](const char* extra) { return body_with(kChat, extra); };
    return {
        // The body as a whole.
        {"empty body", kCmpl, "", "", "empty"},
        {"not json", kCmpl, "hello", "", "not valid JSON"},
        {"trailing garbage", kCmpl, R"({"prompt":"hi"} x)", "", "not valid JSON"},
        {"two documents", kCmpl, R"({"prompt":"hi"}{"prompt":"hi"})", "", "not valid JSON"},
        {"truncated", kChat, R"({"messages":[{"role":"user")", "", "not valid JSON"},
        {"top-level array", kCmpl, R"([{"prompt":"hi"}])", "", "must be a JSON object"},
        {"top-level string", kCmpl, R"("hi")", "", "must be a JSON object"},
        {"top-level null", kCmpl, "null", "", "must be a JSON object"},
        {"invalid utf-8 in string", kCmpl, "{\"prompt\":\"a\xFF\"}", "", "not valid UTF-8 JSON"},
        {"overlong utf-8", kCmpl, "{\"prompt\":\"\xC0\xAF\"}", "", "not valid UTF-8 JSON"},
        {"lone surrogate escape", kCmpl, R"({"prompt":"\ud800"})", "", "not valid UTF-8 JSON"},
        {"nested 100000 arrays", kCmpl, std::string(100000, '[') + std::string(100000, ']'), "",
         "nested deeper than 64"},
        {"nested objects in a field", kCmpl,
         c((R"("x":)" + std::string(70, '[') + std::string(70, ']')).c_str()), "", "nested deeper"},
        // prompt (completions)
        {"prompt missing", kCmpl, R"({"model":"m"})", "prompt", "is required"},
        {"prompt null", kCmpl, R"({"prompt":null})", "prompt", "is required"},
        {"prompt empty string", kCmpl, R"({"prompt":""})", "prompt", "is empty"},
        {"prompt empty array", kCmpl, R"({"prompt":[]})", "prompt", "is empty"},
        {"prompt number", kCmpl, R"({"prompt":5})", "prompt", "must be a string"},
        {"prompt object", kCmpl, R"({"prompt":{}})", "prompt", "got an object"},
        {"prompt mixed strings", kCmpl, R"({"prompt":["a",1]})", "prompt[1]", "must be a string"},
        {"prompt empty element", kCmpl, R"({"prompt":["a",""]})", "prompt[1]", "is empty"},
        {"prompt negative token", kCmpl, R"({"prompt":[1,-2]})", "prompt[1]", "token id"},
        {"prompt huge token", kCmpl, R"({"prompt":[4294967296]})", "prompt[0]", "token id"},
        {"prompt fractional token", kCmpl, R"({"prompt":[1.5]})", "prompt[0]", "integer"},
        {"prompt token string mix", kCmpl, R"({"prompt":[1,"a"]})", "prompt[1]", "integer"},
        {"prompt empty id array", kCmpl, R"({"prompt":[[1],[]]})", "prompt[1]", "empty"},
        {"prompt bool element", kCmpl, R"({"prompt":[true]})", "prompt[0]", "must be a string"},
        {"too many prompts", kCmpl,
         R"({"prompt":["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q"]})",
         "prompt", "at most 16"},
        // messages (chat)
        {"messages missing", kChat, R"({"model":"m"})", "messages", "is required"},
        {"messages empty", kChat, R"({"messages":[]})", "messages", "is empty"},
        {"messages object", kChat, R"({"messages":{}})", "messages", "must be an array"},
        {"message not object", kChat, R"({"messages":["hi"]})", "messages[0]", "message object"},
        {"role missing", kChat, R"({"messages":[{"content":"hi"}]})", "messages[0].role",
         "is required"},
        {"role number", kChat, R"({"messages":[{"role":1,"content":"hi"}]})", "messages[0].role",
         "must be a string"},
        {"role unknown", kChat, R"({"messages":[{"role":"wizard","content":"hi"}]})",
         "messages[0].role", "'wizard'"},
        {"role tool", kChat,
         R"({"messages":[{"role":"user","content":"a"},{"role":"tool","content":"b"}]})",
         "messages[1].role", "role 'tool' is not supported"},
        {"content number", kChat, R"({"messages":[{"role":"user","content":3}]})",
         "messages[0].content", "must be a string or an array"},
        {"content null for user", kChat, R"({"messages":[{"role":"user","content":null}]})",
         "messages[0].content", "is required"},
        {"content missing for system", kChat, R"({"messages":[{"role":"system"}]})",
         "messages[0].content", "is required"},
        {"image part", kChat,
         R"({"messages":[{"role":"user","content":[{"type":"text","text":"a"},)"
         R"({"type":"image_url","image_url":{"url":"http://x"}}]}]})",
         "messages[0].content[1]", "text-only"},
        {"audio part", kChat,
         R"({"messages":[{"role":"user","content":[{"type":"input_audio"}]}]})",
         "messages[0].content[0]", "text-only"},
        {"unknown part type", kChat,
         R"({"messages":[{"role":"user","content":[{"type":"video"}]}]})",
         "messages[0].content[0].type", "unsupported content part type"},
        {"part without type", kChat, R"({"messages":[{"role":"user","content":[{"text":"a"}]}]})",
         "messages[0].content[0].type", "is required"},
        {"part text number", kChat,
         R"({"messages":[{"role":"user","content":[{"type":"text","text":1}]}]})",
         "messages[0].content[0].text", "must be a string"},
        {"part is a string", kChat, R"({"messages":[{"role":"user","content":["a"]}]})",
         "messages[0].content[0]", "content part object"},
        {"tool_calls in history", kChat,
         R"({"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"x"}]}]})",
         "messages[0].tool_calls", "not supported"},
        // max_tokens / max_completion_tokens
        {"max_tokens negative", kCmpl, c(R"("max_tokens":-5)"), "max_tokens", ">= 1, got -5"},
        {"max_tokens zero", kCmpl, c(R"("max_tokens":0)"), "max_tokens", ">= 1"},
        {"max_tokens huge", kCmpl, c(R"("max_tokens":3000000000)"), "max_tokens", "at most"},
        {"max_tokens beyond int64", kCmpl, c(R"("max_tokens":1e30)"), "max_tokens", "integer"},
        {"max_tokens string", kCmpl, c(R"("max_tokens":"10")"), "max_tokens", "got a string"},
        {"max_tokens fractional", kCmpl, c(R"("max_tokens":1.5)"), "max_tokens", "integer"},
        {"max_tokens bool", kCmpl, c(R"("max_tokens":true)"), "max_tokens", "got true"},
        {"max_completion_tokens negative", kChat, h(R"("max_completion_tokens":-1)"),
         "max_completion_tokens", ">= 1"},
        {"max tokens disagree", kChat, h(R"("max_tokens":10,"max_completion_tokens":20)"),
         "max_completion_tokens", "give one"},
        // sampling
        {"temperature too high", kCmpl, c(R"("temperature":3)"), "temperature", "[0, 2]"},
        {"temperature negative", kCmpl, c(R"("temperature":-0.1)"), "temperature", "[0, 2]"},
        {"temperature string", kCmpl, c(R"("temperature":"hot")"), "temperature",
         "must be a number, got a string"},
        {"temperature infinite", kCmpl, c(R"("temperature":1e999)"), "temperature", "finite"},
        {"overflowing number in an array", kCmpl, R"({"prompt":[1,-1e999]})", "prompt[1]",
         "finite"},
        {"overflowing number nested", kChat,
         R"({"messages":[{"role":"user","content":"a"},{"role":"user","content":[1e400]}]})",
         "messages[1].content[0]", "finite"},
        {"temperature array", kChat, h(R"("temperature":[1])"), "temperature", "an array"},
        {"top_p zero", kCmpl, c(R"("top_p":0)"), "top_p", "(0, 1]"},
        {"top_p above one", kCmpl, c(R"("top_p":1.01)"), "top_p", "(0, 1]"},
        {"top_p string", kChat, h(R"("top_p":"0.5")"), "top_p", "got a string"},
        {"top_k -5", kCmpl, c(R"("top_k":-5)"), "top_k", "got -5"},
        {"top_k fractional", kCmpl, c(R"("top_k":2.5)"), "top_k", "integer"},
        {"top_k huge", kCmpl, c(R"("top_k":9999999999)"), "top_k", "got 9999999999"},
        {"min_p above one", kCmpl, c(R"("min_p":2)"), "min_p", "[0, 1]"},
        {"presence_penalty", kCmpl, c(R"("presence_penalty":2.5)"), "presence_penalty", "[-2, 2]"},
        {"frequency_penalty", kChat, h(R"("frequency_penalty":-3)"), "frequency_penalty",
         "[-2, 2]"},
        {"repetition_penalty zero", kCmpl, c(R"("repetition_penalty":0)"), "repetition_penalty",
         "(0, 10]"},
        {"repetition_penalty big", kCmpl, c(R"("repetition_penalty":11)"), "repetition_penalty",
         "(0, 10]"},
        {"seed fractional", kCmpl, c(R"("seed":1.25)"), "seed", "integer"},
        {"seed string", kCmpl, c(R"("seed":"42")"), "seed", "got a string"},
        // n, stop
        {"n zero", kCmpl, c(R"("n":0)"), "n", "[1, 8], got 0"},
        {"n 1000", kChat, h(R"("n":1000)"), "n", "got 1000"},
        {"n string", kCmpl, c(R"("n":"2")"), "n", "got a string"},
        {"stop number", kCmpl, c(R"("stop":1)"), "stop", "string or an array"},
        {"stop empty string", kCmpl, c(R"("stop":"")"), "stop", "must not be empty"},
        {"stop empty element", kCmpl, c(R"("stop":["a",""])"), "stop[1]", "must not be empty"},
        {"stop non-string element", kChat, h(R"("stop":["a",null])"), "stop[1]",
         "must be a string, got null"},
        {"stop too many", kCmpl,
         c(R"("stop":["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17"])"),
         "stop", "at most 16"},
        {"stop too long", kCmpl, c(("\"stop\":\"" + std::string(257, 'x') + "\"").c_str()), "stop",
         "at most 256"},
        // logprobs
        {"completions logprobs too many", kCmpl, c(R"("logprobs":21)"), "logprobs", "[0, 20]"},
        {"completions logprobs bool", kCmpl, c(R"("logprobs":true)"), "logprobs", "got true"},
        {"completions logprobs negative", kCmpl, c(R"("logprobs":-1)"), "logprobs", "got -1"},
        {"chat logprobs integer", kChat, h(R"("logprobs":5)"), "logprobs", "must be a boolean"},
        {"chat top_logprobs without logprobs", kChat, h(R"("top_logprobs":3)"), "top_logprobs",
         "needs logprobs: true"},
        {"chat top_logprobs too many", kChat, h(R"("logprobs":true,"top_logprobs":50)"),
         "top_logprobs", "[0, 20]"},
        // stream
        {"stream number", kCmpl, c(R"("stream":1)"), "stream", "must be a boolean, got 1"},
        {"stream string", kChat, h(R"("stream":"true")"), "stream", "must be a boolean"},
        {"stream_options without stream", kChat, h(R"("stream_options":{"include_usage":true})"),
         "stream_options", "only allowed when stream is true"},
        {"stream_options not object", kChat, h(R"("stream":true,"stream_options":true)"),
         "stream_options", "must be an object"},
        {"include_usage not bool", kChat,
         h(R"("stream":true,"stream_options":{"include_usage":"yes"})"),
         "stream_options.include_usage", "must be a boolean"},
        // misc
        {"ignore_eos number", kCmpl, c(R"("ignore_eos":0)"), "ignore_eos", "must be a boolean"},
        {"user number", kCmpl, c(R"("user":7)"), "user", "must be a string"},
        {"model number", kChat, h(R"("model":7)"), "model", "must be a string"},
        {"timeout zero", kCmpl, c(R"("timeout":0)"), "timeout", "(0, 3600]"},
        {"timeout too long", kCmpl, c(R"("timeout":7200)"), "timeout", "(0, 3600]"},
        {"timeout string", kCmpl, c(R"("timeout":"10s")"), "timeout", "must be a number"},
        // known but unsupported
        {"echo true", kCmpl, c(R"("echo":true)"), "echo", "not supported"},
        {"echo number", kCmpl, c(R"("echo":1)"), "echo", "must be a boolean"},
        {"best_of 2", kCmpl, c(R"("best_of":2)"), "best_of", "only 1"},
        {"suffix", kCmpl, c(R"("suffix":"end")"), "suffix", "not supported"},
        {"logit_bias", kCmpl, c(R"("logit_bias":{"50256":-100})"), "logit_bias", "not supported"},
        {"logit_bias array", kChat, h(R"("logit_bias":[1])"), "logit_bias", "must be an object"},
        {"tools", kChat, h(R"("tools":[{"type":"function"}])"), "tools", "not supported"},
        {"functions", kChat, h(R"("functions":[{"name":"f"}])"), "functions", "not supported"},
        {"response_format json", kChat, h(R"("response_format":{"type":"json_object"})"),
         "response_format.type", "'json_object' is not supported"},
        {"response_format string", kChat, h(R"("response_format":"json")"), "response_format",
         "must be an object"},
    };
}

TEST(OpenAiRequestTest, RefusesBadBodiesNamingTheField) {
    const std::vector<BadCase> cases = bad_cases();
    ASSERT_GE(cases.size(), 40u);
    for (const BadCase& bc : cases) {
        SCOPED_TRACE(bc.name);
        const Result<GenerationRequest> r = parse_generation_request(bc.body, bc.endpoint, kLimits);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.status().code(), StatusCode::InvalidArgument);
        EXPECT_THAT(r.status().message(), HasSubstr(bc.says));
        const ApiError e = api_error_from_status(r.status());
        EXPECT_EQ(e.http_status, 400);
        EXPECT_EQ(e.param.value_or(""), bc.param) << r.status().message();
    }
}

TEST(OpenAiRequestTest, DeepNestingInsideStringsIsNotCounted) {
    const std::string body = R"({"prompt":")" + std::string(1000, '[') + R"(\"{{{"})";
    const Result<GenerationRequest> r = parse_generation_request(body, kCmpl, kLimits);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(std::get<std::string>(r->prompts[0]), std::string(1000, '[') + "\"{{{");
}

TEST(OpenAiRequestTest, MillionDeepNestingIsRefusedWithoutCrashing) {
    const std::string body = std::string(1'000'000, '[');
    const Result<GenerationRequest> r = parse_generation_request(body, kChat, kLimits);
    ASSERT_FALSE(r.ok());
    EXPECT_THAT(r.status().message(), HasSubstr("nested deeper"));
}

TEST(OpenAiRequestTest, CompletionDefaults) {
    const Result<GenerationRequest> r =
        parse_generation_request(R"({"prompt":"Hello"})", kCmpl, kLimits);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const GenerationRequest& q = *r;
    EXPECT_EQ(q.endpoint, kCmpl);
    ASSERT_EQ(q.prompts.size(), 1u);
    EXPECT_EQ(std::get<std::string>(q.prompts[0]), "Hello");
    EXPECT_TRUE(q.messages.empty());
    EXPECT_EQ(q.model, "");
    EXPECT_FALSE(q.max_tokens);
    EXPECT_EQ(q.sampling.temperature, 1.0f);
    EXPECT_EQ(q.sampling.top_p, 1.0f);
    EXPECT_EQ(q.sampling.top_k, 0);
    EXPECT_FALSE(q.has_seed);
    EXPECT_TRUE(q.stop.empty());
    EXPECT_EQ(q.n, 1);
    EXPECT_FALSE(q.logprobs);
    EXPECT_FALSE(q.stream);
    EXPECT_FALSE(q.include_usage);
    EXPECT_FALSE(q.ignore_eos);
    EXPECT_EQ(q.timeout, kLimits.default_timeout);
}

TEST(OpenAiRequestTest, CompletionAllFields) {
    const std::string body = R"({
        "model": "glm4", "prompt": "Hi", "max_tokens": 32, "temperature": 0.5, "top_p": 0.9,
        "top_k": 40, "min_p": 0.05, "presence_penalty": 0.5, "frequency_penalty": -0.5,
        "repetition_penalty": 1.1, "seed": -1, "n": 2, "stop": ["\n\n", "END"],
        "logprobs": 3, "stream": true, "stream_options": {"include_usage": true},
        "ignore_eos": true, "user": "u1", "timeout": 1.5, "echo": false, "best_of": 1,
        "suffix": null, "logit_bias": {}, "unknown_field": {"anything": [1, 2]}
    })";
    const Result<GenerationRequest> r = parse_generation_request(body, kCmpl, kLimits);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const GenerationRequest& q = *r;
    EXPECT_EQ(q.model, "glm4");
    EXPECT_EQ(q.max_tokens, 32);
    EXPECT_FLOAT_EQ(q.sampling.temperature, 0.5f);
    EXPECT_FLOAT_EQ(q.sampling.top_p, 0.9f);
    EXPECT_EQ(q.sampling.top_k, 40);
    EXPECT_FLOAT_EQ(q.sampling.min_p, 0.05f);
    EXPECT_FLOAT_EQ(q.sampling.presence_penalty, 0.5f);
    EXPECT_FLOAT_EQ(q.sampling.frequency_penalty, -0.5f);
    EXPECT_FLOAT_EQ(q.sampling.repetition_penalty, 1.1f);
    EXPECT_TRUE(q.has_seed);
    EXPECT_EQ(q.sampling.seed, ~uint64_t{0});  // -1 as two's complement
    EXPECT_EQ(q.n, 2);
    EXPECT_EQ(q.stop, (std::vector<std::string>{"\n\n", "END"}));
    EXPECT_TRUE(q.logprobs);
    EXPECT_EQ(q.top_logprobs, 3);
    EXPECT_TRUE(q.stream);
    EXPECT_TRUE(q.include_usage);
    EXPECT_TRUE(q.ignore_eos);
    EXPECT_EQ(q.user, "u1");
    EXPECT_EQ(q.timeout, std::chrono::milliseconds(1500));
}

TEST(OpenAiRequestTest, PromptVariants) {
    Result<GenerationRequest> r =
        parse_generation_request(R"({"prompt":["a","bc"]})", kCmpl, kLimits);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    ASSERT_EQ(r->prompts.size(), 2u);
    EXPECT_EQ(std::get<std::string>(r->prompts[1]), "bc");

    r = parse_generation_request(R"({"prompt":[1, 2.0, 2147483647]})", kCmpl, kLimits);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    ASSERT_EQ(r->prompts.size(), 1u);
    EXPECT_EQ(std::get<std::vector<int32_t>>(r->prompts[0]),
              (std::vector<int32_t>{1, 2, 2147483647}));

    r = parse_generation_request(R"({"prompt":[[5],[6,7]]})", kCmpl, kLimits);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    ASSERT_EQ(r->prompts.size(), 2u);
    EXPECT_EQ(std::get<std::vector<int32_t>>(r->prompts[1]), (std::vector<int32_t>{6, 7}));
}

TEST(OpenAiRequestTest, ChatMessagesWithPartsRolesAndNullContent) {
    const std::string body = R"({"messages":[
        {"role":"developer","content":"be brief"},
        {"role":"user","name":"bob","content":[{"type":"text","text":"Hello, "},
                                               {"type":"text","text":"world"}]},
        {"role":"assistant","content":null},
        {"role":"assistant","content":"ok","tool_calls":[]},
        {"role":"user","content":"\u00e9\ud83d\ude00"}
    ],"max_completion_tokens":7,"logprobs":true,"top_logprobs":2,"tools":[],"seed":42,
      "response_format":{"type":"text"}})";
    const Result<GenerationRequest> r = parse_generation_request(body, kChat, kLimits);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const GenerationRequest& q = *r;
    EXPECT_TRUE(q.prompts.empty());
    ASSERT_EQ(q.messages.size(), 5u);
    EXPECT_EQ(q.messages[0].role, "system");
    EXPECT_EQ(q.messages[0].content, "be brief");
    EXPECT_EQ(q.messages[1].role, "user");
    EXPECT_EQ(q.messages[1].content, "Hello, world");
    EXPECT_EQ(q.messages[2].role, "assistant");
    EXPECT_EQ(q.messages[2].content, "");
    EXPECT_EQ(q.messages[3].content, "ok");
    EXPECT_EQ(q.messages[4].content, "\xC3\xA9\xF0\x9F\x98\x80");
    EXPECT_EQ(q.max_tokens, 7);
    EXPECT_TRUE(q.logprobs);
    EXPECT_EQ(q.top_logprobs, 2);
    EXPECT_EQ(q.sampling.seed, 42u);
}

TEST(OpenAiRequestTest, NullMeansAbsent) {
    const std::string body = R"({"prompt":"x","max_tokens":null,"temperature":null,"stop":null,
        "n":null,"stream":null,"stream_options":null,"logprobs":null,"seed":null,"timeout":null})";
    const Result<GenerationRequest> r = parse_generation_request(body, kCmpl, kLimits);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_FALSE(r->max_tokens);
    EXPECT_EQ(r->sampling.temperature, 1.0f);
    EXPECT_FALSE(r->has_seed);
    EXPECT_FALSE(r->logprobs);
    EXPECT_EQ(r->n, 1);
}

TEST(OpenAiRequestTest, EdgeValuesAreAccepted) {
    const std::string body = R"({"prompt":"x","max_tokens":2147483647,"temperature":0,
        "top_p":1,"top_k":-1,"n":8,"seed":18446744073709551615,"stop":"s","logprobs":0,
        "timeout":3600,"max_completion_tokens":2147483647.0})";
    const Result<GenerationRequest> r = parse_generation_request(body, kCmpl, kLimits);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->max_tokens, 2147483647);
    EXPECT_EQ(r->sampling.temperature, 0.0f);
    EXPECT_EQ(r->sampling.top_k, 0);
    EXPECT_EQ(r->n, 8);
    EXPECT_EQ(r->sampling.seed, ~uint64_t{0});
    EXPECT_EQ(r->stop, std::vector<std::string>{"s"});
    EXPECT_TRUE(r->logprobs);
    EXPECT_EQ(r->top_logprobs, 0);
    EXPECT_EQ(r->timeout, std::chrono::milliseconds(3'600'000));
}

TEST(OpenAiRequestTest, TimeoutRoundsUpToWholeMilliseconds) {
    const Result<GenerationRequest> r =
        parse_generation_request(R"({"prompt":"x","timeout":0.0001})", kCmpl, kLimits);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->timeout, std::chrono::milliseconds(1));
}

TEST(OpenAiRequestTest, LimitsComeFromTheServer) {
    RequestLimits limits;
    limits.max_n = 2;
    limits.max_stop_strings = 1;
    limits.max_json_depth = 3;
    EXPECT_FALSE(parse_generation_request(R"({"prompt":"x","n":3})", kCmpl, limits).ok());
    EXPECT_FALSE(
        parse_generation_request(R"({"prompt":"x","stop":["a","b"]})", kCmpl, limits).ok());
    EXPECT_TRUE(parse_generation_request(R"({"prompt":"x","a":[[1]]})", kCmpl, limits).ok());
    EXPECT_FALSE(parse_generation_request(R"({"prompt":"x","a":[[[1]]]})", kCmpl, limits).ok());
}

TEST(OpenAiRequestTest, TokenizeRequest) {
    Result<TokenizeRequest> r =
        parse_tokenize_request(R"({"prompt":"hi","add_special":false})", kLimits);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->prompt, "hi");
    EXPECT_FALSE(r->add_special);
    EXPECT_TRUE(r->add_generation_prompt);

    r = parse_tokenize_request(R"({"prompt":""})", kLimits);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->prompt, "");

    r = parse_tokenize_request(
        R"({"messages":[{"role":"user","content":"a"}],"add_generation_prompt":false})", kLimits);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_FALSE(r->prompt);
    ASSERT_EQ(r->messages.size(), 1u);
    EXPECT_FALSE(r->add_generation_prompt);
    EXPECT_TRUE(r->add_special);
}

TEST(OpenAiRequestTest, TokenizeRequestErrors) {
    const struct {
        const char* body;
        const char* param;
    } cases[] = {
        {R"({})", "prompt"},
        {R"({"prompt":1})", "prompt"},
        {R"({"prompt":"a","messages":[{"role":"user","content":"a"}]})", "messages"},
        {R"({"messages":[{"role":"tool","content":"a"}]})", "messages[0].role"},
        {R"({"prompt":"a","add_special":"yes"})", "add_special"},
        {R"([1])", ""},
    };
    for (const auto& c : cases) {
        const Result<TokenizeRequest> r = parse_tokenize_request(c.body, kLimits);
        ASSERT_FALSE(r.ok()) << c.body;
        EXPECT_EQ(api_error_from_status(r.status()).param.value_or(""), c.param) << c.body;
    }
}

TEST(OpenAiRequestTest, DetokenizeRequest) {
    Result<std::vector<int32_t>> r = parse_detokenize_request(R"({"tokens":[1,2,3]})", kLimits);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(*r, (std::vector<int32_t>{1, 2, 3}));
    r = parse_detokenize_request(R"({"tokens":[]})", kLimits);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->empty());

    const struct {
        const char* body;
        const char* param;
    } cases[] = {
        {R"({})", "tokens"},
        {R"({"tokens":"1 2"})", "tokens"},
        {R"({"tokens":[1,-1]})", "tokens[1]"},
        {R"({"tokens":[2147483648]})", "tokens[0]"},
        {R"({"tokens":[1,"2"]})", "tokens[1]"},
        {R"({"tokens":[0.5]})", "tokens[0]"},
    };
    for (const auto& c : cases) {
        r = parse_detokenize_request(c.body, kLimits);
        ASSERT_FALSE(r.ok()) << c.body;
        EXPECT_EQ(api_error_from_status(r.status()).param.value_or(""), c.param) << c.body;
    }
}

}  // namespace
}  // namespace glmserve::server
