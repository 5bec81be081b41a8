// UTF-8 helpers and the GPT-2 byte-level mapping, shared by the tokenizer models and the
// stream decoder. Internal to tokenizer/ (namespace detail).
//
// Validity is strict: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
// U+10FFFF. Where bytes are not valid UTF-8 they are replaced one byte at a time: every byte
// that does not begin a complete, well-formed sequence becomes one U+FFFD, and scanning resumes
// at the next byte. (llama.cpp's unicode_cpts_from_utf8 also replaces byte by byte.)
//
// Byte-level mapping (../shared/reference/glm-gguf.md §4.4): bytes 0x21..0x7E, 0xA1..0xAC and
// 0xAE..0xFF map to the code point of the same value; the other 68 bytes map, in increasing
// byte order, to U+0100, U+0101, ... so that every byte has a printable stand-in.
// Thread: pure functions over immutable tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace glmserve::tokenizer::detail {

inline constexpr uint32_t kReplacementChar = 0xFFFD;
inline constexpr std::string_view kReplacementUtf8 = "\xEF\xBF\xBD";

// One decoded code point and how many bytes it took.
struct DecodedChar {
    uint32_t cp = 0;
    uint32_t n_bytes = 0;
};

// Decodes the well-formed sequence starting at text[pos]; nullopt when the bytes there are not
// a complete, valid sequence (including a truncated one at the end).
std::optional<DecodedChar> decode_utf8_at(std::string_view text, size_t pos);

// Appends the UTF-8 form of `cp` (must be <= 0x10FFFF and not a surrogate).
void append_utf8(std::string& out, uint32_t cp);

bool is_valid_utf8(std::string_view text);

// A copy of `text` with each invalid byte replaced by U+FFFD (see the file comment).
std::string sanitize_utf8(std::string_view text);

// Stream form: removes from the front of `pending` everything that is either complete UTF-8 or
// certainly invalid, and returns it as valid UTF-8 (invalid bytes become U+FFFD). A trailing
// sequence that is incomplete but could still become valid stays in `pending`, unless `final`,
// in which case it is replaced by one U+FFFD.
std::string take_complete_utf8(std::string& pending, bool final);

// Byte-level mapping: the code point standing for byte `b`, and the inverse (nullopt for a code
// point that stands for no byte).
uint32_t byte_to_code_point(uint8_t b);
std::optional<uint8_t> code_point_to_byte(uint32_t cp);

// Maps every byte of `bytes` to its stand-in character (the result is valid UTF-8).
std::string byte_level_encode(std::string_view bytes);

// Inverse of byte_level_encode for a token string. Code points that stand for no byte (never
// produced by the encoder, but possible in a hostile vocabulary) are kept as their own UTF-8;
// invalid UTF-8 in `text` is copied through unchanged.
std::string byte_level_decode(std::string_view text);

}  // namespace glmserve::tokenizer::detail
