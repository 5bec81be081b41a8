// Prompt sources for the load generator: synthetic prompts of chosen lengths, or a JSONL
// dataset, each a list of Prompt values the runner issues in order (cycling when a run needs
// more requests than the list holds).
//
// Synthetic prompts are words drawn from a fixed list by a SplitMix64 seeded with the run's
// seed, so the same seed gives the same prompts on every machine. One word is roughly one
// token for BPE vocabularies of English text; the length is an estimate, and the server's usage
// block (when present) gives the real count.
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
    int64_t n_tokens_prompt_estimate = 0;  // word count: a stand-in when usage is absent
};

struct SyntheticPromptSpec {
    LengthRange prompt_tokens{.min = 128, .max = 128};
    LengthRange output_tokens{.min = 64, .max = 64};
    uint64_t seed = 0;
};

// n prompts drawn from the spec; each carries its drawn output length as max_tokens.
std::vector<Prompt> make_synthetic_prompts(const SyntheticPromptSpec& spec, size_t n);

// Parses JSONL text; errors name the line ("line 3: ...").
Result<std::vector<Prompt>> parse_jsonl_prompts(std::string_view text);

// Reads and parses a JSONL file; errors name the path and the line. An empty dataset is an
// error too: a run needs at least one prompt.
Result<std::vector<Prompt>> load_jsonl_prompts(const std::string& path);

}  // namespace glmserve::bench
