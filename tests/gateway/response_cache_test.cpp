#include "gateway/response_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace glmserve::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const Clock::time_point kT0 = Clock::time_point{} + std::chrono::hours(1);
constexpr std::string_view kRoute = "/v1/chat/completions";

CachedResponse ok(std::string body) {
    return {.status = 200, .content_type = "application/json", .body = std::move(body)};
}

std::string key(std::string_view body) {
    std::optional<std::string> k = ResponseCache::key_for(kRoute, body);
    EXPECT_TRUE(k.has_value()) << body;
    return k.value_or("");
}

TEST(ResponseCacheKey, DeterministicRequestsAreCacheable) {
    EXPECT_TRUE(ResponseCache::key_for(kRoute, R"({"model":"m","temperature":0})"));
    EXPECT_TRUE(ResponseCache::key_for(kRoute, R"({"model":"m","temperature":0.0})"));
    EXPECT_TRUE(ResponseCache::key_for(kRoute, R"({"model":"m","seed":42})"));
    EXPECT_TRUE(ResponseCache::key_for(kRoute, R"({"model":"m","seed":-1,"temperature":0.8})"));
    EXPECT_TRUE(ResponseCache::key_for(kRoute, R"({"model":"m","temperature":0,"stream":false})"));
}

TEST(ResponseCacheKey, OtherRequestsAreNot) {
    const char* bodies[] = {
        R"({"model":"m"})",                                 // default temperature samples
        R"({"model":"m","temperature":0.7})",               // sampled, no seed
        R"({"model":"m","temperature":0,"stream":true})",   // streamed
        R"({"model":"m","temperature":0,"stream":"yes"})",  // not a boolean
        R"({"model":"m","seed":1.5})",                      // not an integer seed
        R"({"model":"m","seed":"7"})",
        R"({"model":"m","temperature":"0"})",
        R"([{"temperature":0}])",           // not an object
        R"({"model":"m","temperature":0)",  // truncated JSON
        "",
        "null",
    };
    for (const char* body : bodies) {
        EXPECT_FALSE(ResponseCache::key_for(kRoute, body).has_value()) << body;
    }
}

TEST(ResponseCacheKey, KeyOrderAndWhitespaceDoNotMatter) {
    const std::string a =
        key(R"({"model":"m","temperature":0,"messages":[{"role":"user","content":"hi"}]})");
    const std::string b = key(R"({
        "messages" : [ { "content" : "hi", "role" : "user" } ],
        "temperature" : 0,
        "model" : "m"
    })");
    EXPECT_EQ(a, b);
}

TEST(ResponseCacheKey, RouteModelAndContentDoMatter) {
    const std::string base = key(R"({"model":"m","temperature":0,"prompt":"x"})");
    EXPECT_NE(base, key(R"({"model":"n","temperature":0,"prompt":"x"})"));
    EXPECT_NE(base, key(R"({"model":"m","temperature":0,"prompt":"y"})"));
    EXPECT_NE(base, key(R"({"model":"m","temperature":0,"prompt":"x","max_tokens":5})"));
    EXPECT_NE(base, ResponseCache::key_for("/v1/completions",
                                           R"({"model":"m","temperature":0,"prompt":"x"})"));
    // Array order is content, unlike key order.
    EXPECT_NE(key(R"({"temperature":0,"stop":["a","b"]})"),
              key(R"({"temperature":0,"stop":["b","a"]})"));
}

TEST(ResponseCacheBypass, NoCacheAndNoStoreBypass) {
    EXPECT_TRUE(ResponseCache::bypass_requested("no-cache"));
    EXPECT_TRUE(ResponseCache::bypass_requested("No-Cache"));
    EXPECT_TRUE(ResponseCache::bypass_requested("max-age=0, no-store"));
    EXPECT_TRUE(ResponseCache::bypass_requested(" private ,no-cache=\"set-cookie\""));
    EXPECT_FALSE(ResponseCache::bypass_requested(""));
    EXPECT_FALSE(ResponseCache::bypass_requested("max-age=60"));
    EXPECT_FALSE(ResponseCache::bypass_requested("no-transform"));
    EXPECT_FALSE(ResponseCache::bypass_requested("x-no-cache"));
}

