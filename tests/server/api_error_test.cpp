// Tests for server/api_error.h: the Status → HTTP mapping table of STYLE.md §3, param
// extraction from "field: message", Retry-After only on 429/503, and the error body shape.
#include "server/api_error.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace glmserve::server {
namespace {

using json = nlohmann::json;

struct MappingCase {
    Status status;
    int http_status;
    const char* type;
    const char* code;
};

TEST(ApiErrorTest, MapsEveryStatusCode) {
    const MappingCase cases[] = {
        {invalid_argument("x"), 400, "invalid_request_error", "invalid_argument"},
        {failed_precondition("x"), 400, "invalid_request_error", "failed_precondition"},
        {not_found("x"), 404, "invalid_request_error", "not_found"},
        {resource_exhausted("x"), 429, "rate_limit_error", "rate_limit_exceeded"},
        {unimplemented("x"), 501, "not_implemented_error", "not_implemented"},
        {unavailable("x"), 503, "service_unavailable", "server_overloaded"},
        {deadline_exceeded("x"), 504, "timeout_error", "timeout"},
        {cancelled("x"), 499, "cancelled", "cancelled"},
        {data_loss("x"), 500, "server_error", "internal_error"},
        {internal_error("x"), 500, "server_error", "internal_error"},
    };
    for (const MappingCase& c : cases) {
        const ApiError e = api_error_from_status(c.status);
        EXPECT_EQ(e.http_status, c.http_status) << c.status.to_string();
        EXPECT_EQ(e.type, c.type) << c.status.to_string();
        EXPECT_EQ(e.code, c.code) << c.status.to_string();
        EXPECT_EQ(e.message, "x");
    }
}

TEST(ApiErrorTest, OkStatusIsAnInternalError) {
    const ApiError e = api_error_from_status(ok_status());
    EXPECT_EQ(e.http_status, 500);
    EXPECT_FALSE(e.message.empty());
}

TEST(ApiErrorTest, RetryAfterOnlyFor429And503) {
    EXPECT_EQ(api_error_from_status(resource_exhausted("queue full"), 7).retry_after_seconds, 7);
    EXPECT_EQ(api_error_from_status(unavailable("draining"), 3).retry_after_seconds, 3);
    EXPECT_EQ(api_error_from_status(resource_exhausted("queue full")).retry_after_seconds,
              kDefaultRetryAfterSeconds);
    EXPECT_EQ(api_error_from_status(unavailable("x"), -5).retry_after_seconds, 0);
    EXPECT_FALSE(api_error_from_status(invalid_argument("x"), 7).retry_after_seconds);
    EXPECT_FALSE(api_error_from_status(internal_error("x"), 7).retry_after_seconds);
    EXPECT_FALSE(api_error_from_status(deadline_exceeded("x"), 7).retry_after_seconds);
}

TEST(ApiErrorTest, ParamIsTheLeadingFieldPath) {
    EXPECT_EQ(api_error_from_status(invalid_argument("max_tokens: must be >= 1, got 0")).param,
              "max_tokens");
    EXPECT_EQ(api_error_from_status(invalid_argument("messages[2].content[0].type: bad")).param,
              "messages[2].content[0].type");
    EXPECT_EQ(api_error_from_status(invalid_argument("stream_options.include_usage: x")).param,
              "stream_options.include_usage");
    EXPECT_EQ(api_error_from_status(not_found("model: 'x' is not served")).param, "model");
}

TEST(ApiErrorTest, NoParamWhenTheMessageDoesNotStartWithAField) {
    const char* messages[] = {
        "request body is not valid JSON: parse error at line 1",
        "prompt is empty",
        "messages[: broken",
        "a..b: x",
        "x[]: y",
        "1abc: y",
        ": nothing before",
        "no colon at all",
    };
    for (const char* m : messages) {
        EXPECT_FALSE(api_error_from_status(invalid_argument(m)).param) << m;
    }
    // Server-side errors never carry a param, even when the message looks like one.
    EXPECT_FALSE(api_error_from_status(internal_error("kv_pool: corrupt")).param);
}

TEST(ApiErrorTest, UnauthorizedAndForbidden) {
    const ApiError u = unauthorized("missing API key");
    EXPECT_EQ(u.http_status, 401);
    EXPECT_EQ(u.type, "authentication_error");
    EXPECT_EQ(u.code, "invalid_api_key");
    EXPECT_EQ(u.message, "missing API key");
    const ApiError f = forbidden("key may not use this model");
    EXPECT_EQ(f.http_status, 403);
    EXPECT_EQ(f.type, "permission_error");
}

TEST(ApiErrorTest, BodyHasOpenAiShape) {
    const ApiError e = api_error_from_status(invalid_argument("n: must be an integer in [1, 8]"));
    const json body = json::parse(error_body_json(e));
    ASSERT_TRUE(body.contains("error"));
    const json& err = body["error"];
    EXPECT_EQ(err["message"], "n: must be an integer in [1, 8]");
    EXPECT_EQ(err["type"], "invalid_request_error");
    EXPECT_EQ(err["param"], "n");
    EXPECT_EQ(err["code"], "invalid_argument");
    EXPECT_EQ(err.size(), 4u);
}

TEST(ApiErrorTest, BodyParamIsNullWhenAbsent) {
    const json body = json::parse(error_body_json(api_error_from_status(unavailable("busy"))));
    EXPECT_TRUE(body["error"]["param"].is_null());
    EXPECT_EQ(body["error"]["type"], "service_unavailable");
}

TEST(ApiErrorTest, InvalidUtf8InMessageIsReplacedNotThrown) {
    const ApiError e = api_error_from_status(internal_error("bad \xFF\xC3 bytes"));
    std::string text;
    ASSERT_NO_THROW(text = error_body_json(e));
    const json body = json::parse(text);  // valid UTF-8 JSON again
    EXPECT_EQ(body["error"]["message"], "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
}

}  // namespace
}  // namespace glmserve::server
