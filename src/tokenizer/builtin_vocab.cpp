// The built-in demo vocabulary: corpus, BPE training and GGUF metadata (see builtin_vocab.h).
#include "tokenizer/builtin_vocab.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "common/check.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/utf8.h"
#include "tokenizer/vocab.h"

namespace glmserve::tokenizer {
namespace {

// Written for this project. Mostly plain English about serving language models, so common
// English words and whitespace runs get their own tokens, plus a little German, French and
// Chinese so that multi-byte characters take part in training.
constexpr std::string_view kCorpus =
    R"(A language model reads text as a sequence of tokens. Before the model can
see a single word, the tokenizer cuts the text into pieces and looks each piece up in its
vocabulary. The model then predicts the next token, one step at a time, and the server turns
those tokens back into text for the user.

When the server is busy, it keeps many requests in flight at the same time. Each request has a
prompt, a number of tokens to generate, and a deadline. The scheduler decides which requests run
in the next step, and the cache keeps the keys and values of every token that has been seen, so
that the model does not have to read the whole prompt again.

The quick brown fox jumps over the lazy dog. The dog does not care; it has seen the fox before,
and it will see the fox again tomorrow. Numbers such as 2024, 3.14 and 100 appear in text too,
and so do lists: first, second, third. Is this the end of the story? Not yet!

    def add(a, b):
        return a + b

Good tests are small, fast and exact. They compare the output of the program with the output of
another program that nobody here wrote, and they fail loudly when the two do not agree.

A stream of tokens can stop for many reasons: the model writes an end token, the request reaches
its limit, the client goes away, or the operator drains the server before a restart. In every
case the server must return what it has, count what happened, and free the memory it held.

Memory is the scarce resource. A long prompt needs many pages of cache, and a page that is
shared between two requests must not be freed while either of them still reads it. Careful
accounting keeps the numbers honest: bytes in use, pages free, requests waiting, tokens per
second.

Ein Sprachmodell liest Text als eine Folge von Tokens. Le modèle de langue lit le texte comme
une suite de jetons, et le serveur les transforme en texte pour l'utilisateur.
语言模型把文本看作一串词元。服务器把词元变回文字。
)";

// GLM-4 special tokens in the order of glm-gguf.md §4.2.
constexpr std::array<std::string_view, 14> kSpecialTokens = {
    "<|endoftext|>",
    "[MASK]",
    "[gMASK]",
    "[sMASK]",
    "<sop>",
    "<eop>",
    "<|system|>",
    "<|user|>",
    "<|assistant|>",
    "<|observation|>",
    "<|begin_of_image|>",
    "<|end_of_image|>",
    "<|begin_of_video|>",
    "<|end_of_video|>",
};

// In the style of the official GLM-4 template (§5.1/§5.2), without the tool-calling branches.
constexpr std::string_view kChatTemplate =
    "[gMASK]<sop>{% for message in messages %}"
    "{% if message['role'] in ['system', 'user', 'assistant', 'observation'] %}"
    "<|{{ message['role'] }}|>\n{{ message['content'] }}"
    "{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}";

using Symbols = std::vector<std::string>;  // one pre-tokenized piece as current token strings
using Pair = std::pair<std::string, std::string>;

// Distinct pieces of the corpus (byte-level mapped, one symbol per byte) with their counts.
std::vector<std::pair<Symbols, int64_t>> corpus_words() {
    auto splitter = detail::RegexSplitter::create(detail::find_pre_tokenizer("glm4")->regex);
    GS_CHECK(splitter.ok());  // a constant pattern
    std::vector<std::string_view> pieces;
    GS_CHECK((*splitter)->split(kCorpus, pieces).ok());  // a constant, valid UTF-8 text
    std::map<std::string_view, int64_t> counts;
    for (const std::string_view piece : pieces) ++counts[piece];
    std::vector<std::pair<Symbols, int64_t>> words;
    for (const auto& [piece, count] : counts) {
        Symbols symbols;
        for (const char c : piece) {
            std::string s;
            detail::append_utf8(s, detail::byte_to_code_point(static_cast<uint8_t>(c)));
            symbols.push_back(std::move(s));
        }
        words.emplace_back(std::move(symbols), count);
    }
    return words;
}

// The most frequent adjacent pair (ties: smallest pair); nullopt when no word has two symbols.
std::optional<Pair> best_pair(const std::vector<std::pair<Symbols, int64_t>>& words) {
    std::map<Pair, int64_t> counts;
    for (const auto& [symbols, count] : words) {
        for (size_t i = 1; i < symbols.size(); ++i) counts[{symbols[i - 1], symbols[i]}] += count;
    }
    std::optional<Pair> best;
    int64_t best_count = 0;
    for (const auto& [pair, count] : counts) {  // ascending pair order: the first max wins ties
        if (count > best_count) {
            best = pair;
            best_count = count;
        }
    }
    return best;
}

void apply_merge(const Pair& merge, std::vector<std::pair<Symbols, int64_t>>& words) {
    for (auto& [symbols, count] : words) {
        Symbols merged;
        merged.reserve(symbols.size());
        for (size_t i = 0; i < symbols.size(); ++i) {
            if (i + 1 < symbols.size() && symbols[i] == merge.first &&
                symbols[i + 1] == merge.second) {
                merged.push_back(symbols[i] + symbols[i + 1]);
                ++i;
            } else {
                merged.push_back(symbols[i]);
            }
        }
        symbols = std::move(merged);
    }
}

}  // namespace

