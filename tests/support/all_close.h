// expect_all_close: element-wise tensor comparison that reports the worst offenders
// (STYLE.md §10).
#pragma once

#include <gtest/gtest.h>

#include <span>
#include <string>

namespace glmserve::testing {

struct CloseReport {
    double max_abs_diff = 0.0;
    double max_rel_diff = 0.0;
    size_t worst_index = 0;
    size_t n_bad = 0;
};

// |a - b| <= atol + rtol * |b| for every element (b is the reference).
CloseReport compare_all_close(std::span<const float> actual, std::span<const float> expected,
                              double atol, double rtol);

::testing::AssertionResult all_close(std::span<const float> actual, std::span<const float> expected,
                                     double atol, double rtol);

}  // namespace glmserve::testing

#define EXPECT_ALL_CLOSE(actual, expected, atol, rtol) \
    EXPECT_TRUE(::glmserve::testing::all_close((actual), (expected), (atol), (rtol)))
