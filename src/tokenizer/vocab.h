// Token types and the pieces every tokenizer model shares: the vocabulary table (detail::Vocab)
// and the interface of a subword algorithm (detail::TextModel: byte-level BPE or SentencePiece).
//
// Tokenizer (tokenizer.h) owns one Vocab and one TextModel; the model keeps a reference to the
// Vocab, so both live and die together inside the Tokenizer.
// Thread: immutable after construction; every method is const and safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace glmserve::tokenizer {

// tokenizer.ggml.token_type values (glm-gguf.md §1.6).
enum class TokenType : int32_t {
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
};

namespace detail {

struct Vocab {
    std::vector<std::string> text;  // index = token id; never resized once `index` is built
    std::vector<TokenType> type;    // same length as text
    // Views into `text` (owner: text). A text that occurs twice maps to its last id, as in
    // llama.cpp's loader.
    std::unordered_map<std::string_view, int32_t> index;

    int32_t n_tokens() const { return static_cast<int32_t>(text.size()); }
    // The id of the token spelled `token`, or -1.
    int32_t find(std::string_view token) const {
        const auto it = index.find(token);
        return it == index.end() ? -1 : it->second;
    }
};

// One subword algorithm over a Vocab.
class TextModel {
public:
    virtual ~TextModel() = default;
    // Appends the ids of `text`: valid UTF-8 in which no special token is to be recognised.
    // `starts_segment` is true when `text` begins the input or directly follows a special token
    // (SentencePiece adds its space prefix there).
    virtual Status encode(std::string_view text, bool starts_segment,
                          std::vector<int32_t>& out) const = 0;
    // The bytes a Normal, Byte or Undefined token stands for.
    virtual std::string decode_token(int32_t id) const = 0;
};

struct BpeParams {
    std::span<const std::string_view> merges;  // "left right", index = rank
    std::string_view regex;                    // pre-tokenizer pattern
    bool ignore_merges = false;                // see PreTokenizerSpec
};

// Byte-level BPE (GGUF "gpt2"). DataLoss when a merge is malformed or names a token that is not
// in the vocabulary, or when a byte has no stand-in token.
Result<std::unique_ptr<TextModel>> make_bpe_model(const Vocab& vocab, const BpeParams& params);

struct SpmParams {
    std::vector<float> scores;     // one per token
    bool add_space_prefix = true;  // prepend "▁" to each segment (tokenizer.ggml.add_space_prefix)
    int32_t unknown_id = -1;       // for bytes that have no <0xXX> token; -1 = none
};

// SentencePiece (GGUF "llama").
Result<std::unique_ptr<TextModel>> make_spm_model(const Vocab& vocab, SpmParams params);

}  // namespace detail
}  // namespace glmserve::tokenizer
