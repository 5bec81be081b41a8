// The built-in vocabulary: deterministic, laid out as documented, loadable through GGUF
// metadata, and actually compressing English.
#include "tokenizer/builtin_vocab.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "gguf/reader.h"
#include "tokenizer/test_util.h"
#include "tokenizer/utf8.h"

namespace glmserve::tokenizer {
namespace {

using testing::builtin_spec;

TEST(BuiltinVocab, IsDeterministic) {
    const VocabSpec a = make_builtin_vocab(128);
    const VocabSpec b = make_builtin_vocab(128);
    EXPECT_EQ(a.tokens, b.tokens);
    EXPECT_EQ(a.merges, b.merges);
    EXPECT_EQ(a.token_types, b.token_types);
    // A shorter training is a prefix of a longer one.
    const VocabSpec& full = builtin_spec();
    ASSERT_GE(full.merges.size(), a.merges.size());
    EXPECT_TRUE(std::equal(a.merges.begin(), a.merges.end(), full.merges.begin()));
}

TEST(BuiltinVocab, Layout) {
    const VocabSpec& spec = builtin_spec();
    EXPECT_EQ(spec.merges.size(), 512u);
    ASSERT_EQ(spec.tokens.size(), spec.token_types.size());
    // 256 byte tokens in stand-in code point order: "!" first, as in GPT-2 and GLM-4.
    EXPECT_EQ(spec.tokens[0], "!");
    for (int i = 0; i < 256; ++i) {
        const auto ch = detail::decode_utf8_at(spec.tokens[static_cast<size_t>(i)], 0);
        ASSERT_TRUE(ch.has_value());
        EXPECT_TRUE(detail::code_point_to_byte(ch->cp).has_value());
        if (i > 0) {
            EXPECT_LT(detail::decode_utf8_at(spec.tokens[static_cast<size_t>(i - 1)], 0)->cp,
                      ch->cp);
        }
    }
    const std::vector<std::string> specials = {"<|endoftext|>",
                                               "[MASK]",
                                               "[gMASK]",
                                               "[sMASK]",
                                               "<sop>",
                                               "<eop>",
                                               "<|system|>",
                                               "<|user|>",
                                               "<|assistant|>",
                                               "<|observation|>",
                                               "<|begin_of_image|>",
                                               "<|end_of_image|>",
                                               "<|begin_of_video|>",
                                               "<|end_of_video|>"};
    const size_t first = spec.tokens.size() - specials.size();
    for (size_t i = 0; i < specials.size(); ++i) {
        EXPECT_EQ(spec.tokens[first + i], specials[i]);
        EXPECT_EQ(spec.token_types[first + i], static_cast<int32_t>(TokenType::Control));
    }
    for (size_t i = 0; i < first; ++i) {
        EXPECT_EQ(spec.token_types[i], static_cast<int32_t>(TokenType::Normal));
    }
    EXPECT_EQ(spec.tokens[static_cast<size_t>(spec.eos_id)], "<|endoftext|>");
    EXPECT_EQ(spec.tokens[static_cast<size_t>(spec.eot_id)], "<|user|>");
    EXPECT_EQ(spec.tokens[static_cast<size_t>(spec.bos_id)], "[gMASK]");
    EXPECT_EQ(spec.pre, "glm4");
    EXPECT_EQ(spec.chat_template.rfind("[gMASK]<sop>", 0), 0u);
}

TEST(BuiltinVocab, LoadsThroughGgufMetadata) {
    gguf::GgufWriter writer;
    write_vocab_metadata(builtin_spec(), writer);
    const std::vector<uint8_t> bytes = writer.to_bytes();
    auto file = gguf::GgufFile::from_bytes(bytes);
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    const gguf::Metadata& md = file->metadata();
    EXPECT_EQ(*md.get_string("tokenizer.ggml.model"), "gpt2");
    EXPECT_EQ(*md.get_bool("tokenizer.ggml.add_bos_token"), false);
    EXPECT_EQ(*md.get_u32("tokenizer.ggml.padding_token_id"),
              static_cast<uint32_t>(builtin_spec().eos_id));
    EXPECT_EQ(*md.get_string("tokenizer.chat_template"), builtin_spec().chat_template);

    auto tok = Tokenizer::from_metadata(md);
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    EXPECT_EQ((*tok)->n_vocab(), static_cast<int32_t>(builtin_spec().tokens.size()));
    EXPECT_EQ((*tok)->pre_name(), "glm4");
    EXPECT_EQ((*tok)->bos_id(), builtin_spec().bos_id);
    EXPECT_FALSE((*tok)->add_bos());
    EXPECT_TRUE((*tok)->warnings().empty());
}

TEST(BuiltinVocab, EncodesEnglishIntoFewerTokensThanBytes) {
    auto tok = testing::builtin_tokenizer();
    ASSERT_TRUE(tok.ok()) << tok.status().to_string();
    const std::string text =
        "The server keeps the tokens of every request in the cache, and the model reads them "
        "one step at a time.";
    const auto ids = testing::must_encode(**tok, text);
    EXPECT_LT(ids.size() * 2, text.size())
        << ids.size() << " tokens for " << text.size() << " bytes";
    EXPECT_EQ((*tok)->decode(ids), text);
}

}  // namespace
}  // namespace glmserve::tokenizer
