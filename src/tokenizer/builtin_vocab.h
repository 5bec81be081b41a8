// A small, self-made GLM-4-style vocabulary for demo and test models, so that nothing has to be
// downloaded: 256 byte tokens in byte-level stand-in order (glm-gguf.md §4.4), then the tokens
// of `n_merges` BPE merges learnt from a few embedded paragraphs, then the 14 GLM-4 special
// tokens of §4.2 in their order, typed CONTROL. Pre-tokenizer "glm4"; a short GLM-4 Jinja chat
// template that detect_chat_template() recognises as Glm4.
//
// Training (deterministic, no randomness, no hash-order dependence): the embedded text is split
// with the glm4 pre-tokenizer; within each piece adjacent symbol pairs are counted (weighted by
// how often the piece occurs); the most frequent pair is merged, ties going to the
// lexicographically smallest (left, right) pair of token strings; repeat. Training stops early
// when no pair is left.
// Thread: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gguf/writer.h"

namespace glmserve::tokenizer {

struct VocabSpec {
    std::vector<std::string> tokens;   // index = id
    std::vector<int32_t> token_types;  // TokenType values, one per token
    std::vector<std::string> merges;   // "left right", index = rank
    int32_t eos_id = -1;               // <|endoftext|>
    int32_t eot_id = -1;               // <|user|>
    int32_t bos_id = -1;               // [gMASK] (add_bos_token is false: never auto-added)
    std::string pre;                   // "glm4"
    std::string chat_template;         // Jinja source
};

VocabSpec make_builtin_vocab(int n_merges = 512);

// Sets every tokenizer.ggml.* key (model gpt2, pre, tokens, token_type, merges, bos/eos/eot/
// padding ids, add_bos_token = false) and tokenizer.chat_template.
void write_vocab_metadata(const VocabSpec& spec, gguf::GgufWriter& writer);

}  // namespace glmserve::tokenizer
