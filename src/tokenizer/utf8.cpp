// UTF-8 validation/replacement and the GPT-2 byte-level mapping (see utf8.h).
//
// Well-formed sequences follow RFC 3629 / Unicode Table 3-7: the second byte of a sequence
// led by E0, ED, F0 or F4 has a narrower range than 80..BF, which is what excludes overlong
// forms, surrogates and code points above U+10FFFF.
#include "tokenizer/utf8.h"

#include <array>

namespace glmserve::tokenizer::detail {
namespace {

// For a lead byte: the sequence length and the allowed range of the second byte.
// n_bytes == 0 means the byte can never start a sequence.
struct LeadInfo {
    uint32_t n_bytes = 0;
    uint8_t second_lo = 0x80;
    uint8_t second_hi = 0xBF;
};

LeadInfo lead_info(uint8_t b) {
    if (b < 0x80) return {1, 0, 0};
    if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
    if (b == 0xE0) return {3, 0xA0, 0xBF};
    if (b == 0xED) return {3, 0x80, 0x9F};
    if (b >= 0xE1 && b <= 0xEF) return {3, 0x80, 0xBF};
    if (b == 0xF0) return {4, 0x90, 0xBF};
    if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
    if (b == 0xF4) return {4, 0x80, 0x8F};
    return {};
}

bool is_continuation(uint8_t b) {
    return (b & 0xC0) == 0x80;
}

// True when text[pos..] is a proper prefix of some well-formed sequence (so more bytes could
// complete it).
bool is_incomplete_prefix(std::string_view text, size_t pos) {
    const auto lead = static_cast<uint8_t>(text[pos]);
    const LeadInfo info = lead_info(lead);
    const size_t n_left = text.size() - pos;
    if (info.n_bytes < 2 || n_left >= info.n_bytes) return false;
    for (size_t k = 1; k < n_left; ++k) {
        const auto b = static_cast<uint8_t>(text[pos + k]);
        const bool ok = k == 1 ? (b >= info.second_lo && b <= info.second_hi) : is_continuation(b);
        if (!ok) return false;
    }
    return true;
}

struct ByteTables {
    std::array<uint32_t, 256> to_cp{};
    std::array<int16_t, 0x144> from_cp{};  // every stand-in is below U+0144; -1 = none
};

ByteTables build_byte_tables() {
    ByteTables t;
    t.from_cp.fill(-1);
    uint32_t next_extra = 0x100;
    for (uint32_t b = 0; b < 256; ++b) {
        const bool same = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
        t.to_cp[b] = same ? b : next_extra++;
        t.from_cp[t.to_cp[b]] = static_cast<int16_t>(b);
    }
    return t;
}

const ByteTables& byte_tables() {
    static const ByteTables tables = build_byte_tables();
    return tables;
}

}  // namespace

std::optional<DecodedChar> decode_utf8_at(std::string_view text, size_t pos) {
    if (pos >= text.size()) return std::nullopt;
    const auto lead = static_cast<uint8_t>(text[pos]);
    const LeadInfo info = lead_info(lead);
    if (info.n_bytes == 0 || text.size() - pos < info.n_bytes) return std::nullopt;
    if (info.n_bytes == 1) return DecodedChar{lead, 1};
    const auto second = static_cast<uint8_t>(text[pos + 1]);
    if (second < info.second_lo || second > info.second_hi) return std::nullopt;
    uint32_t cp = lead & (0xFFu >> (info.n_bytes + 1));
    cp = (cp << 6) | (second & 0x3Fu);
    for (uint32_t k = 2; k < info.n_bytes; ++k) {
        const auto b = static_cast<uint8_t>(text[pos + k]);
        if (!is_continuation(b)) return std::nullopt;
        cp = (cp << 6) | (b & 0x3Fu);
    }
    return DecodedChar{cp, info.n_bytes};
}

void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

bool is_valid_utf8(std::string_view text) {
    size_t pos = 0;
    while (pos < text.size()) {
        if (static_cast<uint8_t>(text[pos]) < 0x80) {
            ++pos;
            continue;
        }
        const auto ch = decode_utf8_at(text, pos);
        if (!ch) return false;
        pos += ch->n_bytes;
    }
    return true;
}

std::string sanitize_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    while (pos < text.size()) {
        const auto ch = decode_utf8_at(text, pos);
        if (ch) {
            out.append(text.substr(pos, ch->n_bytes));
            pos += ch->n_bytes;
        } else {
            out.append(kReplacementUtf8);
            ++pos;
        }
    }
    return out;
}

std::string take_complete_utf8(std::string& pending, bool final) {
    std::string out;
    const std::string_view text = pending;
    size_t pos = 0;
    while (pos < text.size()) {
        const auto ch = decode_utf8_at(text, pos);
        if (ch) {
            out.append(text.substr(pos, ch->n_bytes));
            pos += ch->n_bytes;
        } else if (is_incomplete_prefix(text, pos)) {
            if (!final) break;
            out.append(kReplacementUtf8);  // one U+FFFD for the whole truncated sequence
            pos = text.size();
        } else {
            out.append(kReplacementUtf8);
            ++pos;
        }
    }
    pending.erase(0, pos);
    return out;
}

uint32_t byte_to_code_point(uint8_t b) {
    return byte_tables().to_cp[b];
}

std::optional<uint8_t> code_point_to_byte(uint32_t cp) {
    const ByteTables& t = byte_tables();
    if (cp >= t.from_cp.size() || t.from_cp[cp] < 0) return std::nullopt;
    return static_cast<uint8_t>(t.from_cp[cp]);
}

std::string byte_level_encode(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) append_utf8(out, byte_to_code_point(static_cast<uint8_t>(c)));
    return out;
}

std::string byte_level_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    while (pos < text.size()) {
        const auto ch = decode_utf8_at(text, pos);
        if (!ch) {
            out += text[pos++];
            continue;
        }
        if (const auto b = code_point_to_byte(ch->cp)) {
            out += static_cast<char>(*b);
        } else {
            out.append(text.substr(pos, ch->n_bytes));
        }
        pos += ch->n_bytes;
    }
    return out;
}

}  // namespace glmserve::tokenizer::detail
