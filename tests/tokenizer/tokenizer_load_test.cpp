// Tokenizer::from_metadata on hand-made vocabularies: every error the loader reports (with the
// key named), the warnings, and the merge orders of small BPE and SentencePiece vocabularies
// whose right answer can be worked out by hand.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>

#include "tokenizer/test_util.h"

namespace glmserve::tokenizer {
namespace {

using testing::builtin_spec;
using testing::must_encode;
using testing::tokenizer_from_writer;

// The built-in vocabulary's keys, leaving out those in `skip`.
gguf::GgufWriter builtin_without(const std::set<std::string>& skip) {
    const VocabSpec& spec = builtin_spec();
    gguf::GgufWriter w;
    const auto want = [&](const char* key) { return skip.count(key) == 0; };
    if (want("tokenizer.ggml.model")) w.set_string("tokenizer.ggml.model", "gpt2");
    if (want("tokenizer.ggml.pre")) w.set_string("tokenizer.ggml.pre", spec.pre);
    if (want("tokenizer.ggml.tokens")) w.set_string_array("tokenizer.ggml.tokens", spec.tokens);
    if (want("tokenizer.ggml.token_type")) {
        w.set_i32_array("tokenizer.ggml.token_type", spec.token_types);
    }
    if (want("tokenizer.ggml.merges")) w.set_string_array("tokenizer.ggml.merges", spec.merges);
    if (want("tokenizer.ggml.bos_token_id")) {
        w.set_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(spec.bos_id));
    }
    if (want("tokenizer.ggml.eos_token_id")) {
        w.set_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(spec.eos_id));
    }
    return w;
}

void expect_error(const gguf::GgufWriter& w, StatusCode code, std::string_view mentions) {
    auto tok = tokenizer_from_writer(w);
    ASSERT_FALSE(tok.ok()) << "expected " << status_code_name(code) << " mentioning " << mentions;
    EXPECT_EQ(tok.status().code(), code) << tok.status().to_string();
    EXPECT_NE(tok.status().message().find(mentions), std::string::npos) << tok.status().to_string();
}

TEST(TokenizerLoad, MissingOrUnsupportedModel) {
    expect_error(builtin_without({"tokenizer.ggml.model"}), StatusCode::NotFound,
                 "tokenizer.ggml.model");
    for (const char* model : {"bert", "no_vocab", "t5"}) {
        auto w = builtin_without({});
        w.set_string("tokenizer.ggml.model", model);
        expect_error(w, StatusCode::Unimplemented, model);
    }
    auto w = builtin_without({});
    w.set_u32("tokenizer.ggml.model", 2);  // wrong type
    expect_error(w, StatusCode::InvalidArgument, "tokenizer.ggml.model");
}

TEST(TokenizerLoad, MissingOrMismatchedArrays) {
    expect_error(builtin_without({"tokenizer.ggml.tokens"}), StatusCode::NotFound,
                 "tokenizer.ggml.tokens");
    expect_error(builtin_without({"tokenizer.ggml.merges"}), StatusCode::NotFound,
                 "tokenizer.ggml.merges");
    auto w = builtin_without({});
    const std::vector<int32_t> short_types(10, 1);
    w.set_i32_array("tokenizer.ggml.token_type", short_types);
    expect_error(w, StatusCode::DataLoss, "tokenizer.ggml.token_type");
    std::vector<int32_t> bad_types = builtin_spec().token_types;
    bad_types[3] = 9;
    w.set_i32_array("tokenizer.ggml.token_type", bad_types);
    expect_error(w, StatusCode::DataLoss, "tokenizer.ggml.token_type[3]");
    w = builtin_without({});
    w.set_string_array("tokenizer.ggml.tokens", std::vector<std::string>{});
    expect_error(w, StatusCode::DataLoss, "empty");
}

TEST(TokenizerLoad, BadMerges) {
    auto w = builtin_without({});
    std::vector<std::string> merges = builtin_spec().merges;
    merges.push_back("a zz_not_a_token");
    w.set_string_array("tokenizer.ggml.merges", merges);
    expect_error(w, StatusCode::DataLoss, "zz_not_a_token");
    merges.back() = "nospace";
    w.set_string_array("tokenizer.ggml.merges", merges);
    expect_error(w, StatusCode::DataLoss, "'nospace'");
    merges.back() = "q z";  // both sides are tokens, "qz" is not
    w.set_string_array("tokenizer.ggml.merges", merges);
    expect_error(w, StatusCode::DataLoss, "'qz'");
}

