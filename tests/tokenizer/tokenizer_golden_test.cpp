// Cross-runtime checks: our token ids against the reference runtime's for the vocabularies in
// ../shared/golden/tokenizer (35 texts each, 105 in all, special-token parsing on) and the
// text prompts of ../shared/golden/cases. Skips when the golden folder is absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/golden.h"
#include "tokenizer/test_util.h"
#include "tokenizer/utf8.h"

namespace glmserve::tokenizer {
namespace {

using testing::load_tokenizer;

struct GoldenCase {
    std::string name;
    std::string text;
    bool add_special = false;
    std::vector<int32_t> tokens;
};

nlohmann::json read_json(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return nlohmann::json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
}

std::vector<GoldenCase> read_cases(const std::filesystem::path& path) {
    const nlohmann::json j = read_json(path);
    std::vector<GoldenCase> cases;
    if (!j.is_array()) {
        ADD_FAILURE() << path << " is not a JSON array";
        return cases;
    }
    for (const auto& c : j) {
        cases.push_back(GoldenCase{c.at("name").get<std::string>(), c.at("text").get<std::string>(),
                                   c.at("add_special").get<bool>(),
                                   c.at("tokens").get<std::vector<int32_t>>()});
    }
    return cases;
}

std::string show(const std::vector<int32_t>& ids) {
    std::string s = "[";
    for (size_t i = 0; i < ids.size(); ++i) s += (i ? ", " : "") + std::to_string(ids[i]);
    return s + "]";
}

class GoldenVocabTest : public ::testing::TestWithParam<const char*> {};

TEST_P(GoldenVocabTest, EncodesEveryCaseLikeTheReference) {
    GS_REQUIRE_GOLDEN(golden);
    const std::string vocab = GetParam();
    auto tok = load_tokenizer(golden / "tokenizer" / (vocab + ".gguf"));
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    const auto cases = read_cases(golden / "tokenizer" / vocab / "tokenize.json");
    ASSERT_EQ(cases.size(), 35u);
    int n_pass = 0;
    for (const GoldenCase& c : cases) {
        auto ids = (*tok)->encode(c.text, {.add_special = c.add_special, .parse_special = true});
        ASSERT_TRUE(ids.ok()) << c.name << ": " << ids.status().to_string();
        EXPECT_EQ(*ids, c.tokens) << vocab << " " << c.name << " text '" << c.text
                                  << "'\n  got      " << show(*ids) << "\n  expected "
                                  << show(c.tokens);
        if (*ids == c.tokens) ++n_pass;
    }
    EXPECT_EQ(n_pass, 35) << vocab;
}

// decode(encode(x)) == x for every text holding no special-token string, with and without
// add_special (BOS is not rendered; SentencePiece's added space is dropped again).
TEST_P(GoldenVocabTest, DecodeInvertsEncode) {
    GS_REQUIRE_GOLDEN(golden);
    const std::string vocab = GetParam();
    auto tok = load_tokenizer(golden / "tokenizer" / (vocab + ".gguf"));
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    for (const GoldenCase& c : read_cases(golden / "tokenizer" / vocab / "tokenize.json")) {
        if (c.text.find("<|endoftext|>") != std::string::npos) continue;
        for (const bool add_special : {false, true}) {
            const auto ids = testing::must_encode(**tok, c.text, {.add_special = add_special});
            EXPECT_EQ((*tok)->decode(ids), c.text) << vocab << " " << c.name;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Vocabularies, GoldenVocabTest,
                         ::testing::Values("vocab-gpt2", "vocab-gpt2-glm4pre", "vocab-llama-spm"),
                         [](const auto& param_info) {
                             std::string name = param_info.param;
                             for (char& ch : name) {
                                 if (ch == '-') ch = '_';
                             }
                             return name;
                         });

// The model cases' prompts were tokenized by the reference with add_special on: nothing added
// for chatglm-bpe, BOS for llama-bpe (its add_bos default).
TEST(GoldenModelPrompts, TextCasesMatchTheReference) {
    GS_REQUIRE_GOLDEN(golden);
    for (const char* model : {"glm4-f32", "chatglm-f16", "llama-f16"}) {
        auto tok = load_tokenizer(golden / "models" / (std::string(model) + ".gguf"));
        ASSERT_TRUE(tok.ok()) << model << ": " << tok.status().to_string();
        for (const char* name : {"text-short", "text-mixed"}) {
            const nlohmann::json j =
                read_json(golden / "cases" / model / (std::string(name) + ".json"));
            ASSERT_TRUE(j.is_object()) << model << "/" << name;
            const auto expected = j.at("prompt_tokens").get<std::vector<int32_t>>();
            const auto ids =
                testing::must_encode(**tok, j.at("text").get<std::string>(), {.add_special = true});
            EXPECT_EQ(ids, expected) << model << "/" << name;
        }
    }
}

TEST(GoldenVocabFacts, Gpt2VocabularyMetadata) {
    GS_REQUIRE_GOLDEN(golden);
    auto tok = load_tokenizer(golden / "tokenizer" / "vocab-gpt2.gguf");
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    const Tokenizer& t = **tok;
    EXPECT_EQ(t.model_name(), "gpt2");
    EXPECT_EQ(t.pre_name(), "gpt-2");
    EXPECT_EQ(t.n_vocab(), 50257);
    EXPECT_EQ(t.bos_id(), 50256);
    EXPECT_EQ(t.eos_id(), 50256);
    EXPECT_FALSE(t.add_bos());
    EXPECT_FALSE(t.add_eos());
    EXPECT_TRUE(t.is_end_of_generation(50256));
    EXPECT_FALSE(t.is_end_of_generation(15496));
    EXPECT_EQ(t.token_type(50256), TokenType::Control);
    EXPECT_EQ(t.token_text(50256), "<|endoftext|>");
    EXPECT_EQ(t.find_token("Hello"), 15496);
    EXPECT_EQ(t.find_token("\xC4\xA0world"), 995);  // "Ġworld"
    EXPECT_EQ(t.find_token("no such token at all"), std::nullopt);
    EXPECT_EQ(t.token_bytes(995, false), " world");
    EXPECT_TRUE(t.warnings().empty());
}

TEST(GoldenVocabFacts, SentencePieceVocabularyMetadata) {
    GS_REQUIRE_GOLDEN(golden);
    auto tok = load_tokenizer(golden / "tokenizer" / "vocab-llama-spm.gguf");
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    const Tokenizer& t = **tok;
    EXPECT_EQ(t.model_name(), "llama");
    EXPECT_EQ(t.bos_id(), 1);
    EXPECT_EQ(t.eos_id(), 2);
    EXPECT_TRUE(t.add_bos());
    EXPECT_EQ(t.token_type(13), TokenType::Byte);
    EXPECT_EQ(t.token_bytes(13, false), "\n");         // <0x0A>
    EXPECT_EQ(t.token_bytes(15043, false), " Hello");  // "▁Hello"
    EXPECT_EQ(t.token_bytes(1, false), "");            // <s> is CONTROL
    EXPECT_EQ(t.token_bytes(1, true), "<s>");
    // The leading space of the first token is dropped once, also after a leading BOS.
    const std::vector<int32_t> ids = {1, 15043, 3186};
    EXPECT_EQ(t.decode(ids), "Hello world");
    EXPECT_EQ(t.decode(ids, /*render_special=*/true), "<s>Hello world");
    // CONTROL text is recognised only with parse_special.
    EXPECT_EQ(testing::must_encode(t, "<s>Hello", {.parse_special = true}),
              (std::vector<int32_t>{1, 15043}));
    const auto plain = testing::must_encode(t, "<s>Hello", {.parse_special = false});
    EXPECT_EQ(std::count(plain.begin(), plain.end(), 1), 0);
    EXPECT_EQ(t.decode(plain), "<s>Hello");
}

// Bytes with no token of their own go through <0xXX> byte tokens and come back intact.
TEST(GoldenVocabFacts, SentencePieceByteFallbackRoundTrips) {
    GS_REQUIRE_GOLDEN(golden);
    auto tok = load_tokenizer(golden / "tokenizer" / "vocab-llama-spm.gguf");
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    const std::string text = "\x01\x7F tab\there \xF0\x9F\xA6\x99 \xE1\x84\x80";
    const auto ids = testing::must_encode(**tok, text);
    EXPECT_EQ((*tok)->decode(ids), text);
}

}  // namespace
}  // namespace glmserve::tokenizer
