// StreamUsage: the token count of a streamed answer, as the gateway settles a key's
// tokens-per-minute charge with it: the server's usage report when one comes, split anywhere
// across feeds; one token per data event otherwise; nothing for a stream that is not SSE.
#include "gateway/stream_usage.h"

#include <gtest/gtest.h>

#include <string>

namespace glmserve::gateway {
namespace {

std::string event(const std::string& data) {
    return "data: " + data + "\n\n";
}

TEST(StreamUsage, TheServersUsageReportWins) {
    StreamUsage usage;
    usage.feed(event(R"({"choices":[{"text":"a"}]})"));
    usage.feed(event(R"({"choices":[{"text":"b"}]})"));
    usage.feed(event(
        R"({"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}})"));
    usage.feed(event("[DONE]"));
    EXPECT_EQ(usage.total_tokens(100), 9);
}

TEST(StreamUsage, WithoutAReportEachDataEventCountsOneToken) {
    StreamUsage usage;
    for (int i = 0; i < 5; ++i) usage.feed(event(R"({"choices":[{"text":"x"}]})"));
    usage.feed(": keep-alive comment\n\n");
    usage.feed(event("[DONE]"));
    EXPECT_EQ(usage.total_tokens(12), 12 + 5);
}

TEST(StreamUsage, NullUsageInEveryChunkIsNotAReport) {
    // OpenAI with include_usage repeats "usage":null until the last chunk.
    StreamUsage usage;
    usage.feed(event(R"({"choices":[{"delta":{"content":"a"}}],"usage":null})"));
    usage.feed(event(R"({"choices":[{"delta":{"content":"b"}}],"usage": null})"));
    EXPECT_EQ(usage.total_tokens(3), 3 + 2);
    usage.feed(event(R"({"choices":[],"usage" : {"total_tokens":40}})"));
    EXPECT_EQ(usage.total_tokens(3), 40);
}

TEST(StreamUsage, EventsSplitAcrossFeedsAreCountedOnce) {
    const std::string body = event(R"({"choices":[{"text":"a"}]})") +
                             event(R"({"usage":{"total_tokens":21}})") + event("[DONE]");
    StreamUsage usage;
    for (char c : body) usage.feed(std::string_view(&c, 1));
    EXPECT_EQ(usage.total_tokens(0), 21);
}

TEST(StreamUsage, AStreamThatIsNotSseKeepsTheUpFrontCharge) {
    StreamUsage usage;
    usage.feed(event(R"({"choices":[{"text":"a"}]})"));
    usage.feed("garbage: not an SSE field\n\n");
    usage.feed(event(R"({"usage":{"total_tokens":5}})"));  // ignored after the error
    EXPECT_EQ(usage.total_tokens(10), std::nullopt);
}

TEST(StreamUsage, AMalformedUsageObjectFallsBackToCounting) {
    StreamUsage usage;
    usage.feed(event(R"({"usage":{"total_tokens":"many"}})"));
    usage.feed(event(R"({"usage":{)"));  // not JSON
    EXPECT_EQ(usage.total_tokens(1), 1 + 2);
}

}  // namespace
}  // namespace glmserve::gateway
