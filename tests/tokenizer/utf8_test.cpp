// Tests for tokenizer/utf8: strict validation, byte-wise replacement, the stream form that holds
// back incomplete characters, and the GPT-2 byte-level mapping.
#include "tokenizer/utf8.h"

#include <gtest/gtest.h>

#include <set>

namespace glmserve::tokenizer::detail {
namespace {

const std::string kFffd(kReplacementUtf8);

TEST(Utf8, DecodesEachLength) {
    const std::string text = "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x9A\x80";  // a é 中 🚀
    const uint32_t expected_cp[] = {0x61, 0xE9, 0x4E2D, 0x1F680};
    size_t pos = 0;
    for (const uint32_t cp : expected_cp) {
        const auto ch = decode_utf8_at(text, pos);
        ASSERT_TRUE(ch.has_value()) << pos;
        EXPECT_EQ(ch->cp, cp);
        std::string again;
        append_utf8(again, cp);
        EXPECT_EQ(again, text.substr(pos, ch->n_bytes));
        pos += ch->n_bytes;
    }
    EXPECT_EQ(pos, text.size());
}

TEST(Utf8, RejectsOverlongSurrogateAndOutOfRange) {
    for (const std::string bad : {"\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                                  "\xF8\x88\x80\x80\x80", "\x80", "\xE4\xB8"}) {
        EXPECT_FALSE(is_valid_utf8(bad)) << bad.size();
        EXPECT_FALSE(decode_utf8_at(bad, 0).has_value());
    }
    EXPECT_TRUE(is_valid_utf8("plain \xE4\xB8\xAD\xE6\x96\x87"));
    EXPECT_TRUE(is_valid_utf8(""));
}

TEST(Utf8, SanitizeReplacesEachBadByte) {
    EXPECT_EQ(sanitize_utf8("ok"), "ok");
    EXPECT_EQ(sanitize_utf8("a\xFF"
                            "b"),
              "a" + kFffd + "b");
    // A truncated 3-byte sequence is two bad bytes.
    EXPECT_EQ(sanitize_utf8("\xE4\xB8"
                            "x"),
              kFffd + kFffd + "x");
    EXPECT_EQ(sanitize_utf8("\xE4\xB8"), kFffd + kFffd);
    EXPECT_TRUE(is_valid_utf8(sanitize_utf8("\xC0\xAF\xED\xA0\x80\x80\xF4\x90")));
}

TEST(Utf8, TakeCompleteHoldsBackAnIncompleteTail) {
    std::string pending = "ab\xF0\x9F";  // 🚀 cut after two bytes
    EXPECT_EQ(take_complete_utf8(pending, false), "ab");
    EXPECT_EQ(pending, "\xF0\x9F");
    pending += "\x9A";
    EXPECT_EQ(take_complete_utf8(pending, false), "");
    pending += "\x80";
    EXPECT_EQ(take_complete_utf8(pending, false), "\xF0\x9F\x9A\x80");
    EXPECT_TRUE(pending.empty());
}

TEST(Utf8, TakeCompleteReplacesBytesThatCanNeverBeValid) {
    std::string pending = "\x80x\xE0\x80";  // stray continuation; E0 80 is overlong already
    EXPECT_EQ(take_complete_utf8(pending, false), kFffd + "x" + kFffd + kFffd);
    EXPECT_TRUE(pending.empty());
    pending = "\xE4\xB8";
    EXPECT_EQ(take_complete_utf8(pending, true), kFffd);  // final: one U+FFFD for the tail
    EXPECT_TRUE(pending.empty());
}

TEST(ByteLevel, MapsLikeGpt2) {
    EXPECT_EQ(byte_to_code_point(' '), 0x120u);   // Ġ
    EXPECT_EQ(byte_to_code_point('\n'), 0x10Au);  // Ċ
    EXPECT_EQ(byte_to_code_point('!'), 0x21u);
    EXPECT_EQ(byte_to_code_point(0xAD), 0x143u);  // the last of the 68 remapped bytes
    EXPECT_EQ(byte_to_code_point(0xFF), 0xFFu);
    std::set<uint32_t> seen;
    for (int b = 0; b < 256; ++b) {
        const uint32_t cp = byte_to_code_point(static_cast<uint8_t>(b));
        seen.insert(cp);
        EXPECT_EQ(code_point_to_byte(cp), b);
    }
    EXPECT_EQ(seen.size(), 256u);
    EXPECT_EQ(code_point_to_byte(0x4E2D), std::nullopt);
}

TEST(ByteLevel, EncodeDecodeRoundTripsAnyBytes) {
    std::string all;
    for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
    const std::string mapped = byte_level_encode(all);
    EXPECT_TRUE(is_valid_utf8(mapped));
    EXPECT_EQ(byte_level_decode(mapped), all);
    EXPECT_EQ(byte_level_encode(" hi\n"), "\xC4\xA0hi\xC4\x8A");
    // A code point that stands for no byte is kept as it is.
    EXPECT_EQ(byte_level_decode("\xE4\xB8\xAD"), "\xE4\xB8\xAD");
}

}  // namespace
}  // namespace glmserve::tokenizer::detail