TEST(TokenizerLoad, PreTokenizerNames) {
    auto w = builtin_without({});
    w.set_string("tokenizer.ggml.pre", "mystery-pre");
    expect_error(w, StatusCode::Unimplemented, "mystery-pre");

    auto tok = tokenizer_from_writer(builtin_without({"tokenizer.ggml.pre"}));
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    EXPECT_EQ((*tok)->pre_name(), "default");
    ASSERT_FALSE((*tok)->warnings().empty());
    EXPECT_NE((*tok)->warnings()[0].find("tokenizer.ggml.pre"), std::string::npos);
}

TEST(TokenizerLoad, AddBosDefaultsByPreTokenizer) {
    auto glm = tokenizer_from_writer(builtin_without({}));
    ASSERT_TRUE(glm.ok()) << glm.status().to_string();
    EXPECT_FALSE((*glm)->add_bos());
    auto w = builtin_without({});
    w.set_string("tokenizer.ggml.pre", "llama-bpe");  // Llama-3 adds BOS unless told otherwise
    auto llama3 = tokenizer_from_writer(w);
    ASSERT_TRUE(llama3.ok()) << llama3.status().to_string();
    EXPECT_TRUE((*llama3)->add_bos());
    EXPECT_EQ((*llama3)->pre_name(), "llama-bpe");
    w.set_bool("tokenizer.ggml.add_bos_token", false);
    auto told = tokenizer_from_writer(w);
    ASSERT_TRUE(told.ok()) << told.status().to_string();
    EXPECT_FALSE((*told)->add_bos());
}

TEST(TokenizerLoad, SpecialIds) {
    auto w = builtin_without({});
    w.set_u32("tokenizer.ggml.eos_token_id", 1000000);
    expect_error(w, StatusCode::DataLoss, "tokenizer.ggml.eos_token_id");
    w = builtin_without({"tokenizer.ggml.bos_token_id"});
    w.set_bool("tokenizer.ggml.add_bos_token", true);
    expect_error(w, StatusCode::DataLoss, "tokenizer.ggml.add_bos_token");

    auto tok = tokenizer_from_writer(
        builtin_without({"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"}));
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    EXPECT_EQ((*tok)->bos_id(), -1);  // never a made-up id
    EXPECT_EQ((*tok)->eos_id(), -1);
    EXPECT_FALSE((*tok)->warnings().empty());
}

TEST(TokenizerLoad, WithoutTokenTypesNothingIsSpecial) {
    auto tok = tokenizer_from_writer(builtin_without({"tokenizer.ggml.token_type"}));
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    EXPECT_FALSE((*tok)->warnings().empty());
    const auto ids = must_encode(**tok, "[gMASK]");
    EXPECT_GT(ids.size(), 1u);
    EXPECT_EQ((*tok)->decode(ids), "[gMASK]");
}

// A byte-level vocabulary: the 256 byte tokens plus `extra`, with `merges`.
Result<std::unique_ptr<Tokenizer>> small_bpe(const std::vector<std::string>& extra,
                                             const std::vector<std::string>& merges) {
    std::vector<std::string> tokens(builtin_spec().tokens.begin(),
                                    builtin_spec().tokens.begin() + 256);
    tokens.insert(tokens.end(), extra.begin(), extra.end());
    gguf::GgufWriter w;
    w.set_string("tokenizer.ggml.model", "gpt2");
    w.set_string("tokenizer.ggml.pre", "glm4");
    w.set_string_array("tokenizer.ggml.tokens", tokens);
    w.set_string_array("tokenizer.ggml.merges", merges);
    return tokenizer_from_writer(w);
}

TEST(TokenizerLoad, BpeMergesLowestRankFirst) {
    auto bc_first = small_bpe({"ab", "bc", "abc"}, {"b c", "a b", "a bc"});
    ASSERT_TRUE(bc_first.ok()) << bc_first.status().to_string();
    EXPECT_EQ(must_encode(**bc_first, "abc"), (std::vector<int32_t>{258}));
    EXPECT_EQ(must_encode(**bc_first, "abd"), (std::vector<int32_t>{256, 'd' - '!'}));
    auto ab_first = small_bpe({"ab", "bc", "abc"}, {"a b", "b c"});
    ASSERT_TRUE(ab_first.ok()) << ab_first.status().to_string();
    EXPECT_EQ(must_encode(**ab_first, "abc"), (std::vector<int32_t>{256, 'c' - '!'}));
    // Equal ranks: the leftmost pair merges first.
    auto aa = small_bpe({"aa"}, {"a a"});
    ASSERT_TRUE(aa.ok()) << aa.status().to_string();
    EXPECT_EQ(must_encode(**aa, "aaa"), (std::vector<int32_t>{256, 'a' - '!'}));
    EXPECT_EQ(must_encode(**aa, "aaaa"), (std::vector<int32_t>{256, 256}));
}

