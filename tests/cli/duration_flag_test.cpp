#include "cli/duration_flag.h"

#include <gtest/gtest.h>

namespace glmserve::cli {
namespace {

TEST(DurationFlag, UnitsAndBareSeconds) {
    EXPECT_DOUBLE_EQ(*parse_duration_seconds("250ms", "--x"), 0.25);
    EXPECT_DOUBLE_EQ(*parse_duration_seconds("1.5s", "--x"), 1.5);
    EXPECT_DOUBLE_EQ(*parse_duration_seconds("2m", "--x"), 120.0);
    EXPECT_DOUBLE_EQ(*parse_duration_seconds("3", "--x"), 3.0);
    EXPECT_DOUBLE_EQ(*parse_duration_seconds("500us", "--x"), 0.0005);
}

TEST(DurationFlag, RejectsGarbageNamingTheFlag) {
    for (const char* bad : {"", "s", "ms", "1x", "-1s", "nan", "inf", "1.5.2s", "1 s"}) {
        const auto r = parse_duration_seconds(bad, "--slo-ttft");
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.status().message().find("--slo-ttft"), std::string::npos);
    }
}

}  // namespace
}  // namespace glmserve::cli
