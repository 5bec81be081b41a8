// API key file parsing and constant-time Bearer authentication (see api_keys.h).
//
// Nothing here writes a key, or a field that could be one, into a message: a parse error says
// "line N" and which part of the line is wrong.
#include "http/api_keys.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

namespace glmserve::http {
namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (is_blank(s.front()) || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (is_blank(s.back()) || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// Blank-separated fields, up to (not including) the first field that starts with '#'.
std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> fields;
    size_t at = 0;
    while (at < line.size()) {
        while (at < line.size() && is_blank(line[at])) ++at;
        if (at == line.size() || line[at] == '#') break;
        size_t end = at;
        while (end < line.size() && !is_blank(line[end])) ++end;
        fields.push_back(line.substr(at, end - at));
        at = end;
    }
    return fields;
}

bool is_valid_key(std::string_view key) {
    if (key.size() < ApiKeys::kMinKeyBytes || key.size() > ApiKeys::kMaxKeyBytes) return false;
    return std::all_of(key.begin(), key.end(), [](char c) { return c > ' ' && c <= '~'; });
}

bool is_valid_name(std::string_view name) {
    if (name.empty() || name.size() > ApiKeys::kMaxNameBytes) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-' || c == '.';
    });
}

std::optional<int64_t> parse_per_minute(std::string_view text) {
    int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    if (value < 0 || value > ApiKeys::kMaxPerMinute) return std::nullopt;
    return value;
}

// Applies one "attr=value" field (field number `n`, from 1) to `info`.
Status apply_attribute(std::string_view field, size_t n, KeyInfo& info, bool& seen_name) {
    const size_t eq = field.find('=');
    const std::string_view attr = eq == std::string_view::npos ? "" : field.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : field.substr(eq + 1);
    if (attr == "name") {
        if (seen_name) return invalid_argument("name= given twice");
        if (!is_valid_name(value)) {
            return invalid_argument(fmt::format(
                "name= must be 1..{} letters, digits, '_', '-' or '.'", ApiKeys::kMaxNameBytes));
        }
        seen_name = true;
        info.name = std::string(value);
        return ok_status();
    }
    if (attr == "rpm" || attr == "tpm") {
        auto& limit = attr == "rpm" ? info.requests_per_minute : info.tokens_per_minute;
        if (limit) return invalid_argument(fmt::format("{}= given twice", attr));
        limit = parse_per_minute(value);
        if (!limit) {
            return invalid_argument(
                fmt::format("{}= must be an integer in [0, {}]", attr, ApiKeys::kMaxPerMinute));
        }
        return ok_status();
    }
    return invalid_argument(
        fmt::format("field {} is not name=, rpm= or tpm= (one key per line)", n));
}

struct ParsedLine {
    std::string_view key;
    KeyInfo info;
};

// One non-comment line: the key and its attributes. `index` is the key's position.
Result<ParsedLine> parse_line(const std::vector<std::string_view>& fields, size_t index) {
    ParsedLine parsed{.key = fields[0], .info = {.index = index}};
    if (!is_valid_key(parsed.key)) {
        return invalid_argument(
            fmt::format("key must be {}..{} bytes of printable ASCII without blanks",
                        ApiKeys::kMinKeyBytes, ApiKeys::kMaxKeyBytes));
    }
    bool seen_name = false;
    for (size_t i = 1; i < fields.size(); ++i) {
        GS_RETURN_IF_ERROR(apply_attribute(fields[i], i + 1, parsed.info, seen_name));
    }
    if (!seen_name) parsed.info.name = fmt::format("key-{}", index);
    return parsed;
}

}  // namespace

ApiKeys::Digest ApiKeys::digest_of(std::string_view key) {
    Digest digest{};
    unsigned int size = 0;
    // SHA-256 of a buffer in memory only fails if the library cannot allocate a context.
    const int ok = EVP_Digest(key.data(), key.size(), digest.data(), &size, EVP_sha256(), nullptr);
    GS_CHECK(ok == 1 && size == digest.size());
    return digest;
}

Result<ApiKeys> ApiKeys::parse(std::string_view text) {
    ApiKeys keys;
    std::vector<size_t> key_lines;  // line number of each key, for duplicate messages
    size_t line_no = 0;
    while (!text.empty()) {
        const size_t newline = text.find('\n');
        const std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        ++line_no;
        const auto fields = split_fields(trim(line));
        if (fields.empty()) continue;
        auto parsed = parse_line(fields, keys.keys_.size());
        if (!parsed.ok()) return parsed.status().with_context(fmt::format("line {}", line_no));
        const Digest digest = digest_of(parsed->key);
        const auto dup = std::find(keys.digests_.begin(), keys.digests_.end(), digest);
        if (dup != keys.digests_.end()) {
            return invalid_argument(fmt::format("line {}: duplicate key (first on line {})",
                                                line_no, key_lines[dup - keys.digests_.begin()]));
        }
        keys.keys_.push_back(std::move(parsed->info));
        keys.digests_.push_back(digest);
        key_lines.push_back(line_no);
    }
    if (keys.keys_.empty()) return invalid_argument("no API keys (only blank or comment lines)");
    return keys;
}

Result<ApiKeys> ApiKeys::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return not_found(
            fmt::format("cannot open API key file {}: {}", path, std::strerror(errno)));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return internal_error(fmt::format("cannot read API key file {}", path));
    auto keys = parse(text.str());
    if (!keys.ok()) return keys.status().with_context(fmt::format("API key file {}", path));
    return keys;
}

const KeyInfo* ApiKeys::authenticate(std::string_view authorization) const {
    constexpr std::string_view kScheme = "bearer";
    const std::string_view value = trim(authorization);
    if (value.size() <= kScheme.size() || !is_blank(value[kScheme.size()])) return nullptr;
    for (size_t i = 0; i < kScheme.size(); ++i) {
        const char c = value[i];
        if ((c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) != kScheme[i]) return nullptr;
    }
    const std::string_view key = trim(value.substr(kScheme.size()));
    // The length checked here is the caller's, not a stored key's: refusing early leaks nothing.
    if (key.empty() || key.size() > kMaxKeyBytes) return nullptr;

    const Digest presented = digest_of(key);
    size_t match = keys_.size();
    for (size_t i = 0; i < digests_.size(); ++i) {
        const bool equal =
            CRYPTO_memcmp(presented.data(), digests_[i].data(), Digest{}.size()) == 0;
        match = equal ? i : match;  // no early exit: every digest is compared
    }
    return match < keys_.size() ? &keys_[match] : nullptr;
}

}  // namespace glmserve::http
