// Synthetic and JSONL prompt sources; see prompts.h.
#include "bench/prompts.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/rng.h"
#include "common/check.h"

namespace glmserve::bench {

using nlohmann::json;

namespace {

// Common short English words: each is a single token in the usual BPE vocabularies.
constexpr std::string_view kWords[] = {
    "the",   "of",    "and",   "to",    "in",    "is",    "that",  "for",   "it",    "as",
    "was",   "with",  "be",    "by",    "on",    "not",   "he",    "this",  "are",   "or",
    "his",   "from",  "at",    "which", "but",   "have",  "an",    "had",   "they",  "you",
    "were",  "their", "one",   "all",   "we",    "can",   "her",   "has",   "there", "been",
    "if",    "more",  "when",  "will",  "would", "who",   "so",    "no",    "time",  "river",
    "stone", "light", "house", "water", "city",  "road",  "green", "small", "large", "early",
    "model", "table", "night", "world", "paper", "music", "field", "story", "north", "south"};

// The words have a generator of their own, so the lengths a seed draws (target tokens, output
// tokens) are the same whatever the tokens per word: runs against servers with different
// tokenizers ask for the same lengths in the same order.
constexpr uint64_t kWordStreamSalt = 0x776f7264732d3031;  // "words-01"

Result<int64_t> parse_positive(std::string_view text) {
    int64_t v = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc() || ptr != end || v <= 0) {
        return invalid_argument(fmt::format("'{}' is not a positive integer", text));
    }
    return v;
}

}  // namespace

Result<LengthRange> parse_length_range(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) {
        GS_ASSIGN_OR_RETURN(int64_t n, parse_positive(text));
        return LengthRange{.min = n, .max = n};
    }
    GS_ASSIGN_OR_RETURN(int64_t lo, parse_positive(text.substr(0, colon)));
    GS_ASSIGN_OR_RETURN(int64_t hi, parse_positive(text.substr(colon + 1)));
    if (hi < lo) return invalid_argument(fmt::format("length range '{}' has max < min", text));
    return LengthRange{.min = lo, .max = hi};
}

int64_t words_for_tokens(int64_t n_tokens, double tokens_per_word) {
    GS_CHECK(tokens_per_word > 0 && std::isfinite(tokens_per_word));
    const auto n_words = std::llround(static_cast<double>(n_tokens) / tokens_per_word);
    return std::max<int64_t>(1, n_words);
}

namespace {

// Appends n_words words drawn by rng, space-separated.
void append_words(SplitMix64& rng, int64_t n_words, std::string& out) {
    out.reserve(out.size() + static_cast<size_t>(n_words) * 6);
    for (int64_t i = 0; i < n_words; ++i) {
        if (i > 0) out += ' ';
        out += kWords[rng.uniform_int(0, std::size(kWords) - 1)];
    }
}

}  // namespace

std::vector<Prompt> make_synthetic_prompts(const SyntheticPromptSpec& spec, size_t n) {
    SplitMix64 lengths(spec.seed);
    SplitMix64 words(spec.seed ^ kWordStreamSalt);
    std::vector<Prompt> prompts(n);
    for (auto& p : prompts) {
        const int64_t n_tokens =
            lengths.uniform_int(spec.prompt_tokens.min, spec.prompt_tokens.max);
        const int64_t n_words = words_for_tokens(n_tokens, spec.tokens_per_word);
        append_words(words, n_words, p.prompt);
        p.n_tokens_prompt_estimate =
            std::max<int64_t>(1, std::llround(static_cast<double>(n_words) * spec.tokens_per_word));
        p.max_tokens = lengths.uniform_int(spec.output_tokens.min, spec.output_tokens.max);
    }
    return prompts;
}

std::string synthetic_word_sample(uint64_t seed, size_t n_words) {
    SplitMix64 rng(seed ^ kWordStreamSalt);
    std::string sample;
    append_words(rng, static_cast<int64_t>(n_words), sample);
    return sample;
}

namespace {

int64_t count_words(std::string_view text) {
    int64_t n = 0;
    bool in_word = false;
    for (char c : text) {
        const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
        if (!space && !in_word) ++n;
        in_word = !space;
    }
    return n;
}

// Joins the text of chat messages; content may be a string or an array of parts, of which
// the "text" parts count.
Status read_messages(const json& messages, Prompt& out) {
    if (!messages.is_array() || messages.empty()) {
        return invalid_argument("\"messages\" is not a non-empty array");
    }
    for (size_t i = 0; i < messages.size(); ++i) {
        const json& m = messages[i];
        if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
            return invalid_argument(fmt::format("messages[{}] has no string \"role\"", i));
        }
        const auto content = m.find("content");
        if (content == m.end()) {
            return invalid_argument(fmt::format("messages[{}] has no \"content\"", i));
        }
        if (content->is_string()) {
            out.prompt += content->get<std::string>() + "\n";
        } else if (content->is_array()) {
            for (const json& part : *content) {
                if (part.is_object() && part.contains("text") && part["text"].is_string()) {
                    out.prompt += part["text"].get<std::string>() + "\n";
                }
            }
        } else {
            return invalid_argument(
                fmt::format("messages[{}].content is not a string or an array", i));
        }
    }
    out.messages_json = messages.dump();
    return ok_status();
}

Result<Prompt> parse_prompt_line(std::string_view line) {
    const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return invalid_argument("not valid JSON");
    if (!j.is_object()) return invalid_argument("not a JSON object");
    Prompt p;
    if (const auto it = j.find("prompt"); it != j.end()) {
        if (!it->is_string()) return invalid_argument("\"prompt\" is not a string");
        p.prompt = it->get<std::string>();
    } else if (const auto m = j.find("messages"); m != j.end()) {
        GS_RETURN_IF_ERROR(read_messages(*m, p));
    } else {
        return invalid_argument("needs a \"prompt\" or a \"messages\" field");
    }
    if (const auto it = j.find("max_tokens"); it != j.end()) {
        if (!it->is_number_integer() || it->get<int64_t>() <= 0) {
            return invalid_argument("\"max_tokens\" is not a positive integer");
        }
        p.max_tokens = it->get<int64_t>();
    }
    p.n_tokens_prompt_estimate = count_words(p.prompt);
    return p;
}

bool blank(std::string_view line) {
    return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

}  // namespace

Result<std::vector<Prompt>> parse_jsonl_prompts(std::string_view text) {
    std::vector<Prompt> prompts;
    size_t line_no = 0;
    while (!text.empty()) {
        ++line_no;
        const auto nl = text.find('\n');
        const std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (blank(line)) continue;
        auto prompt = parse_prompt_line(line);
        if (!prompt.ok()) return prompt.status().with_context(fmt::format("line {}", line_no));
        prompts.push_back(std::move(prompt).value());
    }
    return prompts;
}

Result<std::vector<Prompt>> load_jsonl_prompts(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return not_found(fmt::format("cannot open prompt dataset '{}'", path));
    std::ostringstream text;
    text << in.rdbuf();
    auto prompts = parse_jsonl_prompts(text.str());
    if (!prompts.ok()) return prompts.status().with_context(path);
    if (prompts->empty()) return invalid_argument(fmt::format("{}: no prompts", path));
    return prompts;
}

}  // namespace glmserve::bench
