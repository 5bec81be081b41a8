// Helpers shared by the tokenizer tests: loading a Tokenizer from a GGUF file or from metadata
// written in memory, and a few small assertions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "gguf/writer.h"
#include "tokenizer/builtin_vocab.h"
#include "tokenizer/tokenizer.h"

namespace glmserve::tokenizer::testing {

// Opens a GGUF file and builds its tokenizer.
Result<std::unique_ptr<Tokenizer>> load_tokenizer(const std::filesystem::path& path);

// Serialises `writer` to bytes, reads them back with GgufFile::from_bytes and builds a tokenizer.
Result<std::unique_ptr<Tokenizer>> tokenizer_from_writer(const gguf::GgufWriter& writer);

// The built-in vocabulary written to metadata; `edit` may change the writer afterwards (to make
// a broken or different vocabulary).
Result<std::unique_ptr<Tokenizer>> builtin_tokenizer(
    const std::function<void(gguf::GgufWriter&)>& edit = {});

// The built-in vocabulary (computed once per test binary).
const VocabSpec& builtin_spec();

// encode() that fails the current test on error.
std::vector<int32_t> must_encode(const Tokenizer& tok, std::string_view text,
                                 EncodeOptions options = {});

bool is_valid_utf8(std::string_view text);

}  // namespace glmserve::tokenizer::testing
