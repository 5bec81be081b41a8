// Locating ../shared/golden (reference outputs of an independent runtime).
//
// The folder comes from $GLMSERVE_GOLDEN_DIR or the path configured at build time. A user's
// clone has no ../shared, so tests call GS_REQUIRE_GOLDEN() to skip with a clear message.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace glmserve::testing {

// The golden folder if it exists (has a README.md), else nullopt.
std::optional<std::filesystem::path> golden_dir();

// Reads a whole binary file of float32 values.
std::vector<float> read_f32_file(const std::filesystem::path& path);

}  // namespace glmserve::testing

#define GS_REQUIRE_GOLDEN(var)                                                            \
    const auto var##_opt = ::glmserve::testing::golden_dir();                             \
    if (!var##_opt) {                                                                     \
        GTEST_SKIP() << "../shared/golden not found (set GLMSERVE_GOLDEN_DIR to run the " \
                        "cross-runtime reference checks)";                                \
    }                                                                                     \
    const std::filesystem::path var = *var##_opt
