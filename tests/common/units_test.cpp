#include "common/units.h"

#include <gtest/gtest.h>

namespace glmserve {
namespace {

TEST(Units, DurationsInTheirUnits) {
    EXPECT_DOUBLE_EQ(*parse_duration_s("250ms"), 0.25);
    EXPECT_DOUBLE_EQ(*parse_duration_s("1.5s"), 1.5);
    EXPECT_DOUBLE_EQ(*parse_duration_s("2m"), 120);
    EXPECT_DOUBLE_EQ(*parse_duration_s("1h"), 3600);
    EXPECT_DOUBLE_EQ(*parse_duration_s("3"), 3);
    for (const char* bad : {"", "0", "-1s", "1x", "s", "1e999", "nan", "1 s"}) {
        const auto r = parse_duration_s(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.status().message().find("duration"), std::string::npos);
    }
}

TEST(Units, ByteSizesDecimalAndBinary) {
    EXPECT_EQ(*parse_byte_size("1000"), 1000);
    EXPECT_EQ(*parse_byte_size("0"), 0);
    EXPECT_EQ(*parse_byte_size("512MiB"), 512LL << 20);
    EXPECT_EQ(*parse_byte_size("4GiB"), 4LL << 30);
    EXPECT_EQ(*parse_byte_size("1.5G"), 1'500'000'000);
    EXPECT_EQ(*parse_byte_size("2KB"), 2000);
    EXPECT_EQ(*parse_byte_size("1TiB"), 1LL << 40);
    for (const char* bad : {"", "-1", "1XB", "GiB", "1e30", "nan", "4 GiB", "5PiB"}) {
        const auto r = parse_byte_size(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_NE(r.status().message().find(bad), std::string::npos);
    }
}

}  // namespace
}  // namespace glmserve