TEST(ResponseCache, MissThenHit) {
    ResponseCache cache(1 << 20, seconds(60), 100);
    const std::string k = key(R"({"model":"m","temperature":0})");
    EXPECT_FALSE(cache.get(k, kT0).has_value());
    cache.put(k, ok("answer"), kT0);
    std::optional<CachedResponse> hit = cache.get(k, kT0 + seconds(1));
    ASSERT_TRUE(hit.has_value());
    EXPECT_EQ(hit->status, 200);
    EXPECT_EQ(hit->content_type, "application/json");
    EXPECT_EQ(hit->body, "answer");
    EXPECT_EQ(cache.hits(), 1);
    EXPECT_EQ(cache.misses(), 1);
    EXPECT_EQ(cache.entries(), 1u);
    EXPECT_EQ(cache.bytes(), ResponseCache::kEntryOverheadBytes + k.size() + 6 +
                                 std::string("application/json").size());
}

TEST(ResponseCache, EntriesExpireAfterTheTtl) {
    ResponseCache cache(1 << 20, seconds(60), 100);
    cache.put("k", ok("v"), kT0);
    EXPECT_TRUE(cache.get("k", kT0 + milliseconds(59999)).has_value());
    EXPECT_FALSE(cache.get("k", kT0 + seconds(60)).has_value());
    EXPECT_EQ(cache.entries(), 0u);
    EXPECT_EQ(cache.bytes(), 0u);
    EXPECT_EQ(cache.misses(), 1);
    // A fresh put starts a fresh lifetime.
    cache.put("k", ok("v2"), kT0 + seconds(61));
    EXPECT_EQ(cache.get("k", kT0 + seconds(100))->body, "v2");
}

TEST(ResponseCache, EvictsLeastRecentlyUsedUnderTheByteBound) {
    // Each entry: 128 overhead + 1 key + 0 content type + 100 body = 229 bytes, which is
    // max_bytes / 8 (the largest storable entry), and the bound holds eight of them.
    const size_t per_entry = ResponseCache::kEntryOverheadBytes + 1 + 100;
    ResponseCache cache(8 * per_entry + 7, seconds(60), 1000);
    const std::string body(100, 'x');
    const std::string keys = "abcdefgh";
    for (char k : keys) cache.put(std::string(1, k), {.body = body}, kT0);
    EXPECT_EQ(cache.entries(), 8u);
    EXPECT_EQ(cache.bytes(), 8 * per_entry);
    ASSERT_TRUE(cache.get("a", kT0).has_value());  // "b" is now least recently used
    cache.put("i", {.body = body}, kT0);
    EXPECT_EQ(cache.entries(), 8u);
    EXPECT_EQ(cache.evictions(), 1);
    EXPECT_FALSE(cache.get("b", kT0).has_value());
    for (char k : std::string("acdefghi")) {
        EXPECT_TRUE(cache.get(std::string(1, k), kT0).has_value()) << k;
    }
    EXPECT_LE(cache.bytes(), 8 * per_entry + 7);
    // The gets above made "a" the least recently used: a smaller entry evicts just it.
    cache.put("j", {.body = std::string(10, 'x')}, kT0);
    EXPECT_EQ(cache.evictions(), 2);
    EXPECT_FALSE(cache.get("a", kT0).has_value());
    EXPECT_TRUE(cache.get("c", kT0).has_value());
    EXPECT_EQ(cache.entries(), 8u);
}

