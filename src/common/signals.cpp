#include "common/signals.h"

namespace glmserve {

sigset_t signal_set(std::initializer_list<int> signals) {
    sigset_t set;
    sigemptyset(&set);
    for (const int sig : signals) sigaddset(&set, sig);
    return set;
}

int wait_for_signal(const sigset_t& set, std::chrono::milliseconds wait) {
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(wait);
    timespec timeout{
        .tv_sec = s.count(),
        .tv_nsec = std::chrono::duration_cast<std::chrono::nanoseconds>(wait - s).count()};
    const int sig = sigtimedwait(&set, nullptr, &timeout);
    return sig > 0 ? sig : 0;
}

}  // namespace glmserve
