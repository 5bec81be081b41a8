#include "supervisor/crash_loop_detector.h"

#include <gtest/gtest.h>

namespace glmserve::supervisor {
namespace {

using std::chrono::seconds;

TEST(CrashLoopDetector, AllowsMaxRestartsWithinTheWindowThenRefuses) {
    CrashLoopDetector detector(3, seconds(60));
    const Clock::time_point t0{};
    EXPECT_TRUE(detector.try_restart(t0));
    EXPECT_TRUE(detector.try_restart(t0 + seconds(1)));
    EXPECT_TRUE(detector.try_restart(t0 + seconds(2)));
    EXPECT_EQ(detector.recent_restarts(t0 + seconds(2)), 3);
    EXPECT_FALSE(detector.try_restart(t0 + seconds(3)));
    // A refused restart is not recorded.
    EXPECT_EQ(detector.recent_restarts(t0 + seconds(3)), 3);
}

TEST(CrashLoopDetector, RestartsOlderThanTheWindowNoLongerCount) {
    CrashLoopDetector detector(2, seconds(10));
    const Clock::time_point t0{};
    EXPECT_TRUE(detector.try_restart(t0));
    EXPECT_TRUE(detector.try_restart(t0 + seconds(5)));
    EXPECT_FALSE(detector.try_restart(t0 + seconds(9)));
    // At t0 + 10 s the first restart is exactly one window old: it has left the window.
    EXPECT_EQ(detector.recent_restarts(t0 + seconds(10)), 1);
    EXPECT_TRUE(detector.try_restart(t0 + seconds(10)));
    EXPECT_EQ(detector.recent_restarts(t0 + seconds(100)), 0);
}

TEST(CrashLoopDetector, ASteadyTrickleOfRestartsIsNotALoop) {
    CrashLoopDetector detector(3, seconds(60));
    Clock::time_point now{};
    for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(detector.try_restart(now)) << i;
        now += seconds(31);  // at most two restarts in any 60 s
    }
}

TEST(CrashLoopDetector, ResetGivesAFailedChildANewChance) {
    CrashLoopDetector detector(1, seconds(60));
    const Clock::time_point t0{};
    EXPECT_TRUE(detector.try_restart(t0));
    EXPECT_FALSE(detector.try_restart(t0 + seconds(1)));
    detector.reset();
    EXPECT_EQ(detector.recent_restarts(t0 + seconds(1)), 0);
    EXPECT_TRUE(detector.try_restart(t0 + seconds(2)));
}

}  // namespace
}  // namespace glmserve::supervisor
