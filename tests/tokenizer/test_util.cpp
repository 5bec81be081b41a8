// Helpers shared by the tokenizer tests (see test_util.h).
#include "tokenizer/test_util.h"

#include <gtest/gtest.h>

#include "gguf/reader.h"
#include "tokenizer/utf8.h"

namespace glmserve::tokenizer::testing {

Result<std::unique_ptr<Tokenizer>> load_tokenizer(const std::filesystem::path& path) {
    GS_ASSIGN_OR_RETURN(gguf::GgufFile file, gguf::GgufFile::open(path));
    return Tokenizer::from_metadata(file.metadata());
}

Result<std::unique_ptr<Tokenizer>> tokenizer_from_writer(const gguf::GgufWriter& writer) {
    const std::vector<uint8_t> bytes = writer.to_bytes();
    GS_ASSIGN_OR_RETURN(gguf::GgufFile file, gguf::GgufFile::from_bytes(bytes));
    return Tokenizer::from_metadata(file.metadata());
}

const VocabSpec& builtin_spec() {
    static const VocabSpec spec = make_builtin_vocab();
    return spec;
}

Result<std::unique_ptr<Tokenizer>> builtin_tokenizer(
    const std::function<void(gguf::GgufWriter&)>& edit) {
    gguf::GgufWriter writer;
    write_vocab_metadata(builtin_spec(), writer);
    if (edit) edit(writer);
    return tokenizer_from_writer(writer);
}

std::vector<int32_t> must_encode(const Tokenizer& tok, std::string_view text,
                                 EncodeOptions options) {
    auto ids = tok.encode(text, options);
    EXPECT_TRUE(ids.ok()) << ids.status().to_string();
    return ids.ok() ? *ids : std::vector<int32_t>{};
}

bool is_valid_utf8(std::string_view text) {
    return detail::is_valid_utf8(text);
}

}  // namespace glmserve::tokenizer::testing
