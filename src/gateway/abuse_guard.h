// Abuse guard: an address that fails authentication max_failures times within `window` is
// refused (403) for `cooldown`, so a key-guessing client is slowed to a crawl and logged
// rather than answered at full speed (issue #6).
//
// Counting is exact: each tracked address keeps the times of its last max_failures failures,
// and a cool-down starts when the oldest of them is still inside the window at the newest.
// A cool-down clears the address's history, so once it ends the address has the full
// allowance again. Failures reported while an address is blocked are not counted (the gateway
// does not run authentication for a blocked address in the first place).
//
// Memory is bounded by max_tracked addresses, each holding at most max_failures time points.
// When a new address would go past the bound, the address whose latest failure is the oldest
// is forgotten. Simplification: a client with very many
// source addresses (an IPv6 /64) can push blocked addresses out this way; the per-key rate
// limits and the connection limit still bound what it can do.
//
// Time is passed in (`now`), never read, so tests drive it explicitly.
// Thread: thread-compatible; the caller locks (blocked() is const and only reads).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace glmserve::gateway {

using Clock = std::chrono::steady_clock;

class AbuseGuard {
public:
    // max_failures >= 1 and max_tracked >= 1 (GS_CHECK): config parsing reports bad values.
    AbuseGuard(int max_failures, Clock::duration window, Clock::duration cooldown,
               size_t max_tracked);

    // Records one failed authentication from `address`; may start its cool-down.
    void on_auth_failure(std::string_view address, Clock::time_point now);

    // Is `address` in a cool-down at `now`?
    bool blocked(std::string_view address, Clock::time_point now) const;

    // Cool-downs started since construction (a metric and a log line each, at the caller).
    int64_t blocks_started() const { return blocks_started_; }
    // Addresses currently remembered (<= max_tracked).
    size_t tracked() const { return lru_.size(); }
    // Addresses forgotten to keep within max_tracked.
    int64_t evictions() const { return evictions_; }

private:
    struct Entry {
        std::string address;
        // Times of the latest failures, oldest first, at most max_failures of them.
        std::vector<Clock::time_point> failures;
        Clock::time_point blocked_until{};
        bool ever_blocked = false;
    };
    using EntryList = std::list<Entry>;

    EntryList::iterator find_or_add(std::string_view address);

    int max_failures_;
    Clock::duration window_;
    Clock::duration cooldown_;
    size_t max_tracked_;
    EntryList lru_;  // most recent failure first
    // Keys are views of the list nodes' own `address` strings (nodes never move in a list).
    std::unordered_map<std::string_view, EntryList::iterator> index_;
    int64_t blocks_started_ = 0;
    int64_t evictions_ = 0;
};

}  // namespace glmserve::gateway
