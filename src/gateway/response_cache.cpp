#include "gateway/response_cache.h"

#include <cctype>
#include <nlohmann/json.hpp>

namespace glmserve::gateway {
namespace {

bool is_deterministic(const nlohmann::json& body) {
    const auto temperature = body.find("temperature");
    if (temperature != body.end() && temperature->is_number() &&
        temperature->get<double>() == 0.0) {
        return true;
    }
    const auto seed = body.find("seed");
    return seed != body.end() && seed->is_number_integer();
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

ResponseCache::ResponseCache(size_t max_bytes, Clock::duration ttl, size_t max_entries)
    : max_bytes_(max_bytes), ttl_(ttl), max_entries_(max_entries) {}

std::optional<std::string> ResponseCache::key_for(std::string_view route,
                                                  std::string_view body_json) {
    const nlohmann::json body =
        nlohmann::json::parse(body_json, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object()) return std::nullopt;  // also a parse error (discarded value)
    const auto stream = body.find("stream");
    if (stream != body.end() && !(stream->is_boolean() && !stream->get<bool>())) {
        return std::nullopt;  // streamed, or a value the replica will reject anyway
    }
    if (!is_deterministic(body)) return std::nullopt;
    // nlohmann::json keeps object keys in a std::map, so dump() is already canonical: keys
    // sorted, no whitespace. Invalid UTF-8 is replaced rather than thrown on.
    std::string key(route);
    key += '\n';
    key += body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return key;
}

bool ResponseCache::bypass_requested(std::string_view cache_control) {
    while (!cache_control.empty()) {
        const size_t comma = cache_control.find(',');
        std::string_view directive = trim(cache_control.substr(0, comma));
        // "no-cache" may carry a field list (no-cache="set-cookie"); it still means no-cache.
        directive = trim(directive.substr(0, directive.find('=')));
        if (iequals(directive, "no-cache") || iequals(directive, "no-store")) return true;
        if (comma == std::string_view::npos) break;
        cache_control.remove_prefix(comma + 1);
    }
    return false;
}

std::optional<CachedResponse> ResponseCache::get(const std::string& key, Clock::time_point now) {
    const auto found = index_.find(std::string_view(key));
    if (found == index_.end()) {
        ++misses_;
        return std::nullopt;
    }
    const EntryList::iterator it = found->second;
    if (now >= it->expires_at) {
        erase(it);
        ++misses_;
        return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, it);
    ++hits_;
    return it->response;
}

void ResponseCache::put(const std::string& key, CachedResponse response, Clock::time_point now) {
    if (response.status != 200) return;
    const size_t size = entry_bytes(key, response);
    if (size > max_bytes_ / 8 || max_entries_ == 0) return;

    const auto found = index_.find(std::string_view(key));
    if (found != index_.end()) erase(found->second);
    while (!lru_.empty() && (bytes_ + size > max_bytes_ || lru_.size() >= max_entries_)) {
        erase(std::prev(lru_.end()));
        ++evictions_;
    }
    lru_.push_front(Entry{
        .key = key, .response = std::move(response), .expires_at = now + ttl_, .bytes = size});
    index_.emplace(std::string_view(lru_.front().key), lru_.begin());
    bytes_ += size;
}

size_t ResponseCache::entry_bytes(const std::string& key, const CachedResponse& response) {
    return kEntryOverheadBytes + key.size() + response.content_type.size() + response.body.size();
}

void ResponseCache::erase(EntryList::iterator it) {
    bytes_ -= it->bytes;
    index_.erase(std::string_view(it->key));
    lru_.erase(it);
}

}  // namespace glmserve::gateway
