// ByteCursor: a bounded little-endian reader over untrusted bytes (the GGUF reader's only way
// to look at a file).
//
// Every read checks the bytes left first and returns DataLoss naming what was being read and
// where, so the parser above never indexes past the end and never needs to think about it.
// Lengths read from the file are checked against both a hard cap and the bytes left before
// anything is sized from them. Host byte order must be little-endian (checked at compile time),
// so fixed-size values are plain memcpy loads.
// Thread: a value type; one owner.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "common/status.h"

namespace glmserve::gguf::detail {

static_assert(std::endian::native == std::endian::little,
              "the GGUF reader loads little-endian fields with memcpy");

class ByteCursor {
public:
    explicit ByteCursor(std::span<const uint8_t> bytes) : bytes_(bytes) {}

    uint64_t offset() const { return pos_; }
    uint64_t remaining() const { return bytes_.size() - pos_; }

    // One fixed-size little-endian value; `what` names it in the error ("tensor_count").
    template <typename T>
    Result<T> read(std::string_view what) {
        static_assert(std::is_trivially_copyable_v<T>);
        GS_RETURN_IF_ERROR(need(sizeof(T), what));
        T out;
        std::memcpy(&out, bytes_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return out;
    }

    // `n` raw bytes as a view into the underlying buffer.
    Result<std::span<const uint8_t>> bytes(uint64_t n, std::string_view what);

    // A GGUF string: uint64 length, then that many bytes (no terminator). The length must be at
    // most `max_bytes` and fit in the bytes left.
    Result<std::string_view> string(std::string_view what, uint64_t max_bytes);

    // DataLoss unless at least n bytes are left.
    Status need(uint64_t n, std::string_view what) const;

private:
    std::span<const uint8_t> bytes_;
    uint64_t pos_ = 0;
};

// `s` made safe to print inside '...' in an error message: control and non-ASCII bytes become
// \xNN, and it is cut after max_bytes (names in hostile files may be anything).
std::string printable(std::string_view s, size_t max_bytes = 96);

// *out = a * b (or a + b); false when the result overflows uint64.
inline bool checked_mul(uint64_t a, uint64_t b, uint64_t* out) {
    return !__builtin_mul_overflow(a, b, out);
}
inline bool checked_add(uint64_t a, uint64_t b, uint64_t* out) {
    return !__builtin_add_overflow(a, b, out);
}

}  // namespace glmserve::gguf::detail
