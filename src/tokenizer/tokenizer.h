// Tokenizer: text <-> token ids for the vocabularies GGUF files carry (glm-gguf.md §4):
// byte-level BPE (tokenizer.ggml.model "gpt2": GLM-4, Llama-3, Qwen2, GPT-2) and SentencePiece
// ("llama": ChatGLM3, Llama-2).
//
// encode():
//   1. Invalid UTF-8 in the input is replaced, one U+FFFD per offending byte (tokenizer/utf8.h),
//      and tokenized as such; encode never fails on bad bytes. (llama.cpp does the same for BPE.)
//   2. Special tokens are cut out of the text first: every token typed CONTROL, USER_DEFINED or
//      UNKNOWN, longest text first, leftmost occurrence first; CONTROL and UNKNOWN ones only when
//      parse_special is on (USER_DEFINED always), as llama.cpp's tokenizer_st_partition (§4.6).
//   3. The runs between them go through the model (BPE: pre-tokenizer regex + merges;
//      SentencePiece: "▁" escaping + score merges + byte fallback).
//   4. add_special: BOS in front when add_bos(), EOS at the end when add_eos().
// decode() concatenates token_bytes(); for SentencePiece with add_space_prefix it drops the one
// space that encode() put in front of the text (after any leading BOS), so that
// decode(encode(x)) == x. This differs from llama.cpp, which keeps that space when a BOS leads.
// Token ids out of range are not an error anywhere here: they contribute nothing to decode(),
// have type Undefined and empty text. The engine validates ids from requests itself.
//
// Thread: immutable after from_metadata(); every method is const and may run on any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "gguf/metadata.h"
#include "tokenizer/vocab.h"

namespace glmserve::tokenizer {

struct EncodeOptions {
    bool add_special = false;   // add BOS/EOS as the vocabulary asks (add_bos()/add_eos())
    bool parse_special = true;  // recognise CONTROL/UNKNOWN token texts such as "[gMASK]"
};

class Tokenizer {
public:
    // Builds a tokenizer from the tokenizer.ggml.* keys. Errors (each names the key):
    // NotFound for missing tokenizer.ggml.model / tokens / merges (gpt2) / scores (llama);
    // Unimplemented for another model or an unknown tokenizer.ggml.pre; DataLoss for arrays
    // whose length differs from the token count, bad token types, special ids out of range,
    // malformed merges or merges naming unknown tokens, add_bos/add_eos without the token.
    // A gpt2 vocabulary without tokenizer.ggml.pre uses GPT-2's regex and records a warning.
    static Result<std::unique_ptr<Tokenizer>> from_metadata(const gguf::Metadata& md);

private:
    // Only from_metadata() can name the tag (passkey idiom: make_unique without a bare new).
    struct PrivateTag {
        explicit PrivateTag() = default;
    };

public:
    explicit Tokenizer(PrivateTag /*tag*/) {}

    Tokenizer(const Tokenizer&) = delete;
    Tokenizer& operator=(const Tokenizer&) = delete;
    ~Tokenizer();

    // Fails only when the vocabulary cannot represent the text (a SentencePiece vocabulary with
    // neither byte tokens nor an unknown token) or the regex engine hits a resource limit.
    Result<std::vector<int32_t>> encode(std::string_view text, const EncodeOptions& options) const;

    // Bytes (not necessarily valid UTF-8: a token may end inside a character).
    std::string decode(std::span<const int32_t> ids, bool render_special = false) const;

    // What token `id` contributes to decode(): Normal/Byte/Undefined tokens their bytes,
    // USER_DEFINED their text, CONTROL/UNKNOWN their text only when render_special, UNUSED and
    // out-of-range ids nothing.
    std::string token_bytes(int32_t id, bool render_special) const;

    int32_t n_vocab() const;
    TokenType token_type(int32_t id) const;
    std::string_view token_text(int32_t id) const;  // as stored in the vocabulary
    std::optional<int32_t> find_token(std::string_view text) const;

    int32_t bos_id() const { return bos_id_; }  // -1 when none
    int32_t eos_id() const { return eos_id_; }  // -1 when none
    int32_t eot_id() const { return eot_id_; }  // -1 when none
    int32_t eom_id() const { return eom_id_; }  // -1 when none
    bool add_bos() const { return add_bos_; }
    bool add_eos() const { return add_eos_; }

    // eos, eot and eom ids; for GLM vocabularies (pre glm4/chatglm-bpe, or a "[gMASK]" token)
    // also the tokens spelled <|user|>, <|observation|> and <|endoftext|> (glm-gguf.md §4.7).
    bool is_end_of_generation(int32_t id) const;
    // Every id for which is_end_of_generation() is true, ascending.
    std::span<const int32_t> end_of_generation_ids() const { return end_of_generation_; }

    std::string_view model_name() const { return model_name_; }  // "gpt2" or "llama"
    std::string_view pre_name() const { return pre_name_; }      // as in the file, or "default"
    // Things the loader accepted but that may degrade quality (missing pre-tokenizer, missing
    // token types, duplicate token texts, defaulted special ids).
    std::span<const std::string> warnings() const { return warnings_; }

private:
    struct Fragment {
        int32_t id = -1;  // special token id, or -1 for plain text
        size_t offset = 0;
        size_t n_bytes = 0;
    };
    struct Loader;  // tokenizer_load.cpp

    std::vector<Fragment> partition(std::string_view text, bool parse_special) const;
    bool valid_id(int32_t id) const { return id >= 0 && id < vocab_.n_tokens(); }

    detail::Vocab vocab_;
    std::unique_ptr<detail::TextModel> model_;  // refers to vocab_
    std::vector<std::string> pieces_;           // bytes each token contributes when rendered
    std::vector<int32_t> specials_;             // matchable special ids, longest text first
    std::vector<int32_t> end_of_generation_;    // sorted, unique
    int32_t bos_id_ = -1;
    int32_t eos_id_ = -1;
    int32_t eot_id_ = -1;
    int32_t eom_id_ = -1;
    bool add_bos_ = false;
    bool add_eos_ = false;
    bool strip_leading_space_ = false;  // SentencePiece with add_space_prefix
    std::string model_name_;
    std::string pre_name_;
    std::vector<std::string> warnings_;
};

}  // namespace glmserve::tokenizer
