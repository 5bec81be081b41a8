#include "gateway/outlier_detector.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/check.h"

namespace glmserve::gateway {

Status validate(const OutlierOptions& options) {
    if (options.consecutive_5xx < 1) {
        return invalid_argument(
            fmt::format("outlier consecutive_5xx must be >= 1, got {}", options.consecutive_5xx));
    }
    if (options.consecutive_gateway_errors < 1) {
        return invalid_argument(
            fmt::format("outlier consecutive_gateway_errors must be >= 1, got {}",
                        options.consecutive_gateway_errors));
    }
    if (options.base_ejection <= Clock::duration::zero()) {
        return invalid_argument("outlier base_ejection must be positive");
    }
    if (options.max_ejection < options.base_ejection) {
        return invalid_argument("outlier max_ejection must be >= base_ejection");
    }
    if (!(options.max_ejected_fraction >= 0.0 && options.max_ejected_fraction <= 1.0)) {
        return invalid_argument(
            fmt::format("outlier max_ejected_fraction must be in [0, 1], got {}",
                        options.max_ejected_fraction));
    }
    return ok_status();
}

OutlierDetector::OutlierDetector(size_t n_upstreams, OutlierOptions options)
    : options_(options), upstreams_(n_upstreams) {
    GS_CHECK(validate(options_).ok());
}

bool OutlierDetector::record(size_t index, Outcome outcome, Clock::time_point now) {
    GS_CHECK(index < upstreams_.size());
    Upstream& u = upstreams_[index];
    if (outcome == Outcome::Success) {
        u.run_5xx = 0;
        u.run_gateway_errors = 0;
        return false;
    }
    if (ejected(index, now)) return false;
    if (outcome == Outcome::Http5xx) {
        ++u.run_5xx;
    } else {
        ++u.run_gateway_errors;
    }
    return maybe_eject(u, now);
}

bool OutlierDetector::maybe_eject(Upstream& u, Clock::time_point now) {
    const bool run_complete = u.run_5xx >= options_.consecutive_5xx ||
                              u.run_gateway_errors >= options_.consecutive_gateway_errors;
    if (!run_complete || ejected_count(now) >= max_ejected()) return false;

    if (u.ever_ejected) {
        // One step of forgiveness per full max_ejection spent back in rotation.
        const auto healthy_for = now - u.ejected_until;
        const auto periods = healthy_for / options_.max_ejection;
        u.multiplier = static_cast<int>(std::max<int64_t>(0, u.multiplier - periods));
    }
    // The cap on the multiplier keeps base * multiplier from overflowing; it never matters
    // for the duration, which max_ejection caps first.
    const int64_t cap = options_.max_ejection / options_.base_ejection + 1;
    u.multiplier = static_cast<int>(std::min<int64_t>(u.multiplier + 1, cap));
    const Clock::duration ejection =
        std::min<Clock::duration>(options_.base_ejection * u.multiplier, options_.max_ejection);
    u.ejected_until = now + ejection;
    u.ever_ejected = true;
    ++u.ejections;
    u.run_5xx = 0;
    u.run_gateway_errors = 0;
    return true;
}

bool OutlierDetector::ejected(size_t index, Clock::time_point now) const {
    GS_CHECK(index < upstreams_.size());
    const Upstream& u = upstreams_[index];
    return u.ever_ejected && now < u.ejected_until;
}

int OutlierDetector::ejections(size_t index) const {
    GS_CHECK(index < upstreams_.size());
    return upstreams_[index].ejections;
}

Clock::time_point OutlierDetector::ejected_until(size_t index) const {
    GS_CHECK(index < upstreams_.size());
    return upstreams_[index].ejected_until;
}

size_t OutlierDetector::ejected_count(Clock::time_point now) const {
    size_t n = 0;
    for (size_t i = 0; i < upstreams_.size(); ++i) n += ejected(i, now) ? 1 : 0;
    return n;
}

size_t OutlierDetector::max_ejected() const {
    const size_t n = upstreams_.size();
    if (n <= 1) return 0;
    // The epsilon keeps 0.3 * 10 (2.9999999999999996) from rounding down to 2.
    const auto by_fraction = static_cast<size_t>(
        std::floor(options_.max_ejected_fraction * static_cast<double>(n) + 1e-9));
    return std::min(n - 1, std::max<size_t>(1, by_fraction));
}

void OutlierDetector::set_upstream_count(size_t n) {
    upstreams_.resize(n);
}

}  // namespace glmserve::gateway
