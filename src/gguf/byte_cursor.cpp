// ByteCursor and the small helpers the GGUF reader shares: see byte_cursor.h.
#include "gguf/byte_cursor.h"

#include <fmt/format.h>

#include <algorithm>

namespace glmserve::gguf::detail {

Status ByteCursor::need(uint64_t n, std::string_view what) const {
    if (n <= remaining()) return ok_status();
    return data_loss(fmt::format("truncated file: {} needs {} bytes at offset {}, only {} left",
                                 what, n, pos_, remaining()));
}

Result<std::span<const uint8_t>> ByteCursor::bytes(uint64_t n, std::string_view what) {
    GS_RETURN_IF_ERROR(need(n, what));
    const auto out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
}

Result<std::string_view> ByteCursor::string(std::string_view what, uint64_t max_bytes) {
    const uint64_t at = pos_;
    GS_ASSIGN_OR_RETURN(const uint64_t len, read<uint64_t>(what));
    if (len > max_bytes) {
        return data_loss(
            fmt::format("{}: string length {} at offset {} exceeds the limit of {} "
                        "bytes",
                        what, len, at, max_bytes));
    }
    if (len > remaining()) {
        return data_loss(
            fmt::format("{}: string length {} at offset {} runs past the end of the "
                        "file ({} bytes left)",
                        what, len, at, remaining()));
    }
    const auto* p = reinterpret_cast<const char*>(bytes_.data() + pos_);
    pos_ += len;
    return std::string_view(p, len);
}

std::string printable(std::string_view s, size_t max_bytes) {
    std::string out;
    const size_t n = std::min(s.size(), max_bytes);
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'') {
            out += fmt::format("\\x{:02x}", c);
        } else {
            out += static_cast<char>(c);
        }
    }
    if (s.size() > max_bytes) out += "...";
    return out;
}

}  // namespace glmserve::gguf::detail
