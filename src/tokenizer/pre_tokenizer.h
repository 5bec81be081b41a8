// Pre-tokenizers of byte-level BPE vocabularies: the one table that says, for each value of
// `tokenizer.ggml.pre`, which split regex to use and which defaults differ, plus the PCRE2
// splitter that runs the regex.
//
// The regexes are the ones the models were trained with (GPT-2's encoder.py pattern, the
// cl100k-style pattern of Llama-3 and GLM-4, ../shared/reference/glm-gguf.md §4.3). They are
// compiled once with PCRE2 in UTF + UCP mode (\s, \p{L}, \p{N} are Unicode-aware) and JIT-
// compiled where the platform supports it. Text between matches (the patterns leave none in
// practice) is kept as its own piece, so the pieces always concatenate back to the input.
// Thread: a RegexSplitter is immutable after create(); split() may run on many threads at once
// (each call allocates its own match data).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace glmserve::tokenizer::detail {

struct PreTokenizerSpec {
    std::string_view name;   // canonical name of this row
    std::string_view regex;  // PCRE2 pattern
    bool add_bos = false;    // default of tokenizer.ggml.add_bos_token
    // Emit a whole piece directly when it is itself a token, before any merging (llama.cpp
    // sets this for Llama-3; tiktoken does it for every piece).
    bool ignore_merges = false;
};

// The row for a `tokenizer.ggml.pre` value ("gpt-2", "llama-bpe", "llama3", "chatglm-bpe",
// "glm4", "qwen2", "default"), or nullptr when the name is unknown.
const PreTokenizerSpec* find_pre_tokenizer(std::string_view pre_name);

// The row used when a byte-level vocabulary has no `tokenizer.ggml.pre` (GPT-2's pattern).
const PreTokenizerSpec& default_pre_tokenizer();

class RegexSplitter {
public:
    // Compiles `pattern`; InvalidArgument with PCRE2's message and offset when it does not.
    static Result<std::unique_ptr<RegexSplitter>> create(std::string_view pattern);

    RegexSplitter(const RegexSplitter&) = delete;
    RegexSplitter& operator=(const RegexSplitter&) = delete;
    ~RegexSplitter();

    // Splits valid UTF-8 `text` into consecutive pieces (views into `text`), appended to `out`.
    // Fails only when PCRE2 gives up (resource limits), with ResourceExhausted.
    Status split(std::string_view text, std::vector<std::string_view>& out) const;

    bool jit() const { return jit_; }

    struct Code;  // owns the pcre2_code; only create() can make one
    RegexSplitter(std::unique_ptr<Code> code, bool jit);  // use create()

private:
    std::unique_ptr<Code> code_;
    bool jit_ = false;
};

}  // namespace glmserve::tokenizer::detail