VocabSpec make_builtin_vocab(int n_merges) {
    VocabSpec spec;
    std::set<std::string> known;
    std::vector<uint32_t> byte_code_points;
    for (int b = 0; b < 256; ++b) {
        byte_code_points.push_back(detail::byte_to_code_point(static_cast<uint8_t>(b)));
    }
    std::sort(byte_code_points.begin(), byte_code_points.end());
    for (const uint32_t cp : byte_code_points) {
        std::string s;
        detail::append_utf8(s, cp);
        known.insert(s);
        spec.tokens.push_back(std::move(s));
    }
    auto words = corpus_words();
    for (int m = 0; m < n_merges; ++m) {
        const std::optional<Pair> merge = best_pair(words);
        if (!merge) break;
        spec.merges.push_back(merge->first + " " + merge->second);
        std::string joined = merge->first + merge->second;
        if (known.insert(joined).second) spec.tokens.push_back(std::move(joined));
        apply_merge(*merge, words);
    }
    spec.token_types.assign(spec.tokens.size(), static_cast<int32_t>(TokenType::Normal));
    const auto first_special = static_cast<int32_t>(spec.tokens.size());
    for (const std::string_view text : kSpecialTokens) {
        spec.tokens.emplace_back(text);
        spec.token_types.push_back(static_cast<int32_t>(TokenType::Control));
    }
    spec.eos_id = first_special + 0;  // <|endoftext|>
    spec.bos_id = first_special + 2;  // [gMASK]
    spec.eot_id = first_special + 7;  // <|user|>
    spec.pre = "glm4";
    spec.chat_template = std::string(kChatTemplate);
    return spec;
}

void write_vocab_metadata(const VocabSpec& spec, gguf::GgufWriter& writer) {
    writer.set_string("tokenizer.ggml.model", "gpt2");
    writer.set_string("tokenizer.ggml.pre", spec.pre);
    writer.set_string_array("tokenizer.ggml.tokens", spec.tokens);
    writer.set_i32_array("tokenizer.ggml.token_type", spec.token_types);
    writer.set_string_array("tokenizer.ggml.merges", spec.merges);
    writer.set_u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(spec.bos_id));
    writer.set_u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(spec.eos_id));
    writer.set_u32("tokenizer.ggml.eot_token_id", static_cast<uint32_t>(spec.eot_id));
    writer.set_u32("tokenizer.ggml.padding_token_id", static_cast<uint32_t>(spec.eos_id));
    writer.set_bool("tokenizer.ggml.add_bos_token", false);
    writer.set_string("tokenizer.chat_template", spec.chat_template);
}

}  // namespace glmserve::tokenizer
