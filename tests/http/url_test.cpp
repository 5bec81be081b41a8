// Tests for http/url.h: accepted forms, defaults, and that each refusal names the problem.
#include "http/url.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace glmserve::http {
namespace {

using ::testing::HasSubstr;

TEST(ParseUrl, HostPortAndPrefix) {
    auto url = parse_url("http://example.com:8080/api/");
    ASSERT_TRUE(url.ok()) << url.status().to_string();
    EXPECT_EQ(url->scheme, "http");
    EXPECT_EQ(url->host, "example.com");
    EXPECT_EQ(url->port, 8080);
    EXPECT_EQ(url->path_prefix, "/api");
    EXPECT_EQ(url->to_string(), "http://example.com:8080/api");
}

TEST(ParseUrl, DefaultPortAndTrailingSlashes) {
    auto url = parse_url("http://127.0.0.1//");
    ASSERT_TRUE(url.ok()) << url.status().to_string();
    EXPECT_EQ(url->host, "127.0.0.1");
    EXPECT_EQ(url->port, 80);
    EXPECT_EQ(url->path_prefix, "");
    EXPECT_EQ(url->authority(), "127.0.0.1:80");
}

TEST(ParseUrl, BracketedIpv6) {
    auto url = parse_url("http://[::1]:9000");
    ASSERT_TRUE(url.ok()) << url.status().to_string();
    EXPECT_EQ(url->host, "::1");
    EXPECT_EQ(url->port, 9000);
    EXPECT_EQ(url->authority(), "[::1]:9000");
}

TEST(ParseUrl, HttpsDefaultsToPort443) {
    auto url = parse_url("https://api.openai.com/v1");
    ASSERT_TRUE(url.ok()) << url.status().to_string();
    EXPECT_TRUE(url->is_https());
    EXPECT_EQ(url->port, 443);
    EXPECT_EQ(url->to_string(), "https://api.openai.com:443/v1");

    auto plain = parse_url("http://h");
    ASSERT_TRUE(plain.ok());
    EXPECT_FALSE(plain->is_https());
    EXPECT_EQ(plain->port, 80);
}

TEST(ParseUrl, OtherSchemesAreRefused) {
    auto url = parse_url("ftp://h/x");
    ASSERT_FALSE(url.ok());
    EXPECT_EQ(url.status().code(), StatusCode::InvalidArgument);
    EXPECT_THAT(url.status().message(), HasSubstr("ftp"));
}

TEST(ParseUrl, ErrorsNameTheProblem) {
    struct Case {
        const char* text;
        const char* why;
    };
    const Case cases[] = {
        {"", "empty"},
        {"localhost:8080", "no scheme"},
        {"ftp://host", "unsupported scheme 'ftp'"},
        {"http://", "no host"},
        {"http://:80", "no host"},
        {"http://host:", "empty port"},
        {"http://host:0", "port '0'"},
        {"http://host:65536", "port '65536'"},
        {"http://host:8x", "port '8x'"},
        {"http://user@host", "user info"},
        {"http://[::1", "unclosed '['"},
        {"http://[::1]x", "after ']'"},
        {"http://ho st", "whitespace"},
        {"http://host/a?b=1", "query"},
        {"http://ho$t", "invalid character '$'"},
    };
    for (const auto& c : cases) {
        auto url = parse_url(c.text);
        ASSERT_FALSE(url.ok()) << c.text;
        EXPECT_EQ(url.status().code(), StatusCode::InvalidArgument) << c.text;
        EXPECT_THAT(url.status().message(), HasSubstr(c.why)) << c.text;
    }
}

}  // namespace
}  // namespace glmserve::http
