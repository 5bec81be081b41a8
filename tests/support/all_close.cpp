#include "support/all_close.h"

#include <fmt/format.h>

#include <cmath>

namespace glmserve::testing {

CloseReport compare_all_close(std::span<const float> actual, std::span<const float> expected,
                              double atol, double rtol) {
    CloseReport report;
    const size_t n = std::min(actual.size(), expected.size());
    for (size_t i = 0; i < n; ++i) {
        const double a = actual[i];
        const double b = expected[i];
        const double diff = std::isnan(a) != std::isnan(b) ? INFINITY : std::fabs(a - b);
        const double rel = diff / std::max(std::fabs(b), 1e-30);
        if (diff > report.max_abs_diff) {
            report.max_abs_diff = diff;
            report.worst_index = i;
        }
        report.max_rel_diff = std::max(report.max_rel_diff, rel);
        if (!(diff <= atol + rtol * std::fabs(b))) ++report.n_bad;
    }
    return report;
}

::testing::AssertionResult all_close(std::span<const float> actual, std::span<const float> expected,
                                     double atol, double rtol) {
    if (actual.size() != expected.size()) {
        return ::testing::AssertionFailure()
               << "size mismatch: " << actual.size() << " vs " << expected.size();
    }
    const CloseReport r = compare_all_close(actual, expected, atol, rtol);
    if (r.n_bad == 0) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << fmt::format(
               "{} of {} elements differ (atol {}, rtol {}); max |diff| {:.6g} at [{}] "
               "(actual {:.6g}, expected {:.6g}); max rel diff {:.6g}",
               r.n_bad, actual.size(), atol, rtol, r.max_abs_diff, r.worst_index,
               actual[r.worst_index], expected[r.worst_index], r.max_rel_diff);
}

}  // namespace glmserve::testing
