// Tests of the proxy path's pure helpers (proxy_request.h), the health verdict's rise/fall
// hysteresis (health_state.h) and the /v1/status load report parser (load_report.h).
#include "gateway/proxy_request.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/health_state.h"
#include "gateway/load_report.h"

namespace glmserve::gateway {
namespace {

using json = nlohmann::json;

TEST(ProxyRequest, HopByHopHeaders) {
    for (const char* h : {"Connection", "keep-alive", "TE", "Trailer", "Transfer-Encoding",
                          "Upgrade", "Proxy-Authorization", "proxy-connection"}) {
        EXPECT_TRUE(is_hop_by_hop(h)) << h;
    }
    for (const char* h : {"Authorization", "Content-Type", "X-Request-Id", "Retry-After"}) {
        EXPECT_FALSE(is_hop_by_hop(h)) << h;
    }
}

TEST(ProxyRequest, UpstreamHeadersDropHopByHopAndAddIds) {
    http::Request r;
    r.remote_address = "10.0.0.7";
    r.headers = {{"Host", "gw"},
                 {"Connection", "keep-alive"},
                 {"Content-Length", "10"},
                 {"Authorization", "Bearer k"},
                 {"X-Request-Id", "old"},
                 {"X-Forwarded-For", "1.2.3.4"},
                 {"Content-Type", "application/json"}};
    const auto h = upstream_request_headers(r, "rid");
    auto find = [&](std::string_view name) -> std::string {
        for (const auto& [n, v] : h) {
            if (n == name) return v;
        }
        return "<absent>";
    };
    EXPECT_EQ(find("Host"), "<absent>");
    EXPECT_EQ(find("Connection"), "<absent>");
    EXPECT_EQ(find("Content-Length"), "<absent>");
    EXPECT_EQ(find("Authorization"), "Bearer k");
    EXPECT_EQ(find("Content-Type"), "application/json");
    EXPECT_EQ(find("X-Request-Id"), "rid");
    EXPECT_EQ(find("X-Forwarded-For"), "1.2.3.4, 10.0.0.7");
}

TEST(ProxyRequest, ClientHeadersDropFramingHeaders) {
    http::ResponseHead head{.status = 200,
                            .headers = {{"Content-Type", "text/event-stream"},
                                        {"Transfer-Encoding", "chunked"},
                                        {"content-length", "5"},
                                        {"Retry-After", "2"},
                                        {"Keep-Alive", "timeout=5"}}};
    const http::Headers h = client_response_headers(head);
    ASSERT_EQ(h.size(), 1u);
    EXPECT_EQ(h[0].first, "Retry-After");
    EXPECT_EQ(response_header(head, "content-type"), "text/event-stream");
    EXPECT_EQ(response_header(head, "X-Missing"), "");
}

TEST(ProxyRequest, AffinityKeyOfCompletionsAndChat) {
    EXPECT_EQ(affinity_key(json{{"prompt", "abcdefgh"}}, 4), "abcd");
    EXPECT_EQ(affinity_key(json{{"prompt", json::array({"first", "second"})}}, 100), "first");
    const json chat = {{"messages",
                        {{{"role", "system"}, {"content", "be brief"}},
                         {{"role", "user"}, {"content", {{{"type", "text"}, {"text", "hi"}}}}}}}};
    EXPECT_EQ(affinity_key(chat, 100), "system:be brief\nuser:hi\n");
    EXPECT_EQ(affinity_key(chat, 6), "system");
    EXPECT_EQ(affinity_key(json{{"model", "m"}}, 10), "");
    EXPECT_EQ(affinity_key(json::array(), 10), "");
    // Never cut inside a UTF-8 sequence: "é" is two bytes.
    EXPECT_EQ(affinity_key(json{{"prompt", "aé"}}, 2), "a");
}

TEST(ProxyRequest, TokenEstimate) {
    EXPECT_EQ(estimate_tokens(json{{"prompt", std::string(40, 'x')}, {"max_tokens", 10}}), 20);
    EXPECT_EQ(estimate_tokens(json{{"prompt", "x"}}), 256);  // default completion
    EXPECT_EQ(estimate_tokens(json{{"prompt", std::string(8, 'x')}, {"max_tokens", 2}, {"n", 3}}),
              12);
    EXPECT_EQ(estimate_tokens(json{{"messages", {{{"role", "user"}, {"content", "abcdefgh"}}}},
                                   {"max_completion_tokens", 1}}),
              3);
    EXPECT_EQ(estimate_tokens(json("not an object")), 1);
    EXPECT_GT(estimate_tokens(json{{"max_tokens", int64_t{1} << 62}, {"n", 1000}}), 0);
}

TEST(ProxyRequest, PromptTokenEstimate) {
    EXPECT_EQ(estimate_prompt_tokens(json{{"prompt", std::string(40, 'x')}, {"max_tokens", 10}}),
              10);
    EXPECT_EQ(estimate_prompt_tokens(json{{"prompt", std::string(8, 'x')}, {"n", 3}}), 6);
    EXPECT_EQ(estimate_prompt_tokens(json{{"prompt", ""}}), 1);  // never zero
    EXPECT_EQ(estimate_prompt_tokens(json("not an object")), 1);
}

TEST(ProxyRequest, UsageTotalTokens) {
    EXPECT_EQ(usage_total_tokens(R"({"usage": {"total_tokens": 17}})"), 17);
    EXPECT_EQ(usage_total_tokens(R"({"usage": {}})"), std::nullopt);
    EXPECT_EQ(usage_total_tokens("not json"), std::nullopt);
}

TEST(ProxyRequest, ErrorShapes) {
    const json e = json::parse(error_body("bad", "t", "c"));
    EXPECT_EQ(e["error"]["message"], "bad");
    EXPECT_EQ(e["error"]["type"], "t");
    EXPECT_EQ(e["error"]["code"], "c");
    const std::string event = sse_error_event("gone", "upstream_failed");
    ASSERT_TRUE(event.starts_with("data: "));
    ASSERT_TRUE(event.ends_with("\n\n"));
    EXPECT_EQ(json::parse(event.substr(6))["error"]["code"], "upstream_failed");
    EXPECT_EQ(mint_request_id().size(), 16u);
    EXPECT_NE(mint_request_id(), mint_request_id());
}

TEST(HealthState, FirstResultDecidesThenRiseAndFall) {
    HealthState h(/*rise=*/2, /*fall=*/3);
    EXPECT_EQ(h.health(), Health::Unknown);
    EXPECT_TRUE(h.routable());
    EXPECT_TRUE(h.record(true));
    EXPECT_EQ(h.health(), Health::Healthy);
    EXPECT_FALSE(h.record(false));
    EXPECT_FALSE(h.record(false));
    EXPECT_FALSE(h.record(true));  // a success breaks the run of failures
    EXPECT_FALSE(h.record(false));
    EXPECT_FALSE(h.record(false));
    EXPECT_TRUE(h.record(false));
    EXPECT_EQ(h.health(), Health::Unhealthy);
    EXPECT_FALSE(h.routable());
    EXPECT_FALSE(h.record(true));
    EXPECT_TRUE(h.record(true));
    EXPECT_EQ(h.health(), Health::Healthy);
    EXPECT_EQ(health_name(Health::Unhealthy), "unhealthy");
}

TEST(HealthState, UnknownTurnsUnhealthyOnFirstFailure) {
    HealthState h(3, 3);
    EXPECT_TRUE(h.record(false));
    EXPECT_EQ(h.health(), Health::Unhealthy);
}

TEST(LoadReport, ParsesGlmserveStatus) {
    const auto r = parse_load_report(
        R"({"queued_prompt_tokens": 1200, "waiting": 3, "running": 4,
            "kv_cache": {"usage": 0.75, "blocks_total": 10}})");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->queued_tokens, 1200);
    EXPECT_DOUBLE_EQ(r->kv_usage, 0.75);
    EXPECT_EQ(r->waiting, 3);
    EXPECT_EQ(r->running, 4);
}

TEST(LoadReport, RejectsOtherShapesAndClamps) {
    EXPECT_FALSE(parse_load_report(R"({"status": "ok"})"));
    EXPECT_FALSE(parse_load_report("<html>"));
    EXPECT_FALSE(parse_load_report(R"({"queued_prompt_tokens": "1", "kv_cache": {"usage": 0}})"));
    EXPECT_FALSE(parse_load_report(R"({"queued_prompt_tokens": 1, "kv_cache": {}})"));
    const auto r = parse_load_report(R"({"queued_prompt_tokens": -5, "kv_cache": {"usage": 7.5}})");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->queued_tokens, 0);
    EXPECT_DOUBLE_EQ(r->kv_usage, 1.0);
}

}  // namespace
}  // namespace glmserve::gateway
