// Tests for http/sse_parser.h: every split of a stream gives the same events; multi-line data,
// CRLF/CR/LF, comments; oversized and garbage streams are DataLoss, never a crash.
#include "http/sse_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace glmserve::http {
namespace {

using ::testing::HasSubstr;

struct Parsed {
    Status status;
    std::vector<SseEvent> events;
};

Parsed parse_in_pieces(std::string_view text, const std::vector<size_t>& cuts,
                       size_t max_event_bytes = size_t{1} << 20) {
    SseParser parser(max_event_bytes);
    Parsed out;
    size_t begin = 0;
    auto on_event = [&](const SseEvent& e) { out.events.push_back(e); };
    std::vector<size_t> ends = cuts;
    ends.push_back(text.size());
    for (size_t end : ends) {
        out.status = parser.feed(text.substr(begin, end - begin), on_event);
        if (!out.status.ok()) break;
        begin = end;
    }
    return out;
}

std::vector<std::string> datas(const Parsed& p) {
    std::vector<std::string> out;
    for (const auto& e : p.events) out.push_back(e.data);
    return out;
}

const char kOpenAiStream[] =
    ": keep-alive comment\r\n"
    "data: {\"choices\":[{\"text\":\"a\"}]}\r\n\r\n"
    "event: delta\n"
    "data: line one\n"
    "data:line two\n"
    "id: 7\n"
    "retry: 100\n\n"
    "data: cr\r\r"
    "data: [DONE]\n\n";

TEST(SseParser, ParsesOpenAiShapedStream) {
    Parsed p = parse_in_pieces(kOpenAiStream, {});
    ASSERT_TRUE(p.status.ok()) << p.status.to_string();
    ASSERT_EQ(p.events.size(), 4u);
    EXPECT_EQ(p.events[0].data, "{\"choices\":[{\"text\":\"a\"}]}");
    EXPECT_EQ(p.events[0].event, "");
    EXPECT_EQ(p.events[1].event, "delta");
    EXPECT_EQ(p.events[1].data, "line one\nline two");
    EXPECT_EQ(p.events[2].data, "cr");
    EXPECT_EQ(p.events[3].data, "[DONE]");
}

TEST(SseParser, EverySplitGivesTheSameEvents) {
    const std::string text = kOpenAiStream;
    const Parsed whole = parse_in_pieces(text, {});
    for (size_t i = 0; i <= text.size(); ++i) {
        for (size_t j = i; j <= text.size(); j += 3) {
            Parsed p = parse_in_pieces(text, {i, j});
            ASSERT_TRUE(p.status.ok()) << "cuts " << i << "," << j;
            ASSERT_EQ(datas(p), datas(whole)) << "cuts " << i << "," << j;
        }
    }
    std::vector<size_t> every_byte;
    for (size_t i = 1; i < text.size(); ++i) every_byte.push_back(i);
    EXPECT_EQ(datas(parse_in_pieces(text, every_byte)), datas(whole));
}

TEST(SseParser, CrLfSplitAcrossFeedsIsOneLineEnd) {
    // "data: x\r" | "\n\r\n": the LF after the CR must not count as a blank line of its own.
    Parsed p = parse_in_pieces("data: x\r\ndata: y\r\n\r\n", {8});
    ASSERT_TRUE(p.status.ok());
    ASSERT_EQ(p.events.size(), 1u);
    EXPECT_EQ(p.events[0].data, "x\ny");
}

TEST(SseParser, EmptyDataAndDatalessEvents) {
    Parsed p = parse_in_pieces("event: ping\n\ndata\n\ndata:\ndata:\n\n", {});
    ASSERT_TRUE(p.status.ok());
    // "event: ping" alone has no data line and is dropped; "data" alone is one empty data
    // line, delivered as "" (spec: only an empty data buffer is dropped); two empty data lines
    // give "\n".
    ASSERT_EQ(p.events.size(), 2u);
    EXPECT_EQ(p.events[0].data, "");
    EXPECT_EQ(p.events[1].data, "\n");
}

TEST(SseParser, IncompleteEventIsNotDelivered) {
    SseParser parser;
    int n = 0;
    ASSERT_TRUE(parser.feed("data: partial\n", [&](const SseEvent&) { ++n; }).ok());
    EXPECT_EQ(n, 0);
    EXPECT_FALSE(parser.at_event_boundary());
    ASSERT_TRUE(parser.feed("\n", [&](const SseEvent&) { ++n; }).ok());
    EXPECT_EQ(n, 1);
    EXPECT_TRUE(parser.at_event_boundary());
}

TEST(SseParser, OversizedEventIsDataLoss) {
    std::string big = "data: " + std::string(200, 'x') + "\n\n";
    Parsed p = parse_in_pieces(big, {50}, 64);
    EXPECT_EQ(p.status.code(), StatusCode::DataLoss);
    EXPECT_THAT(p.status.message(), HasSubstr("larger than 64 bytes"));
    EXPECT_TRUE(p.events.empty());

    // Many small data lines that add up to too much are caught as well.
    std::string many;
    for (int i = 0; i < 50; ++i) many += "data: 0123456789\n";
    p = parse_in_pieces(many, {}, 128);
    EXPECT_EQ(p.status.code(), StatusCode::DataLoss);

    // An endless line with no line end at all is bounded too.
    SseParser parser(1024);
    Status s;
    for (int i = 0; i < 100 && s.ok(); ++i) {
        s = parser.feed(std::string(100, 'd'), [](const SseEvent&) {});
    }
    EXPECT_EQ(s.code(), StatusCode::DataLoss);
}

TEST(SseParser, GarbageIsDataLossAndSticky) {
    const char* garbage[] = {
        "this is not an event stream\n\n",
        "<html><body>502 Bad Gateway</body></html>\n",
        "{\"choices\":[]}\n",
    };
    for (const char* g : garbage) {
        Parsed p = parse_in_pieces(g, {});
        EXPECT_EQ(p.status.code(), StatusCode::DataLoss) << g;
    }
    Parsed nul = parse_in_pieces(std::string_view("data: a\0b\n\n", 11), {});
    EXPECT_EQ(nul.status.code(), StatusCode::DataLoss);
    EXPECT_THAT(nul.status.message(), HasSubstr("NUL"));

    SseParser parser;
    int n = 0;
    auto on_event = [&](const SseEvent&) { ++n; };
    EXPECT_FALSE(parser.feed("garbage\n", on_event).ok());
    Status again = parser.feed("data: fine\n\n", on_event);
    EXPECT_EQ(again.code(), StatusCode::DataLoss);
    EXPECT_EQ(n, 0);
}

TEST(SseParser, RandomBytesNeverCrash) {
    uint32_t x = 12345;
    for (int round = 0; round < 200; ++round) {
        SseParser parser(256);
        std::string bytes;
        for (int i = 0; i < 300; ++i) {
            x = x * 1664525u + 1013904223u;
            const char alphabet[] = "data: \r\n:xe\0\xff";
            bytes.push_back(alphabet[(x >> 16) % (sizeof(alphabet) - 1)]);
        }
        (void)parser.feed(bytes, [](const SseEvent& e) { EXPECT_LE(e.data.size(), 256u); });
    }
}

}  // namespace
}  // namespace glmserve::http
