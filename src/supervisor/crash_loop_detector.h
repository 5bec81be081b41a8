// CrashLoopDetector: decides when a child has restarted too often to keep trying.
//
// It remembers the time of each restart within the last `window`. A child that exits again
// after `max_restarts` restarts inside one window is in a crash loop: the supervisor marks it
// failed and stops restarting it (an operator must look; restarting forever only hides the
// fault and burns CPU on model loads). The count of recent restarts also drives the backoff
// exponent, so a child that stayed up longer than the window starts again from the initial
// delay.
// Memory: at most max_restarts time points.
// Thread: values, no shared state; time is passed in.
#pragma once

#include <chrono>
#include <deque>

namespace glmserve::supervisor {

using Clock = std::chrono::steady_clock;

class CrashLoopDetector {
public:
    // max_restarts >= 1 and window > 0 (GS_CHECK; the config validates them first).
    CrashLoopDetector(int max_restarts, Clock::duration window);

    // Asked when the child exited at `now`. True (and the restart is recorded) while fewer
    // than max_restarts restarts happened within the window; false means crash loop: do not
    // start the child again.
    bool try_restart(Clock::time_point now);

    // Restarts recorded within (now - window, now].
    int recent_restarts(Clock::time_point now) const;

    // Forgets the history (an operator's rolling restart gives a failed child a new chance).
    void reset();

private:
    void forget_before(Clock::time_point now);

    int max_restarts_;
    Clock::duration window_;
    std::deque<Clock::time_point> restarts_;  // oldest first
};

}  // namespace glmserve::supervisor
