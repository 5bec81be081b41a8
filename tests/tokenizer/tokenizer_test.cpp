// Tokenizer behaviour that needs no golden files, on the built-in GLM-4-style vocabulary:
// special tokens on and off, BOS/EOS, invalid UTF-8, out-of-range ids, end-of-generation ids,
// long inputs and round trips.
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "tokenizer/test_util.h"

namespace glmserve::tokenizer {
namespace {

using testing::builtin_spec;
using testing::builtin_tokenizer;
using testing::must_encode;

class BuiltinTokenizerTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto tok = builtin_tokenizer();
        ASSERT_TRUE(tok.ok()) << tok.status().to_string();
        tok_ = std::move(tok).value();
    }
    int32_t id(std::string_view text) const {
        const auto found = tok_->find_token(text);
        EXPECT_TRUE(found.has_value()) << text;
        return found.value_or(-1);
    }
    std::unique_ptr<Tokenizer> tok_;
};

TEST_F(BuiltinTokenizerTest, SpecialTokensAreParsedOnlyWhenAsked) {
    const std::string text = "[gMASK]<sop><|user|>\nHi<|assistant|>";
    const auto on = must_encode(*tok_, text, {.parse_special = true});
    ASSERT_GE(on.size(), 5u);
    EXPECT_EQ(on[0], id("[gMASK]"));
    EXPECT_EQ(on[1], id("<sop>"));
    EXPECT_EQ(on[2], id("<|user|>"));
    EXPECT_EQ(on.back(), id("<|assistant|>"));
    EXPECT_EQ(tok_->decode(on), "\nHi");
    EXPECT_EQ(tok_->decode(on, /*render_special=*/true), text);

    const auto off = must_encode(*tok_, text, {.parse_special = false});
    for (const int32_t t : off) EXPECT_EQ(tok_->token_type(t), TokenType::Normal) << t;
    EXPECT_GT(off.size(), on.size());
    EXPECT_EQ(tok_->decode(off), text);  // plain text both ways
}

TEST_F(BuiltinTokenizerTest, LongestSpecialTokenWins) {
    // "<|begin_of_image|>" must not be read as something shorter; adjacent specials split.
    const auto ids = must_encode(*tok_, "<|begin_of_image|><|end_of_image|>[MASK][gMASK]");
    EXPECT_EQ(ids, (std::vector<int32_t>{id("<|begin_of_image|>"), id("<|end_of_image|>"),
                                         id("[MASK]"), id("[gMASK]")}));
}

TEST_F(BuiltinTokenizerTest, AddSpecialFollowsTheVocabulary) {
    // GLM-4: add_bos_token is false, so add_special adds nothing (glm-gguf.md §4.7).
    EXPECT_FALSE(tok_->add_bos());
    EXPECT_EQ(must_encode(*tok_, "Hello", {.add_special = true}), must_encode(*tok_, "Hello"));
    auto llama3 = builtin_tokenizer([](gguf::GgufWriter& w) {
        w.set_string("tokenizer.ggml.pre", "llama-bpe");
        w.set_bool("tokenizer.ggml.add_bos_token", true);
        w.set_bool("tokenizer.ggml.add_eos_token", true);
        w.set_u32("tokenizer.ggml.bos_token_id", 5);
    });
    ASSERT_TRUE(llama3.ok()) << llama3.status().to_string();
    EXPECT_TRUE((*llama3)->add_bos());
    const auto ids = must_encode(**llama3, "Hello", {.add_special = true});
    ASSERT_GE(ids.size(), 3u);
    EXPECT_EQ(ids.front(), 5);
    EXPECT_EQ(ids.back(), builtin_spec().eos_id);
    EXPECT_EQ(must_encode(**llama3, "").size(), 0u);
    EXPECT_EQ(must_encode(**llama3, "", {.add_special = true}).size(), 2u);
}

TEST_F(BuiltinTokenizerTest, InvalidUtf8IsReplacedByteByByte) {
    const std::string fffd = "\xEF\xBF\xBD";
    const auto bad = must_encode(*tok_,
                                 "ab\xFF"
                                 "c\xE4\xB8");
    EXPECT_EQ(bad, must_encode(*tok_, "ab" + fffd + "c" + fffd + fffd));
    EXPECT_EQ(tok_->decode(bad), "ab" + fffd + "c" + fffd + fffd);
    // Invalid bytes next to a special token do not stop it being recognised.
    const auto mixed = must_encode(*tok_, "\x80<|user|>\x80");
    ASSERT_GE(mixed.size(), 3u);
    EXPECT_NE(std::find(mixed.begin(), mixed.end(), id("<|user|>")), mixed.end());
}

