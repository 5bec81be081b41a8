// Backoff (see backoff.h): the delay arithmetic is done in double nanoseconds and capped
// before converting back, so no crash history can overflow a duration.
#include "supervisor/backoff.h"

#include <algorithm>
#include <cmath>

#include "common/check.h"

namespace glmserve::supervisor {

Status validate_backoff(const BackoffOptions& options) {
    if (options.initial <= Clock::duration::zero()) {
        return invalid_argument("restart.initial: must be > 0");
    }
    if (options.max < options.initial) {
        return invalid_argument("restart.max: must be >= restart.initial");
    }
    if (!std::isfinite(options.multiplier) || options.multiplier < 1.0) {
        return invalid_argument("restart.multiplier: must be a finite number >= 1");
    }
    if (!std::isfinite(options.jitter) || options.jitter < 0.0 || options.jitter > 1.0) {
        return invalid_argument("restart.jitter: must be in [0, 1]");
    }
    return ok_status();
}

Backoff::Backoff(BackoffOptions options) : options_(options) {
    GS_CHECK(validate_backoff(options_).ok());
}

Clock::duration Backoff::base_delay(int n_restarts_before) const {
    const double max_ns = std::chrono::duration<double, std::nano>(options_.max).count();
    const double initial_ns = std::chrono::duration<double, std::nano>(options_.initial).count();
    // Computed in double and capped before converting back, so a long crash history cannot
    // overflow the integer duration (multiplier^n grows without bound).
    const double grown = initial_ns * std::pow(options_.multiplier, std::max(0, n_restarts_before));
    const double capped = std::min(grown, max_ns);
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double, std::nano>(capped));
}

Clock::duration Backoff::delay(int n_restarts_before, std::mt19937_64& rng) const {
    const double base_ns =
        std::chrono::duration<double, std::nano>(base_delay(n_restarts_before)).count();
    std::uniform_real_distribution<double> unit(-1.0, 1.0);
    const double jittered = base_ns * (1.0 + options_.jitter * unit(rng));
    const double max_ns = std::chrono::duration<double, std::nano>(options_.max).count();
    const double clamped = std::clamp(jittered, 0.0, max_ns);
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double, std::nano>(clamped));
}

}  // namespace glmserve::supervisor
