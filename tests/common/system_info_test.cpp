#include "common/system_info.h"

#include <gtest/gtest.h>

#include <vector>

namespace glmserve {
namespace {

TEST(SystemInfo, ReportsPlausibleMachineFacts) {
    EXPECT_GE(physical_core_count(), 1);
    EXPECT_GT(total_memory_bytes(), 0u);
    EXPECT_LE(available_memory_bytes(), total_memory_bytes());
}

TEST(SystemInfo, PeakRssTracksTouchedMemory) {
    const uint64_t before = peak_rss_bytes();
    std::vector<char> block(64 << 20, 1);  // touch 64 MiB
    EXPECT_GE(peak_rss_bytes(), before);
    EXPECT_GE(peak_rss_bytes(), 64u << 20);
    EXPECT_GE(current_rss_bytes(), 60u << 20);
    EXPECT_EQ(block[12345], 1);
}

}  // namespace
}  // namespace glmserve