TEST_F(BuiltinTokenizerTest, OutOfRangeIdsAreHarmless) {
    const std::vector<int32_t> ids = {-1, tok_->n_vocab(), 1 << 30, id("a")};
    EXPECT_EQ(tok_->decode(ids), "a");
    EXPECT_EQ(tok_->token_type(-5), TokenType::Undefined);
    EXPECT_EQ(tok_->token_text(tok_->n_vocab()), "");
    EXPECT_EQ(tok_->token_bytes(-1, true), "");
    EXPECT_FALSE(tok_->is_end_of_generation(-1));
}

TEST_F(BuiltinTokenizerTest, GlmStopTokens) {
    const VocabSpec& spec = builtin_spec();
    EXPECT_EQ(tok_->eos_id(), spec.eos_id);
    EXPECT_EQ(tok_->eot_id(), spec.eot_id);
    EXPECT_TRUE(tok_->is_end_of_generation(id("<|endoftext|>")));
    EXPECT_TRUE(tok_->is_end_of_generation(id("<|user|>")));
    EXPECT_TRUE(tok_->is_end_of_generation(id("<|observation|>")));  // by text: a GLM vocabulary
    EXPECT_FALSE(tok_->is_end_of_generation(id("<|assistant|>")));
    EXPECT_FALSE(tok_->is_end_of_generation(id("[gMASK]")));
    EXPECT_FALSE(tok_->is_end_of_generation(id("a")));
}

TEST_F(BuiltinTokenizerTest, RoundTripsRandomText) {
    const std::vector<std::string> alphabet = {"the",
                                               " ",
                                               "  ",
                                               "\n",
                                               "\t",
                                               "Q",
                                               "9",
                                               "'s",
                                               ".",
                                               "\xC3\xA9",
                                               "\xE4\xB8\xAD",
                                               "\xF0\x9F\x9A\x80",
                                               "\xE2\x80\x8D",
                                               "\r\n",
                                               "<",
                                               "|",
                                               ">",
                                               "[gMAS"};
    std::mt19937 rng(11);
    for (int round = 0; round < 300; ++round) {
        std::string text;
        const int n = static_cast<int>(rng() % 30);
        for (int i = 0; i < n; ++i) text += alphabet[rng() % alphabet.size()];
        const auto ids = must_encode(*tok_, text, {.parse_special = false});
        EXPECT_EQ(tok_->decode(ids), text);
    }
}

TEST_F(BuiltinTokenizerTest, LongInputs) {
    const std::string spaces = std::string(100000, ' ') + "end";
    EXPECT_EQ(tok_->decode(must_encode(*tok_, spaces)), spaces);
    const std::string letters(50000, 'a');
    EXPECT_EQ(tok_->decode(must_encode(*tok_, letters)), letters);
}

TEST_F(BuiltinTokenizerTest, TokenBytesMatchDecode) {
    const auto ids = must_encode(*tok_, "Tokens, one step at a time.");
    std::string joined;
    for (const int32_t t : ids) joined += tok_->token_bytes(t, false);
    EXPECT_EQ(joined, tok_->decode(ids));
    EXPECT_EQ(tok_->token_bytes(id("<|user|>"), false), "");
    EXPECT_EQ(tok_->token_bytes(id("<|user|>"), true), "<|user|>");
}

TEST_F(BuiltinTokenizerTest, ConcurrentEncodeIsSafe) {
    const std::string text = "The scheduler decides which requests run in the next step.";
    const auto expected = must_encode(*tok_, text);
    std::vector<std::thread> threads;
    std::atomic<int> n_mismatch{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                auto ids = tok_->encode(text, {});
                if (!ids.ok() || *ids != expected) n_mismatch.fetch_add(1);
            }
        });
    }
    for (std::thread& th : threads) th.join();
    EXPECT_EQ(n_mismatch.load(), 0);
}

}  // namespace
}  // namespace glmserve::tokenizer
