// SentencePiece (GGUF tokenizer.ggml.model = "llama"), after llama.cpp's llm_tokenizer_spm.
//
// encode: spaces become U+2581 "▁", and a segment that starts the input or follows a special
// token gets one "▁" in front (add_space_prefix). The text starts as one symbol per UTF-8
// character; every adjacent pair whose concatenation is a token is queued with that token's
// score, and the highest score is merged first (on equal scores the leftmost pair), re-queuing
// the new neighbours, until nothing merges (glm-gguf.md §4.9). A final symbol that is not a
// token is emitted byte by byte as <0xXX> tokens, or as the unknown token when the vocabulary
// has no such byte token.
//
// decode: "▁" becomes a space, <0xXX> tokens become their byte.
// Thread: immutable after make_spm_model(); encode() is safe from many threads.
#include <fmt/format.h>

#include <array>
#include <queue>

#include "tokenizer/utf8.h"
#include "tokenizer/vocab.h"

namespace glmserve::tokenizer::detail {
namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581

struct Symbol {
    size_t offset = 0;   // into the escaped segment
    size_t n_bytes = 0;  // 0 once merged into its left neighbour
    int32_t prev = -1;
    int32_t next = -1;
};

struct Bigram {
    float score = 0.0f;
    int32_t left = 0;
    int32_t right = 0;
    size_t n_bytes = 0;  // left + right when queued; a mismatch later means stale
};

// Highest score first; on equal scores the leftmost pair.
struct BigramBefore {
    bool operator()(const Bigram& a, const Bigram& b) const {
        return a.score < b.score || (a.score == b.score && a.left > b.left);
    }
};

using BigramQueue = std::priority_queue<Bigram, std::vector<Bigram>, BigramBefore>;

std::optional<uint8_t> parse_byte_token(std::string_view text) {
    if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return std::nullopt;
    int value = 0;
    for (size_t k = 3; k < 5; ++k) {
        const char c = text[k];
        int digit = -1;
        if (c >= '0' && c <= '9') digit = c - '0';
        if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
        if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
        if (digit < 0) return std::nullopt;
        value = value * 16 + digit;
    }
    return static_cast<uint8_t>(value);
}

class SpmModel final : public TextModel {
public:
    SpmModel(const Vocab& vocab, SpmParams params) : vocab_(vocab), params_(std::move(params)) {
        for (int b = 0; b < 256; ++b) {
            byte_token_[static_cast<size_t>(b)] = vocab_.find(fmt::format("<0x{:02X}>", b));
        }
    }

    Status encode(std::string_view text, bool starts_segment,
                  std::vector<int32_t>& out) const override;
    std::string decode_token(int32_t id) const override;

private:
    void push_bigram(std::string_view escaped, const std::vector<Symbol>& symbols, int32_t left,
                     int32_t right, BigramQueue& queue) const;
    Status emit(std::string_view piece, std::vector<int32_t>& out) const;

    const Vocab& vocab_;  // owner: the Tokenizer that owns this model
    SpmParams params_;
    std::array<int32_t, 256> byte_token_{};  // id of "<0xXX>", or -1
};

void SpmModel::push_bigram(std::string_view escaped, const std::vector<Symbol>& symbols,
                           int32_t left, int32_t right, BigramQueue& queue) const {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[static_cast<size_t>(left)];
    const Symbol& r = symbols[static_cast<size_t>(right)];
    const size_t n_bytes = l.n_bytes + r.n_bytes;
    const int32_t id = vocab_.find(escaped.substr(l.offset, n_bytes));
    if (id < 0) return;
    queue.push(Bigram{params_.scores[static_cast<size_t>(id)], left, right, n_bytes});
}

Status SpmModel::emit(std::string_view piece, std::vector<int32_t>& out) const {
    const int32_t id = vocab_.find(piece);
    if (id >= 0) {
        out.push_back(id);
        return ok_status();
    }
    for (const char c : piece) {
        const int32_t byte_id = byte_token_[static_cast<uint8_t>(c)];
        if (byte_id >= 0) {
            out.push_back(byte_id);
        } else if (params_.unknown_id >= 0) {
            out.push_back(params_.unknown_id);
        } else {
            return failed_precondition(fmt::format(
                "SentencePiece vocabulary has no token for byte 0x{:02X}, no <0x{:02X}> byte "
                "token and no unknown token",
                static_cast<uint8_t>(c), static_cast<uint8_t>(c)));
        }
    }
    return ok_status();
}

Status SpmModel::encode(std::string_view text, bool starts_segment,
                        std::vector<int32_t>& out) const {
    std::string escaped;
    escaped.reserve(text.size() + 8);
    if (params_.add_space_prefix && starts_segment) escaped.append(kSpaceMark);
    for (const char c : text) {
        if (c == ' ') {
            escaped.append(kSpaceMark);
        } else {
            escaped += c;
        }
    }
    std::vector<Symbol> symbols;
    for (size_t pos = 0; pos < escaped.size();) {
        const auto ch = decode_utf8_at(escaped, pos);
        const size_t n = ch ? ch->n_bytes : 1;  // the caller passes valid UTF-8
        const auto index = static_cast<int32_t>(symbols.size());
        symbols.push_back(Symbol{pos, n, index - 1, -1});
        if (index > 0) symbols[static_cast<size_t>(index - 1)].next = index;
        pos += n;
    }
    BigramQueue queue;
    const auto n_symbols = static_cast<int32_t>(symbols.size());
    for (int32_t i = 1; i < n_symbols; ++i) push_bigram(escaped, symbols, i - 1, i, queue);
    while (!queue.empty()) {
        const Bigram b = queue.top();
        queue.pop();
        Symbol& left = symbols[static_cast<size_t>(b.left)];
        Symbol& right = symbols[static_cast<size_t>(b.right)];
        if (left.n_bytes == 0 || right.n_bytes == 0 || left.n_bytes + right.n_bytes != b.n_bytes) {
            continue;  // stale
        }
        left.n_bytes += right.n_bytes;
        right.n_bytes = 0;
        left.next = right.next;
        if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = b.left;
        push_bigram(escaped, symbols, left.prev, b.left, queue);
        push_bigram(escaped, symbols, b.left, left.next, queue);
    }
    for (int32_t i = n_symbols > 0 ? 0 : -1; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
        const Symbol& s = symbols[static_cast<size_t>(i)];
        GS_RETURN_IF_ERROR(emit(std::string_view(escaped).substr(s.offset, s.n_bytes), out));
    }
    return ok_status();
}

std::string SpmModel::decode_token(int32_t id) const {
    const std::string_view text = vocab_.text[static_cast<size_t>(id)];
    if (vocab_.type[static_cast<size_t>(id)] == TokenType::Byte) {
        if (const auto b = parse_byte_token(text)) return std::string(1, static_cast<char>(*b));
    }
    std::string out;
    out.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        if (text.substr(pos, kSpaceMark.size()) == kSpaceMark) {
            out += ' ';
            pos += kSpaceMark.size();
        } else {
            out += text[pos++];
        }
    }
    return out;
}

}  // namespace

Result<std::unique_ptr<TextModel>> make_spm_model(const Vocab& vocab, SpmParams params) {
    if (params.scores.size() != vocab.text.size()) {
        return data_loss(fmt::format("tokenizer.ggml.scores has {} entries but there are {} tokens",
                                     params.scores.size(), vocab.text.size()));
    }
    return std::unique_ptr<TextModel>(std::make_unique<SpmModel>(vocab, std::move(params)));
}

}  // namespace glmserve::tokenizer::detail
