// Byte-level BPE (GGUF tokenizer.ggml.model = "gpt2"), after llama.cpp's llm_tokenizer_bpe.
//
// encode: the pre-tokenizer regex cuts the text into pieces; each piece starts as one symbol
// per byte (the byte's stand-in character, glm-gguf.md §4.4), then the adjacent pair with the
// lowest merge rank is merged, leftmost first on ties, until no pair has a rank (§4.5). Stale
// queue entries (a side already merged into something else) are skipped.
//
// Symbols carry token ids instead of strings: the loader checks that both sides and the result
// of every merge are tokens and that every byte has a stand-in token, so a symbol is always a
// token and "same text" is "same id". llama.cpp's per-byte fallback for a final symbol that is
// not a token can therefore never be needed.
// Thread: immutable after make_bpe_model(); encode() is safe from many threads.
#include <fmt/format.h>

#include <array>
#include <queue>

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/utf8.h"
#include "tokenizer/vocab.h"

namespace glmserve::tokenizer::detail {
namespace {

struct MergeTarget {
    int32_t rank = 0;
    int32_t result = 0;  // token id of left+right
};

uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) |
           static_cast<uint32_t>(right);
}

struct Symbol {
    int32_t id = -1;
    int32_t prev = -1;
    int32_t next = -1;
    bool alive = true;
};

struct Bigram {
    int32_t rank = 0;
    int32_t left = 0;  // symbol indices
    int32_t right = 0;
    int32_t left_id = 0;  // ids when queued, to detect stale entries
    int32_t right_id = 0;
};

// Lowest rank first; on equal rank the leftmost pair.
struct BigramAfter {
    bool operator()(const Bigram& a, const Bigram& b) const {
        return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
    }
};

class BpeModel final : public TextModel {
public:
    BpeModel(const Vocab& vocab, std::unique_ptr<RegexSplitter> splitter, bool ignore_merges)
        : vocab_(vocab), splitter_(std::move(splitter)), ignore_merges_(ignore_merges) {}

    Status load(std::span<const std::string_view> merges);

    Status encode(std::string_view text, bool starts_segment,
                  std::vector<int32_t>& out) const override;
    std::string decode_token(int32_t id) const override {
        return byte_level_decode(vocab_.text[static_cast<size_t>(id)]);
    }

private:
    void encode_piece(std::string_view piece, std::vector<int32_t>& out) const;
    void push_bigram(const std::vector<Symbol>& symbols, int32_t left, int32_t right,
                     std::priority_queue<Bigram, std::vector<Bigram>, BigramAfter>& queue) const;

    const Vocab& vocab_;  // owner: the Tokenizer that owns this model
    std::unique_ptr<RegexSplitter> splitter_;
    bool ignore_merges_ = false;
    std::array<int32_t, 256> byte_token_{};             // token id of each byte's stand-in
    std::unordered_map<uint64_t, MergeTarget> merges_;  // pair_key(left id, right id) -> merge
};

Status BpeModel::load(std::span<const std::string_view> merges) {
    for (int b = 0; b < 256; ++b) {
        std::string stand_in;
        append_utf8(stand_in, byte_to_code_point(static_cast<uint8_t>(b)));
        byte_token_[static_cast<size_t>(b)] = vocab_.find(stand_in);
        if (byte_token_[static_cast<size_t>(b)] < 0) {
            return data_loss(fmt::format(
                "tokenizer.ggml.tokens: byte-level vocabulary has no token for byte 0x{:02X} "
                "(its stand-in '{}')",
                b, stand_in));
        }
    }
    merges_.reserve(merges.size());
    for (size_t rank = 0; rank < merges.size(); ++rank) {
        const std::string_view merge = merges[rank];
        const size_t space = merge.size() > 1 ? merge.find(' ', 1) : std::string_view::npos;
        if (space == std::string_view::npos) {
            return data_loss(
                fmt::format("tokenizer.ggml.merges[{}] '{}' is not 'left right'", rank, merge));
        }
        const std::string_view left = merge.substr(0, space);
        const std::string_view right = merge.substr(space + 1);
        const std::string joined = std::string(left).append(right);
        const int32_t ids[3] = {vocab_.find(left), vocab_.find(right), vocab_.find(joined)};
        const std::string_view names[3] = {left, right, joined};
        for (int k = 0; k < 3; ++k) {
            if (ids[k] < 0) {
                return data_loss(fmt::format(
                    "tokenizer.ggml.merges[{}] '{}' refers to '{}', which is not a token", rank,
                    merge, names[k]));
            }
        }
        // The first occurrence of a pair keeps its rank (llama.cpp: bpe_ranks.emplace).
        merges_.emplace(pair_key(ids[0], ids[1]), MergeTarget{static_cast<int32_t>(rank), ids[2]});
    }
    return ok_status();
}

