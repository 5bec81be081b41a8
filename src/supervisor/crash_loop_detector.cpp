// CrashLoopDetector (see crash_loop_detector.h): a deque of restart times, never longer than
// max_restarts.
#include "supervisor/crash_loop_detector.h"

#include <algorithm>

#include "common/check.h"

namespace glmserve::supervisor {

CrashLoopDetector::CrashLoopDetector(int max_restarts, Clock::duration window)
    : max_restarts_(max_restarts), window_(window) {
    GS_CHECK(max_restarts_ >= 1);
    GS_CHECK(window_ > Clock::duration::zero());
}

void CrashLoopDetector::forget_before(Clock::time_point now) {
    while (!restarts_.empty() && restarts_.front() <= now - window_) restarts_.pop_front();
}

bool CrashLoopDetector::try_restart(Clock::time_point now) {
    forget_before(now);
    // The deque never holds more than max_restarts entries: a full one refuses.
    if (static_cast<int>(restarts_.size()) >= max_restarts_) return false;
    restarts_.push_back(now);
    return true;
}

int CrashLoopDetector::recent_restarts(Clock::time_point now) const {
    return static_cast<int>(std::count_if(restarts_.begin(), restarts_.end(),
                                          [&](Clock::time_point t) { return t > now - window_; }));
}

void CrashLoopDetector::reset() {
    restarts_.clear();
}

}  // namespace glmserve::supervisor
