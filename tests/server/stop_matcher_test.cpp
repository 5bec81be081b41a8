// Tests for server/stop_matcher.h: stops spanning pushes, overlapping candidates, hold-back and
// release, flush, and the property that the output does not depend on how text is split.
#include "server/stop_matcher.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace glmserve::server {
namespace {

struct StopRun {
    std::string emitted;  // everything emitted, flush included when not stopped
    bool stopped = false;
    std::vector<std::string> steps;
};

StopRun run_pieces(const std::vector<std::string>& stops, const std::vector<std::string>& pieces) {
    StopMatcher m(stops);
    StopRun out;
    for (const std::string& p : pieces) {
        StopMatcher::Step step = m.push(p);
        out.steps.push_back(step.emit);
        out.emitted += step.emit;
        if (step.stopped) {
            out.stopped = true;
            break;
        }
    }
    if (!out.stopped) out.emitted += m.flush();
    return out;
}

TEST(StopMatcherTest, NoStopsPassesEverythingAtOnce) {
    StopMatcher m({});
    const StopMatcher::Step step = m.push("hello");
    EXPECT_EQ(step.emit, "hello");
    EXPECT_FALSE(step.stopped);
    EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcherTest, StopInsideOnePushCutsBeforeIt) {
    StopMatcher m({"END"});
    const StopMatcher::Step step = m.push("abcENDxyz");
    EXPECT_EQ(step.emit, "abc");
    EXPECT_TRUE(step.stopped);
    EXPECT_TRUE(m.stopped());
    EXPECT_EQ(m.matched_stop(), 0u);
    // Later pushes give nothing.
    const StopMatcher::Step after = m.push("more");
    EXPECT_EQ(after.emit, "");
    EXPECT_TRUE(after.stopped);
    EXPECT_EQ(m.flush(), "");
}

TEST(StopMatcherTest, StopSpanningManyPushes) {
    const StopRun r = run_pieces({"<|end|>"}, {"Hi", " there<", "|", "en", "d", "|>", "tail"});
    EXPECT_EQ(r.emitted, "Hi there");
    EXPECT_TRUE(r.stopped);
    EXPECT_EQ(r.steps, (std::vector<std::string>{"Hi", " there", "", "", "", ""}));
}

TEST(StopMatcherTest, HeldBackTextIsReleasedWhenItStopsMatching) {
    StopMatcher m({"STOP"});
    StopMatcher::Step s = m.push("abcST");
    EXPECT_EQ(s.emit, "abc");
    EXPECT_EQ(m.n_held_bytes(), 2u);
    s = m.push("O");
    EXPECT_EQ(s.emit, "");
    s = m.push("x");
    EXPECT_EQ(s.emit, "STOx");
    EXPECT_FALSE(s.stopped);
    EXPECT_EQ(m.n_held_bytes(), 0u);
}

TEST(StopMatcherTest, FlushReturnsHeldText) {
    StopMatcher m({"STOP"});
    EXPECT_EQ(m.push("abcSTO").emit, "abc");
    EXPECT_EQ(m.flush(), "STO");
    EXPECT_EQ(m.n_held_bytes(), 0u);
    EXPECT_FALSE(m.stopped());
}

TEST(StopMatcherTest, OverlappingPrefixesAbAndAbc) {
    // "ab" completes first, so the cut comes before it even though "abc" follows.
    StopRun r = run_pieces({"abc", "ab"}, {"xa", "bc"});
    EXPECT_EQ(r.emitted, "x");
    EXPECT_TRUE(r.stopped);
    // Only "abc": "ab" is held until "c" decides.
    StopMatcher m({"abc"});
    EXPECT_EQ(m.push("xab").emit, "x");
    EXPECT_EQ(m.push("d").emit, "abd");
    EXPECT_EQ(m.push("abc").emit, "");
    EXPECT_TRUE(m.stopped());
}

TEST(StopMatcherTest, SelfOverlappingStopString) {
    // "aab" inside "aaab": a naive restart after the mismatch would miss it.
    StopRun r = run_pieces({"aab"}, {"a", "a", "a", "b", "z"});
    EXPECT_EQ(r.emitted, "a");
    EXPECT_TRUE(r.stopped);
    r = run_pieces({"abab"}, {"ababab"});
    EXPECT_EQ(r.emitted, "");
    EXPECT_TRUE(r.stopped);
}

TEST(StopMatcherTest, FirstToCompleteWinsLongestOnTies) {
    // "bc" completes at byte 2, "abcd" at byte 3: the cut is before "bc".
    StopRun r = run_pieces({"abcd", "bc"}, {"abcd"});
    EXPECT_EQ(r.emitted, "a");
    // Both complete at the same byte: the longer one starts earlier and wins.
    StopMatcher m({"c", "abc"});
    const StopMatcher::Step step = m.push("xabc");
    EXPECT_EQ(step.emit, "x");
    EXPECT_EQ(m.matched_stop(), 1u);
}

TEST(StopMatcherTest, ManyStopsPickTheFirstInText) {
    std::vector<std::string> stops;
    for (int i = 0; i < 16; ++i) stops.push_back("stop" + std::to_string(i) + ";");
    const StopRun r = run_pieces(stops, {"one stop1", "2 stop7; stop3;"});
    EXPECT_EQ(r.emitted, "one stop12 ");
    EXPECT_TRUE(r.stopped);
}

TEST(StopMatcherTest, EmptyStopStringsAreIgnored) {
    StopMatcher m({"", "x"});
    EXPECT_EQ(m.push("abx").emit, "ab");
    EXPECT_EQ(m.matched_stop(), 1u);
}

TEST(StopMatcherTest, MultiByteCharactersAreNeverSplit) {
    // Stop "é!" (C3 A9 21); text has "é" not followed by "!": the held "é" comes out whole.
    StopMatcher m({"\xC3\xA9!"});
    EXPECT_EQ(m.push("caf\xC3\xA9").emit, "caf");
    EXPECT_EQ(m.push(" ok").emit, "\xC3\xA9 ok");
    // Emoji stop that shares a lead byte with other emoji.
    StopRun r = run_pieces({"\xF0\x9F\x98\x80"}, {"a\xF0\x9F\x98\x81", "b\xF0\x9F\x98\x80", "c"});
    EXPECT_EQ(r.emitted,
              "a\xF0\x9F\x98\x81"
              "b");
    EXPECT_TRUE(r.stopped);
}

// The reference: cut the whole text at the stop that completes first (longest on ties).
std::string reference(const std::vector<std::string>& stops, const std::string& text,
                      bool* stopped) {
    for (size_t end = 1; end <= text.size(); ++end) {
        size_t best = 0;
        for (const std::string& s : stops) {
            if (!s.empty() && s.size() <= end && text.compare(end - s.size(), s.size(), s) == 0) {
                best = std::max(best, s.size());
            }
        }
        if (best > 0) {
            *stopped = true;
            return text.substr(0, end - best);
        }
    }
    *stopped = false;
    return text;
}

TEST(StopMatcherTest, RandomSplitsGiveTheSameOutputAsTheReference) {
    std::mt19937_64 rng(1234);
    const std::string alphabet = "abc";
    for (int trial = 0; trial < 2000; ++trial) {
        std::vector<std::string> stops;
        const int n_stops = 1 + static_cast<int>(rng() % 4);
        for (int i = 0; i < n_stops; ++i) {
            std::string s;
            const int len = 1 + static_cast<int>(rng() % 4);
            for (int k = 0; k < len; ++k) s += alphabet[rng() % alphabet.size()];
            stops.push_back(s);
        }
        std::string text;
        const int len = static_cast<int>(rng() % 30);
        for (int k = 0; k < len; ++k) text += alphabet[rng() % alphabet.size()];
        std::vector<std::string> pieces;
        for (size_t pos = 0; pos < text.size();) {
            const size_t n = std::min<size_t>(text.size() - pos, rng() % 5);  // 0: empty push
            pieces.push_back(text.substr(pos, n));
            pos += n;
        }
        bool ref_stopped = false;
        const std::string expected = reference(stops, text, &ref_stopped);
        const StopRun r = run_pieces(stops, pieces);
        ASSERT_EQ(r.emitted, expected) << "trial " << trial << " text " << text;
        ASSERT_EQ(r.stopped, ref_stopped) << "trial " << trial << " text " << text;
    }
}

TEST(StopMatcherTest, HoldsBackAtMostLongestStopMinusOne) {
    StopMatcher m({"aaaa", "b"});
    for (int i = 0; i < 100; ++i) {
        (void)m.push("aaa");
        ASSERT_LE(m.n_held_bytes(), 3u);
        (void)m.push("x");
        ASSERT_EQ(m.n_held_bytes(), 0u);
    }
}

}  // namespace
}  // namespace glmserve::server