// A SentencePiece vocabulary: <unk> <s> </s>, optionally the 256 byte tokens, then `pieces`.
struct Piece {
    std::string text;
    float score;
};
gguf::GgufWriter small_spm(const std::vector<Piece>& pieces, bool byte_tokens) {
    std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
    std::vector<int32_t> types = {2, 3, 3};
    std::vector<float> scores = {0, 0, 0};
    for (int b = 0; byte_tokens && b < 256; ++b) {
        tokens.push_back(fmt::format("<0x{:02X}>", b));
        types.push_back(6);
        scores.push_back(0);
    }
    for (const Piece& p : pieces) {
        tokens.push_back(p.text);
        types.push_back(1);
        scores.push_back(p.score);
    }
    gguf::GgufWriter w;
    w.set_string("tokenizer.ggml.model", "llama");
    w.set_string_array("tokenizer.ggml.tokens", tokens);
    w.set_i32_array("tokenizer.ggml.token_type", types);
    w.set_f32_array("tokenizer.ggml.scores", scores);
    w.set_u32("tokenizer.ggml.unknown_token_id", 0);
    w.set_u32("tokenizer.ggml.bos_token_id", 1);
    w.set_u32("tokenizer.ggml.eos_token_id", 2);
    return w;
}

TEST(TokenizerLoad, SentencePieceMergesHighestScoreFirst) {
    // ids (no byte tokens): 3 "▁", 4 "a", 5 "b", 6 "c", 7 "▁a", 8 "ab", 9 "bc", 10 "abc"
    auto pieces = [](float score_space_a) {
        return std::vector<Piece>{{"\xE2\x96\x81", -1},
                                  {"a", -1},
                                  {"b", -1},
                                  {"c", -1},
                                  {"\xE2\x96\x81"
                                   "a",
                                   score_space_a},
                                  {"ab", -3},
                                  {"bc", -1},
                                  {"abc", -2}};
    };
    auto high = tokenizer_from_writer(small_spm(pieces(-0.5f), false));
    ASSERT_TRUE(high.ok()) << high.status().to_string();
    EXPECT_TRUE((*high)->add_bos());
    EXPECT_EQ(must_encode(**high, "abc"), (std::vector<int32_t>{7, 9}));
    EXPECT_EQ(must_encode(**high, "abc", {.add_special = true}), (std::vector<int32_t>{1, 7, 9}));
    EXPECT_EQ((*high)->decode(std::vector<int32_t>{1, 7, 9}), "abc");
    auto low = tokenizer_from_writer(small_spm(pieces(-4.0f), false));
    ASSERT_TRUE(low.ok()) << low.status().to_string();
    EXPECT_EQ(must_encode(**low, "abc"), (std::vector<int32_t>{3, 10}));
    // "d" has no piece, no byte token: the unknown token.
    EXPECT_EQ(must_encode(**low, "d"), (std::vector<int32_t>{3, 0}));
}

TEST(TokenizerLoad, SentencePieceByteFallbackAndErrors) {
    auto w = small_spm({{"\xE2\x96\x81", -1}, {"x", -1}}, true);
    auto tok = tokenizer_from_writer(w);
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    const auto ids = must_encode(**tok, "x\n");
    EXPECT_EQ(ids, (std::vector<int32_t>{259, 260, 3 + '\n'}));
    EXPECT_EQ((*tok)->decode(ids), "x\n");

    w.set_bool("tokenizer.ggml.add_space_prefix", false);
    auto no_prefix = tokenizer_from_writer(w);
    ASSERT_TRUE(no_prefix.ok());
    EXPECT_EQ(must_encode(**no_prefix, "x"), (std::vector<int32_t>{260}));

    w.set_f32_array("tokenizer.ggml.scores", std::vector<float>{1.0f});
    expect_error(w, StatusCode::DataLoss, "tokenizer.ggml.scores");
    gguf::GgufWriter no_scores;
    no_scores.set_string("tokenizer.ggml.model", "llama");
    no_scores.set_string_array("tokenizer.ggml.tokens", std::vector<std::string>{"<unk>", "a"});
    expect_error(no_scores, StatusCode::NotFound, "tokenizer.ggml.scores");
}

TEST(TokenizerLoad, SentencePieceWithoutAnyFallbackFailsToEncode) {
    gguf::GgufWriter w;
    w.set_string("tokenizer.ggml.model", "llama");
    w.set_string_array("tokenizer.ggml.tokens", std::vector<std::string>{"\xE2\x96\x81", "a"});
    w.set_f32_array("tokenizer.ggml.scores", std::vector<float>{0, 0});
    w.set_bool("tokenizer.ggml.add_bos_token", false);
    auto tok = tokenizer_from_writer(w);
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    EXPECT_EQ(must_encode(**tok, "a"), (std::vector<int32_t>{0, 1}));
    EXPECT_EQ((*tok)->encode("b", {}).status().code(), StatusCode::FailedPrecondition);
}

}  // namespace
}  // namespace glmserve::tokenizer