TEST(ResponseCache, ALargerEntryEvictsAsManyAsItNeeds) {
    const size_t small = ResponseCache::kEntryOverheadBytes + 2;  // two-character key, no body
    const size_t large = ResponseCache::kEntryOverheadBytes + 1 + 100;
    ResponseCache cache(8 * large + 7, seconds(60), 1000);
    for (int i = 10; i < 24; ++i) cache.put(std::to_string(i), {}, kT0);
    EXPECT_EQ(cache.bytes(), 14 * small);  // 1806 of 1839
    cache.put("x", {.body = std::string(100, 'x')}, kT0);
    EXPECT_EQ(cache.evictions(), 2);  // 1806 - 130 + 229 is still over; 1806 - 260 + 229 fits
    EXPECT_FALSE(cache.get("10", kT0).has_value());
    EXPECT_FALSE(cache.get("11", kT0).has_value());
    EXPECT_TRUE(cache.get("12", kT0).has_value());
    EXPECT_EQ(cache.bytes(), 12 * small + large);
}

TEST(ResponseCache, AnEntryOverAnEighthOfTheBoundIsNotStored) {
    const size_t per_entry = ResponseCache::kEntryOverheadBytes + 1 + 100;
    ResponseCache cache(8 * per_entry, seconds(60), 1000);
    for (const char* k : {"a", "b", "c", "d", "e", "f", "g", "h"}) {
        cache.put(k, {.body = std::string(100, 'x')}, kT0);
    }
    EXPECT_EQ(cache.entries(), 8u);
    // max_bytes / 8 is exactly one small entry: this one is a few bytes over and is refused.
    cache.put("z", {.body = std::string(101, 'x')}, kT0);
    EXPECT_EQ(cache.entries(), 8u);
    EXPECT_FALSE(cache.get("z", kT0).has_value());
}

TEST(ResponseCache, EntriesBoundEvictsToo) {
    ResponseCache cache(1 << 20, seconds(60), 3);
    for (const char* k : {"a", "b", "c", "d"}) cache.put(k, ok("v"), kT0);
    EXPECT_EQ(cache.entries(), 3u);
    EXPECT_FALSE(cache.get("a", kT0).has_value());
    EXPECT_TRUE(cache.get("d", kT0).has_value());
}

TEST(ResponseCache, PutReplacesAnExistingEntry) {
    ResponseCache cache(1 << 20, seconds(60), 10);
    cache.put("k", ok("old"), kT0);
    cache.put("k", ok("newer"), kT0 + seconds(30));
    EXPECT_EQ(cache.entries(), 1u);
    EXPECT_EQ(cache.get("k", kT0 + seconds(80))->body, "newer");
    EXPECT_EQ(cache.bytes(), ResponseCache::kEntryOverheadBytes + 1 + 5 + 16);
}

TEST(ResponseCache, ErrorsAreNotStored) {
    ResponseCache cache(1 << 20, seconds(60), 10);
    cache.put("k", {.status = 503, .body = "overloaded"}, kT0);
    cache.put("j", {.status = 429, .body = "slow down"}, kT0);
    EXPECT_EQ(cache.entries(), 0u);
    EXPECT_FALSE(cache.get("k", kT0).has_value());
}

TEST(ResponseCache, ZeroBoundsStoreNothing) {
    ResponseCache no_bytes(0, seconds(60), 10);
    no_bytes.put("k", ok("v"), kT0);
    EXPECT_EQ(no_bytes.entries(), 0u);
    ResponseCache no_entries(1 << 20, seconds(60), 0);
    no_entries.put("k", ok("v"), kT0);
    EXPECT_EQ(no_entries.entries(), 0u);
}

TEST(ResponseCache, ManyPutsStayWithinBothBounds) {
    ResponseCache cache(64 * 1024, seconds(60), 50);
    for (int i = 0; i < 5000; ++i) {
        cache.put("key" + std::to_string(i), ok(std::string(static_cast<size_t>(i % 900), 'y')),
                  kT0 + milliseconds(i));
        ASSERT_LE(cache.bytes(), 64u * 1024u);
        ASSERT_LE(cache.entries(), 50u);
    }
    EXPECT_TRUE(cache.get("key4999", kT0 + seconds(5)).has_value());
}

}  // namespace
}  // namespace glmserve::gateway
