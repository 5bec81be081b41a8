// Prompt sources for the load generator: synthetic prompts of chosen lengths, or a JSONL
// dataset, each a list of Prompt values the runner issues in order (cycling when a run needs
// more requests than the list holds).
//
// Synthetic prompts are words drawn from a fixed list by a SplitMix64 seeded with the run's
// seed, so the same seed gives the same prompts on every machine. Each prompt draws a target
// token count and takes words_for_tokens(target, tokens_per_word) words. Lengths and words come
// from two generators, so a seed draws the same target and output lengths at every ratio.
// tokens_per_word is the server tokenizer's measured ratio on this word stream (server_info.h, a
// /tokenize of synthetic_word_sample) or, uncalibrated, the estimate 1: one word is one token in
// the usual BPE vocabularies, but a small or byte-level one makes two or more tokens of a word. A
// calibrated length is still near the target, not exact (tokens are not quite additive over
// words, and a server may add special tokens); the server's usage block, when present, gives
// the real count. Given the seed and the ratio, the prompts are deterministic.
//
// Dataset lines are JSON objects: {"prompt": "..."} or {"messages": [...]}, optionally with
// "max_tokens" (a positive integer). Blank lines are skipped. A malformed line is an error that
// names its line number; nothing is skipped silently.
// Thread: pure functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace glmserve::bench {

// A length drawn uniformly from [min, max]; fixed when min == max.
struct LengthRange {
    int64_t min = 0;
    int64_t max = 0;
};

// Parses "128" (fixed) or "64:256" (uniform range); both ends must be positive.
Result<LengthRange> parse_length_range(std::string_view text);

struct Prompt {
    std::string prompt;         // completion prompt; for chat, the messages' text joined
    std::string messages_json;  // the chat "messages" array as JSON; empty for a plain prompt
    std::optional<int64_t> max_tokens;
    // A stand-in when usage is absent: words × tokens per word for synthetic prompts, the word
    // count for a dataset's.
    int64_t n_tokens_prompt_estimate = 0;
};

struct SyntheticPromptSpec {
    LengthRange prompt_tokens{.min = 128, .max = 128};
    LengthRange output_tokens{.min = 64, .max = 64};
    uint64_t seed = 0;
    double tokens_per_word = 1;  // > 0; measured by /tokenize, or the one-word-one-token estimate
};

// The number of words whose token count comes nearest n_tokens at tokens_per_word tokens a
// word: round(n_tokens / tokens_per_word), at least 1. tokens_per_word must be positive.
int64_t words_for_tokens(int64_t n_tokens, double tokens_per_word);

// n prompts drawn from the spec; each carries its drawn output length as max_tokens.
std::vector<Prompt> make_synthetic_prompts(const SyntheticPromptSpec& spec, size_t n);

// n_words words of the synthetic word stream for `seed`, joined by spaces like a prompt's: the
// text whose tokens per word calibrates the prompts.
std::string synthetic_word_sample(uint64_t seed, size_t n_words);

// Parses JSONL text; errors name the line ("line 3: ...").
Result<std::vector<Prompt>> parse_jsonl_prompts(std::string_view text);

// Reads and parses a JSONL file; errors name the path and the line. An empty dataset is an
// error too: a run needs at least one prompt.
Result<std::vector<Prompt>> load_jsonl_prompts(const std::string& path);

}  // namespace glmserve::bench
