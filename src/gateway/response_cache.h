// Response cache: exact-match LRU with a time-to-live and a byte bound, for requests whose
// answer is a function of the request alone (issue #6).
//
// Only deterministic, non-streamed requests are cacheable: temperature 0 or an integer seed,
// and no `"stream": true`. The key is the route plus the request body as canonical JSON
// (object keys sorted, no whitespace), so clients that order fields differently or
// pretty-print share entries; the model is part of the body and so of the key. The cache is
// shared across API keys: a deterministic answer does not depend on who asked.
//
// Bounds: at most max_entries entries and max_bytes bytes, counting each entry's key, body,
// content type and kEntryOverheadBytes of bookkeeping; least recently used entries go first.
// An entry bigger than max_bytes / 8 is not stored, so one huge answer cannot flush the cache.
// Only 200 answers are stored: an error is about the moment, not the request. An entry expires
// `ttl` after it was stored; expired entries are dropped when looked up or when LRU reaches
// them (no sweeper: they hold memory inside the byte bound, never beyond it).
//
// Time is passed in (`now`), never read, so tests drive it explicitly.
// Thread: thread-compatible; the caller locks (get() reorders the LRU list).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace glmserve::gateway {

using Clock = std::chrono::steady_clock;

struct CachedResponse {
    int status = 200;
    std::string content_type;
    std::string body;
};

class ResponseCache {
public:
    // Bookkeeping charged per entry on top of its strings (list and hash nodes, pointers).
    static constexpr size_t kEntryOverheadBytes = 128;

    // max_bytes 0 or max_entries 0 make a cache that stores nothing.
    ResponseCache(size_t max_bytes, Clock::duration ttl, size_t max_entries);

    // The cache key of a request to `route` with this JSON body, or nullopt when the request
    // is not cacheable (streamed, not deterministic, or not a JSON object).
    static std::optional<std::string> key_for(std::string_view route, std::string_view body_json);

    // True when a request's Cache-Control header asks to skip the cache (no-cache, no-store).
    static bool bypass_requested(std::string_view cache_control);

    // The fresh entry for `key` (counted as a hit, and now most recently used), or nullopt
    // (counted as a miss).
    std::optional<CachedResponse> get(const std::string& key, Clock::time_point now);

    // Stores `response` under `key` (replacing any entry there), evicting least recently used
    // entries to make room; skips non-200 answers and entries over max_bytes / 8.
    void put(const std::string& key, CachedResponse response, Clock::time_point now);

    int64_t hits() const { return hits_; }
    int64_t misses() const { return misses_; }
    int64_t evictions() const { return evictions_; }  // pushed out by the bounds
    size_t bytes() const { return bytes_; }
    size_t entries() const { return lru_.size(); }

private:
    struct Entry {
        std::string key;
        CachedResponse response;
        Clock::time_point expires_at;
        size_t bytes = 0;
    };
    using EntryList = std::list<Entry>;

    static size_t entry_bytes(const std::string& key, const CachedResponse& response);
    void erase(EntryList::iterator it);

    size_t max_bytes_;
    Clock::duration ttl_;
    size_t max_entries_;
    EntryList lru_;  // most recently used first
    // Keys are views of the list nodes' own `key` strings (nodes never move in a std::list).
    std::unordered_map<std::string_view, EntryList::iterator> index_;
    size_t bytes_ = 0;
    int64_t hits_ = 0;
    int64_t misses_ = 0;
    int64_t evictions_ = 0;
};

}  // namespace glmserve::gateway
