// Tests for the pre-tokenizer table and the PCRE2 splitter: the pieces each pattern produces for
// the cases glm-gguf.md §4.3 lists, and that pieces always cover the input exactly.
#include "tokenizer/pre_tokenizer.h"

#include <gtest/gtest.h>

#include <random>

namespace glmserve::tokenizer::detail {
namespace {

std::vector<std::string> split(std::string_view pre, std::string_view text) {
    const PreTokenizerSpec* spec = find_pre_tokenizer(pre);
    EXPECT_NE(spec, nullptr) << pre;
    if (spec == nullptr) return {};
    auto splitter = RegexSplitter::create(spec->regex);
    EXPECT_TRUE(splitter.ok()) << splitter.status().to_string();
    std::vector<std::string_view> pieces;
    EXPECT_TRUE((*splitter)->split(text, pieces).ok());
    return {pieces.begin(), pieces.end()};
}

using Pieces = std::vector<std::string>;

TEST(PreTokenizer, TableKnowsTheGgufNames) {
    for (const char* name :
         {"gpt-2", "llama-bpe", "llama3", "chatglm-bpe", "glm4", "qwen2", "default"}) {
        EXPECT_NE(find_pre_tokenizer(name), nullptr) << name;
    }
    EXPECT_EQ(find_pre_tokenizer("no-such-pre"), nullptr);
    EXPECT_EQ(find_pre_tokenizer("glm4")->regex, find_pre_tokenizer("chatglm-bpe")->regex);
    EXPECT_EQ(find_pre_tokenizer("glm4")->regex, find_pre_tokenizer("llama-bpe")->regex);
    EXPECT_TRUE(find_pre_tokenizer("llama-bpe")->add_bos);
    EXPECT_FALSE(find_pre_tokenizer("glm4")->add_bos);
    EXPECT_EQ(default_pre_tokenizer().regex, find_pre_tokenizer("gpt-2")->regex);
}

TEST(PreTokenizer, Glm4Pattern) {
    EXPECT_EQ(split("glm4", "Hello world"), (Pieces{"Hello", " world"}));
    EXPECT_EQ(split("glm4", "(hello"), (Pieces{"(hello"}));
    EXPECT_EQ(split("glm4", "12345"), (Pieces{"123", "45"}));
    EXPECT_EQ(split("glm4", "abc123"), (Pieces{"abc", "123"}));
    EXPECT_EQ(split("glm4", "I'M they'll"), (Pieces{"I", "'M", " they", "'ll"}));
    EXPECT_EQ(split("glm4", "a  b"), (Pieces{"a", " ", " b"}));
    EXPECT_EQ(split("glm4", "x \r\n\n y"), (Pieces{"x", " \r\n\n", " y"}));
    EXPECT_EQ(split("glm4", "end   "), (Pieces{"end", "   "}));
    EXPECT_EQ(split("glm4", "?!\n\nok"), (Pieces{"?!\n\n", "ok"}));
}

TEST(PreTokenizer, Gpt2Pattern) {
    EXPECT_EQ(split("gpt-2", "1234567890 3.14"), (Pieces{"1234567890", " 3", ".", "14"}));
    EXPECT_EQ(split("gpt-2", "I'M"), (Pieces{"I", "'", "M"}));  // contractions are lower case
    EXPECT_EQ(split("gpt-2", "\xC2\xA0non"), (Pieces{"\xC2\xA0", "non"}));  // NBSP is \s
}

TEST(PreTokenizer, Qwen2SplitsEveryDigit) {
    EXPECT_EQ(split("qwen2", "x2024"), (Pieces{"x", "2", "0", "2", "4"}));
}

TEST(PreTokenizer, PiecesCoverRandomTextExactly) {
    const std::vector<std::string> alphabet = {"a",
                                               "Z",
                                               "7",
                                               " ",
                                               "\n",
                                               "\r",
                                               "\t",
                                               "'",
                                               "s",
                                               "!",
                                               "\xC3\xA9",
                                               "\xE4\xB8\xAD",
                                               "\xF0\x9F\x98\x80",
                                               "\xC2\xA0",
                                               "\xE2\x80\x89",
                                               "\xD9\xA3"};
    std::mt19937 rng(7);
    for (const char* pre : {"gpt-2", "glm4", "qwen2"}) {
        for (int round = 0; round < 200; ++round) {
            std::string text;
            const int n = static_cast<int>(rng() % 40);
            for (int i = 0; i < n; ++i) text += alphabet[rng() % alphabet.size()];
            std::string joined;
            for (const std::string& piece : split(pre, text)) {
                EXPECT_FALSE(piece.empty());
                joined += piece;
            }
            EXPECT_EQ(joined, text) << pre;
        }
    }
}

TEST(PreTokenizer, LongWhitespaceRunsDoNotExhaustTheMatcher) {
    const std::string text = std::string(200000, ' ') + "x" + std::string(100000, '\n') + "y";
    const Pieces pieces = split("glm4", text);
    ASSERT_EQ(pieces.size(), 4u);
    EXPECT_EQ(pieces[0].size(), 199999u);
    EXPECT_EQ(pieces[1], " x");
}

TEST(PreTokenizer, RejectsBadPatternAndInvalidUtf8) {
    EXPECT_EQ(RegexSplitter::create("(unclosed").status().code(), StatusCode::InvalidArgument);
    auto splitter = RegexSplitter::create(find_pre_tokenizer("glm4")->regex);
    ASSERT_TRUE(splitter.ok());
    std::vector<std::string_view> pieces;
    EXPECT_EQ((*splitter)->split("a\xFF", pieces).code(), StatusCode::InvalidArgument);
}

}  // namespace
}  // namespace glmserve::tokenizer::detail
