// Tokenizer at run time: special-token partitioning, encode, decode and the accessors.
// Loading from GGUF metadata is in tokenizer_load.cpp. See tokenizer.h for the contract.
#include "tokenizer/tokenizer.h"

#include <algorithm>

#include "tokenizer/utf8.h"

namespace glmserve::tokenizer {

Tokenizer::~Tokenizer() = default;

// After llama.cpp's tokenizer_st_partition: each matchable special token, longest first, is
// searched in every plain-text fragment left so far and splits it at each occurrence.
std::vector<Tokenizer::Fragment> Tokenizer::partition(std::string_view text,
                                                      bool parse_special) const {
    std::vector<Fragment> fragments;
    if (text.empty()) return fragments;
    fragments.push_back(Fragment{-1, 0, text.size()});
    std::vector<Fragment> next;
    for (const int32_t id : specials_) {
        const TokenType type = vocab_.type[static_cast<size_t>(id)];
        if (!parse_special && (type == TokenType::Control || type == TokenType::Unknown)) continue;
        const std::string_view needle = vocab_.text[static_cast<size_t>(id)];
        if (text.find(needle) == std::string_view::npos) continue;
        next.clear();
        for (const Fragment& f : fragments) {
            if (f.id >= 0) {
                next.push_back(f);
                continue;
            }
            const std::string_view run = text.substr(f.offset, f.n_bytes);
            size_t pos = 0;
            for (size_t hit = run.find(needle); hit != std::string_view::npos;
                 hit = run.find(needle, pos)) {
                if (hit > pos) next.push_back(Fragment{-1, f.offset + pos, hit - pos});
                next.push_back(Fragment{id, f.offset + hit, needle.size()});
                pos = hit + needle.size();
            }
            if (pos < run.size()) next.push_back(Fragment{-1, f.offset + pos, run.size() - pos});
        }
        fragments.swap(next);
    }
    return fragments;
}

Result<std::vector<int32_t>> Tokenizer::encode(std::string_view text,
                                               const EncodeOptions& options) const {
    std::string sanitized;
    if (!detail::is_valid_utf8(text)) {
        sanitized = detail::sanitize_utf8(text);
        text = sanitized;
    }
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 4);
    if (options.add_special && add_bos_) out.push_back(bos_id_);
    bool starts_segment = true;
    for (const Fragment& f : partition(text, options.parse_special)) {
        if (f.id >= 0) {
            out.push_back(f.id);
            starts_segment = true;
            continue;
        }
        GS_RETURN_IF_ERROR(model_->encode(text.substr(f.offset, f.n_bytes), starts_segment, out));
        starts_segment = false;
    }
    if (options.add_special && add_eos_) out.push_back(eos_id_);
    return out;
}

std::string Tokenizer::token_bytes(int32_t id, bool render_special) const {
    if (!valid_id(id)) return {};
    const TokenType type = vocab_.type[static_cast<size_t>(id)];
    if (!render_special && (type == TokenType::Control || type == TokenType::Unknown)) return {};
    return pieces_[static_cast<size_t>(id)];
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool render_special) const {
    std::string out;
    bool strip = strip_leading_space_;
    for (const int32_t id : ids) {
        std::string piece = token_bytes(id, render_special);
        if (strip && !(bos_id_ >= 0 && id == bos_id_)) {
            // The space SentencePiece put in front of the text (see tokenizer.h).
            if (!piece.empty() && piece.front() == ' ') piece.erase(0, 1);
            strip = false;
        }
        out += piece;
    }
    return out;
}

int32_t Tokenizer::n_vocab() const {
    return vocab_.n_tokens();
}

TokenType Tokenizer::token_type(int32_t id) const {
    return valid_id(id) ? vocab_.type[static_cast<size_t>(id)] : TokenType::Undefined;
}

std::string_view Tokenizer::token_text(int32_t id) const {
    return valid_id(id) ? std::string_view(vocab_.text[static_cast<size_t>(id)])
                        : std::string_view();
}

std::optional<int32_t> Tokenizer::find_token(std::string_view text) const {
    const int32_t id = vocab_.find(text);
    if (id < 0) return std::nullopt;
    return id;
}

bool Tokenizer::is_end_of_generation(int32_t id) const {
    return std::binary_search(end_of_generation_.begin(), end_of_generation_.end(), id);
}

}  // namespace glmserve::tokenizer
