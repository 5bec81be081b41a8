// Locating ../shared/golden (reference outputs of an independent runtime).
//
// The folder comes from $GLMSERVE_GOLDEN_DIR or the path configured at build time. A user's
// clone has no ../shared, so tests call GS_REQUIRE_GOLDEN() to skip with a clear message.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace glmserve::testing {

// The golden folder if it exists (has a README.md), else nullopt.
std::optional<std::filesystem::path> golden_dir();

// Reads a whole binary file of float32 values.
std::vector<float> read_f32_file(const std::filesystem::path& path);

// One case of golden/cases/MODEL/CASE: its .json fields and its .logits.f32 rows.
struct GoldenCaseFiles {
    std::vector<int32_t> prompt;
    std::vector<int32_t> greedy;
    std::vector<double> greedy_margin;
    int64_t n_vocab = 0;
    int64_t logits_first_pos = 0;  // logits holds the rows from this position on
    std::vector<float> logits;
};

// nullopt when the case's .json is missing.
std::optional<GoldenCaseFiles> read_golden_case(const std::filesystem::path& golden,
                                                const std::string& model, const std::string& name);

// `name` with every character that a gtest parameter name may not hold replaced by '_'.
std::string gtest_safe_name(std::string name);

}  // namespace glmserve::testing

#define GS_REQUIRE_GOLDEN(var)                                                            \
    const auto var##_opt = ::glmserve::testing::golden_dir();                             \
    if (!var##_opt) {                                                                     \
        GTEST_SKIP() << "../shared/golden not found (set GLMSERVE_GOLDEN_DIR to run the " \
                        "cross-runtime reference checks)";                                \
    }                                                                                     \
    const std::filesystem::path var = *var##_opt