void BpeModel::push_bigram(
    const std::vector<Symbol>& symbols, int32_t left, int32_t right,
    std::priority_queue<Bigram, std::vector<Bigram>, BigramAfter>& queue) const {
    if (left < 0 || right < 0) return;
    const int32_t left_id = symbols[static_cast<size_t>(left)].id;
    const int32_t right_id = symbols[static_cast<size_t>(right)].id;
    const auto it = merges_.find(pair_key(left_id, right_id));
    if (it == merges_.end()) return;
    queue.push(Bigram{it->second.rank, left, right, left_id, right_id});
}

void BpeModel::encode_piece(std::string_view piece, std::vector<int32_t>& out) const {
    if (ignore_merges_) {
        const int32_t whole = vocab_.find(byte_level_encode(piece));
        if (whole >= 0) {
            out.push_back(whole);
            return;
        }
    }
    const auto n = static_cast<int32_t>(piece.size());
    std::vector<Symbol> symbols(piece.size());
    for (int32_t i = 0; i < n; ++i) {
        Symbol& s = symbols[static_cast<size_t>(i)];
        s.id = byte_token_[static_cast<uint8_t>(piece[static_cast<size_t>(i)])];
        s.prev = i - 1;
        s.next = i + 1 < n ? i + 1 : -1;
    }
    std::priority_queue<Bigram, std::vector<Bigram>, BigramAfter> queue;
    for (int32_t i = 1; i < n; ++i) push_bigram(symbols, i - 1, i, queue);
    while (!queue.empty()) {
        const Bigram b = queue.top();
        queue.pop();
        Symbol& left = symbols[static_cast<size_t>(b.left)];
        Symbol& right = symbols[static_cast<size_t>(b.right)];
        if (!left.alive || !right.alive || left.id != b.left_id || right.id != b.right_id) {
            continue;  // stale: one side has changed since this pair was queued
        }
        left.id = merges_.at(pair_key(b.left_id, b.right_id)).result;
        left.next = right.next;
        right.alive = false;
        if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = b.left;
        push_bigram(symbols, left.prev, b.left, queue);
        push_bigram(symbols, b.left, left.next, queue);
    }
    for (int32_t i = 0; i >= 0 && i < n; i = symbols[static_cast<size_t>(i)].next) {
        out.push_back(symbols[static_cast<size_t>(i)].id);
    }
}

Status BpeModel::encode(std::string_view text, bool /*starts_segment*/,
                        std::vector<int32_t>& out) const {
    std::vector<std::string_view> pieces;
    GS_RETURN_IF_ERROR(splitter_->split(text, pieces));
    for (const std::string_view piece : pieces) encode_piece(piece, out);
    return ok_status();
}

}  // namespace

Result<std::unique_ptr<TextModel>> make_bpe_model(const Vocab& vocab, const BpeParams& params) {
    GS_ASSIGN_OR_RETURN(auto splitter, RegexSplitter::create(params.regex));
    auto model = std::make_unique<BpeModel>(vocab, std::move(splitter), params.ignore_merges);
    GS_RETURN_IF_ERROR(model->load(params.merges));
    return std::unique_ptr<TextModel>(std::move(model));
}

}  // namespace glmserve::tokenizer::detail
