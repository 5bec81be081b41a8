#include "gateway/retry_budget.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/check.h"
#include "gateway/time_buckets.h"

namespace glmserve::gateway {

Status validate(const RetryBudgetOptions& options) {
    if (!(options.ratio >= 0.0 && options.ratio <= 10.0)) {
        return invalid_argument(
            fmt::format("retry budget ratio must be in [0, 10], got {}", options.ratio));
    }
    if (options.window / RetryBudget::kWindowBuckets <= Clock::duration::zero()) {
        return invalid_argument("retry budget window must be positive");
    }
    if (options.min_per_window < 0) {
        return invalid_argument(fmt::format("retry budget min_per_window must be >= 0, got {}",
                                            options.min_per_window));
    }
    return ok_status();
}

RetryBudget::RetryBudget(double ratio, Clock::duration window, int min_per_window)
    : ratio_(ratio), min_per_window_(min_per_window), bucket_width_(window / kWindowBuckets) {
    GS_CHECK(validate(RetryBudgetOptions{
                          .ratio = ratio, .window = window, .min_per_window = min_per_window})
                 .ok());
}

void RetryBudget::on_request(Clock::time_point now) {
    ++bucket_at(now).requests;
}

bool RetryBudget::try_retry(Clock::time_point now) {
    if (available(now) <= 0) {
        ++exhausted_;
        return false;
    }
    ++bucket_at(now).retries;
    return true;
}

int64_t RetryBudget::requests_in_window(Clock::time_point now) const {
    return sum(&Bucket::requests, now);
}

int64_t RetryBudget::retries_in_window(Clock::time_point now) const {
    return sum(&Bucket::retries, now);
}

int64_t RetryBudget::available(Clock::time_point now) const {
    // The small epsilon keeps ratio * requests from rounding down across an integer
    // (0.1 * 30 is 3.0000000000000004, but 0.7 * 10 is 6.999999999999999).
    const auto by_ratio = static_cast<int64_t>(
        std::floor(ratio_ * static_cast<double>(requests_in_window(now)) + 1e-9));
    const int64_t allowed = std::max<int64_t>(min_per_window_, by_ratio);
    return std::max<int64_t>(0, allowed - retries_in_window(now));
}

RetryBudget::Bucket& RetryBudget::bucket_at(Clock::time_point now) {
    return bucket_for(buckets_, epoch_of(now));
}

int64_t RetryBudget::epoch_of(Clock::time_point now) const {
    return bucket_epoch(now, bucket_width_);
}

int64_t RetryBudget::sum(int64_t Bucket::*field, Clock::time_point now) const {
    const int64_t newest = epoch_of(now);
    const int64_t oldest = newest - kWindowBuckets + 1;
    int64_t total = 0;
    for (const Bucket& b : buckets_) {
        if (b.epoch >= oldest && b.epoch <= newest) total += b.*field;
    }
    return total;
}

}  // namespace glmserve::gateway
