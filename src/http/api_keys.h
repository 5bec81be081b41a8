// API keys: the key file given by --api-key-file, and Bearer-token authentication against it.
//
// File format, one key per line:
//   # comment (a line whose first non-blank character is '#'; a field starting with '#'
//   # also ends the line, so "sk-... rpm=60  # team a" works)
//   sk-abc123 name=team-a rpm=60 tpm=100000
// Fields after the key are optional: name= (letters, digits, '_', '-', '.', 1..64 bytes),
// rpm= (requests per minute) and tpm= (prompt + completion tokens per minute); an absent limit
// means the server default, 0 means unlimited. Keys are printable ASCII without blanks, 8..256
// bytes, and unique. Errors name the line and never contain a key or any unrecognised field
// (a mistyped line may hold a secret).
//
// Only SHA-256 digests of the keys are kept. authenticate() hashes the presented key and
// compares it with every stored digest using CRYPTO_memcmp, without stopping at a match, so
// its timing does not depend on which key (if any) matched or on how much of it did.
// Thread: immutable after load()/parse(); every const method may be called from any thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace glmserve::http {

struct KeyInfo {
    std::string name;  // name= from the file, else "key-<index>"; safe to log and to label
    size_t index = 0;  // position among the file's keys, from 0 (RateLimiter's key_index)
    std::optional<int64_t> requests_per_minute;  // nullopt: server default; 0: unlimited
    std::optional<int64_t> tokens_per_minute;    // nullopt: server default; 0: unlimited
};

class ApiKeys {
public:
    static constexpr size_t kMinKeyBytes = 8;
    static constexpr size_t kMaxKeyBytes = 256;
    static constexpr size_t kMaxNameBytes = 64;
    static constexpr int64_t kMaxPerMinute = 1'000'000'000'000;  // rpm/tpm upper bound

    // No keys: authentication disabled (the server runs without --api-key-file).
    ApiKeys() = default;

    // Reads and parses the key file; errors carry the path. A file without any key is an
    // error rather than "auth disabled", so a truncated file cannot open the server.
    static Result<ApiKeys> load(const std::string& path);
    static Result<ApiKeys> parse(std::string_view text);

    bool enabled() const { return !keys_.empty(); }
    const std::vector<KeyInfo>& keys() const { return keys_; }

    // The key named by an Authorization header value "Bearer <key>" (scheme matched without
    // regard to case, RFC 7235 §2.1), or nullptr when the header is malformed, the key is
    // unknown or authentication is disabled. The pointer lives as long as this object.
    const KeyInfo* authenticate(std::string_view authorization) const;

private:
    using Digest = std::array<unsigned char, 32>;
    static Digest digest_of(std::string_view key);

    std::vector<KeyInfo> keys_;
    std::vector<Digest> digests_;  // digests_[i] is the SHA-256 of key i
};

}  // namespace glmserve::http
