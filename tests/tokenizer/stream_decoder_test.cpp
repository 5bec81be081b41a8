// StreamDecoder: characters split across byte-level tokens come out whole, never in halves;
// flush() settles what is left; special tokens render only when asked.
#include "tokenizer/stream_decoder.h"

#include <gtest/gtest.h>

#include "tokenizer/test_util.h"
#include "tokenizer/utf8.h"

namespace glmserve::tokenizer {
namespace {

using testing::builtin_tokenizer;
using testing::is_valid_utf8;
using testing::must_encode;

// The token of a single byte in a byte-level vocabulary.
int32_t byte_token(const Tokenizer& tok, uint8_t b) {
    std::string stand_in;
    detail::append_utf8(stand_in, detail::byte_to_code_point(b));
    return tok.find_token(stand_in).value_or(-1);
}

TEST(StreamDecoder, EmojiSplitOverByteTokensComesOutWhole) {
    auto tok = builtin_tokenizer();
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    const std::string rocket = "\xF0\x9F\x9A\x80";  // U+1F680, four bytes, four tokens
    StreamDecoder stream(**tok);
    EXPECT_EQ(stream.push(byte_token(**tok, 'A')), "A");
    for (size_t i = 0; i + 1 < rocket.size(); ++i) {
        EXPECT_EQ(stream.push(byte_token(**tok, static_cast<uint8_t>(rocket[i]))), "") << i;
        EXPECT_EQ(stream.n_pending_bytes(), i + 1);
    }
    EXPECT_EQ(stream.push(byte_token(**tok, static_cast<uint8_t>(rocket.back()))), rocket);
    EXPECT_EQ(stream.n_pending_bytes(), 0u);
    EXPECT_EQ(stream.flush(), "");
}

TEST(StreamDecoder, EveryPushIsValidUtf8AndTheWholeIsTheText) {
    auto tok = builtin_tokenizer();
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    const std::string text =
        "Emoji \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9 and \xE4\xB8\xAD\xE6\x96\x87, "
        "caf\xC3\xA9 \xF0\x9F\x9A\x80!";
    const auto ids = must_encode(**tok, text);
    StreamDecoder stream(**tok);
    std::string joined;
    for (const int32_t id : ids) {
        const std::string piece = stream.push(id);
        EXPECT_TRUE(is_valid_utf8(piece)) << "after token " << id;
        joined += piece;
    }
    joined += stream.flush();
    EXPECT_EQ(joined, text);
}

TEST(StreamDecoder, FlushReplacesAnIncompleteCharacter) {
    auto tok = builtin_tokenizer();
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    StreamDecoder stream(**tok);
    EXPECT_EQ(stream.push(byte_token(**tok, 0xE4)), "");
    EXPECT_EQ(stream.push(byte_token(**tok, 0xB8)), "");
    EXPECT_EQ(stream.flush(), "\xEF\xBF\xBD");
    // A byte that can never start a character is replaced at once, not held back.
    EXPECT_EQ(stream.push(byte_token(**tok, 0x80)), "\xEF\xBF\xBD");
    EXPECT_EQ(stream.push(byte_token(**tok, 'x')), "x");
}

TEST(StreamDecoder, SpecialTokensRenderOnlyWhenAsked) {
    auto tok = builtin_tokenizer();
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    const int32_t user = (*tok)->find_token("<|user|>").value();
    StreamDecoder plain(**tok);
    EXPECT_EQ(plain.push(user), "");
    StreamDecoder rendered(**tok, /*render_special=*/true);
    EXPECT_EQ(rendered.push(user), "<|user|>");
    EXPECT_EQ(plain.push(-3), "");  // out-of-range ids contribute nothing
}

}  // namespace
}  // namespace glmserve::tokenizer
