// The pre-tokenizer table and the PCRE2 splitter (see pre_tokenizer.h).
//
// Simplification: llama.cpp's "default" pre-tokenizer is a chain of four regexes applied one
// after the other; we use GPT-2's single pattern for it instead, which is what most vocabularies
// that lack `tokenizer.ggml.pre` were trained with. The loader reports a warning in that case.
#include "tokenizer/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <fmt/format.h>
#include <pcre2.h>

#include <array>
#include <memory>
#include <string>

#include "tokenizer/utf8.h"

namespace glmserve::tokenizer::detail {
namespace {

// GPT-2's encoder.py pattern.
constexpr std::string_view kGpt2Regex =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

// cl100k / Llama-3 / GLM-4 (glm-gguf.md §4.3), with the case-insensitive contraction group
// spelled out as llama.cpp stores it: (?i) would also let 'ſ' (U+017F) match 's'.
constexpr std::string_view kLlama3Regex =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|)"
    R"(\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Qwen2: as Llama-3, but every digit is its own piece.
constexpr std::string_view kQwen2Regex =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|)"
    R"(\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

struct PreTokenizerRow {
    std::string_view alias;  // a value of tokenizer.ggml.pre
    PreTokenizerSpec spec;
};

// The per-pre-tokenizer choices, in one place. add_bos and ignore_merges follow llama.cpp's
// llama_vocab::load (Llama-3 adds BOS and skips merges for whole-token pieces; GLM-4 adds
// nothing: its chat template carries [gMASK]<sop>, glm-gguf.md §4.7).
constexpr std::array<PreTokenizerRow, 8> kPreTokenizers = {{
    {"default", {"default", kGpt2Regex, false, false}},
    {"gpt-2", {"gpt-2", kGpt2Regex, false, false}},
    {"llama-bpe", {"llama3", kLlama3Regex, true, true}},
    {"llama3", {"llama3", kLlama3Regex, true, true}},
    {"llama-v3", {"llama3", kLlama3Regex, true, true}},
    {"chatglm-bpe", {"glm4", kLlama3Regex, false, false}},
    {"glm4", {"glm4", kLlama3Regex, false, false}},
    {"qwen2", {"qwen2", kQwen2Regex, false, false}},
}};

}  // namespace

const PreTokenizerSpec* find_pre_tokenizer(std::string_view pre_name) {
    for (const PreTokenizerRow& row : kPreTokenizers) {
        if (row.alias == pre_name) return &row.spec;
    }
    return nullptr;
}

const PreTokenizerSpec& default_pre_tokenizer() {
    return kPreTokenizers[0].spec;
}

struct RegexSplitter::Code {
    pcre2_code* code = nullptr;
    ~Code() { pcre2_code_free(code); }
};

namespace {

struct MatchDataDeleter {
    void operator()(pcre2_match_data* md) const { pcre2_match_data_free(md); }
};
using MatchData = std::unique_ptr<pcre2_match_data, MatchDataDeleter>;

std::string pcre2_message(int error_code) {
    std::array<PCRE2_UCHAR, 256> buf{};
    const int n = pcre2_get_error_message(error_code, buf.data(), buf.size());
    if (n < 0) return fmt::format("PCRE2 error {}", error_code);
    return std::string(reinterpret_cast<const char*>(buf.data()), static_cast<size_t>(n));
}

// Length of the UTF-8 character at text[pos] (text is valid UTF-8).
size_t char_len_at(std::string_view text, size_t pos) {
    const auto ch = decode_utf8_at(text, pos);
    return ch ? ch->n_bytes : 1;
}

}  // namespace

RegexSplitter::RegexSplitter(std::unique_ptr<Code> code, bool jit)
    : code_(std::move(code)), jit_(jit) {}

RegexSplitter::~RegexSplitter() = default;

Result<std::unique_ptr<RegexSplitter>> RegexSplitter::create(std::string_view pattern) {
    int error_code = 0;
    PCRE2_SIZE error_offset = 0;
    auto code = std::make_unique<Code>();
    code->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                               PCRE2_UTF | PCRE2_UCP, &error_code, &error_offset, nullptr);
    if (code->code == nullptr) {
        return invalid_argument(fmt::format("pre-tokenizer regex does not compile at offset {}: {}",
                                            error_offset, pcre2_message(error_code)));
    }
    // JIT is an optimisation only: when the platform lacks it, matching uses the interpreter.
    const bool jit = pcre2_jit_compile(code->code, PCRE2_JIT_COMPLETE) == 0;
    return std::make_unique<RegexSplitter>(std::move(code), jit);
}

Status RegexSplitter::split(std::string_view text, std::vector<std::string_view>& out) const {
    if (!is_valid_utf8(text)) return invalid_argument("pre-tokenizer input is not valid UTF-8");
    MatchData md(pcre2_match_data_create_from_pattern(code_->code, nullptr));
    if (!md) return resource_exhausted("pre-tokenizer: out of memory for match data");
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    // The UTF check was done once above; PCRE2 would otherwise redo it for every match.
    uint32_t options = PCRE2_NO_UTF_CHECK;
    size_t pos = 0;
    while (pos < text.size()) {
        const int rc =
            pcre2_match(code_->code, subject, text.size(), pos, options, md.get(), nullptr);
        if (rc == PCRE2_ERROR_NOMATCH) {
            out.push_back(text.substr(pos));
            break;
        }
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT && (options & PCRE2_NO_JIT) == 0) {
            options |= PCRE2_NO_JIT;  // the interpreter keeps its backtracking state on the heap
            continue;
        }
        if (rc < 0) {
            return resource_exhausted("pre-tokenizer regex failed: " + pcre2_message(rc));
        }
        const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(md.get());
        const size_t start = ovector[0];
        size_t end = ovector[1];
        if (start > pos) out.push_back(text.substr(pos, start - pos));
        if (end == start) end = start + char_len_at(text, start);  // never loop on an empty match
        out.push_back(text.substr(start, end - start));
        pos = end;
    }
    return ok_status();
}

}  // namespace glmserve::tokenizer::detail
