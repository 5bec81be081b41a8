#include "gateway/abuse_guard.h"

#include "common/check.h"

namespace glmserve::gateway {

AbuseGuard::AbuseGuard(int max_failures, Clock::duration window, Clock::duration cooldown,
                       size_t max_tracked)
    : max_failures_(max_failures), window_(window), cooldown_(cooldown), max_tracked_(max_tracked) {
    GS_CHECK(max_failures_ >= 1);
    GS_CHECK(max_tracked_ >= 1);
}

void AbuseGuard::on_auth_failure(std::string_view address, Clock::time_point now) {
    const EntryList::iterator it = find_or_add(address);
    Entry& e = *it;
    if (e.ever_blocked && now < e.blocked_until) return;

    if (e.failures.size() == static_cast<size_t>(max_failures_)) {
        e.failures.erase(e.failures.begin());
    }
    e.failures.push_back(now);
    // max_failures failures, the oldest of them inside the window ending now.
    if (e.failures.size() == static_cast<size_t>(max_failures_) &&
        now - e.failures.front() < window_) {
        e.blocked_until = now + cooldown_;
        e.ever_blocked = true;
        e.failures.clear();
        ++blocks_started_;
    }
}

bool AbuseGuard::blocked(std::string_view address, Clock::time_point now) const {
    const auto found = index_.find(address);
    if (found == index_.end()) return false;
    const Entry& e = *found->second;
    return e.ever_blocked && now < e.blocked_until;
}

AbuseGuard::EntryList::iterator AbuseGuard::find_or_add(std::string_view address) {
    const auto found = index_.find(address);
    if (found != index_.end()) {
        lru_.splice(lru_.begin(), lru_, found->second);
        return found->second;
    }
    if (lru_.size() >= max_tracked_) {
        const EntryList::iterator oldest = std::prev(lru_.end());
        index_.erase(std::string_view(oldest->address));
        lru_.erase(oldest);
        ++evictions_;
    }
    lru_.push_front(Entry{.address = std::string(address)});
    index_.emplace(std::string_view(lru_.front().address), lru_.begin());
    return lru_.begin();
}

}  // namespace glmserve::gateway
