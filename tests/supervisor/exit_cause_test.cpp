#include "supervisor/exit_cause.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>

namespace glmserve::supervisor {
namespace {

TEST(ExitCause, NormalExit) {
    const ExitCause cause = exit_cause_from_wait_status(W_EXITCODE(3, 0), false);
    EXPECT_EQ(cause.kind, ExitCause::Kind::Exited);
    EXPECT_EQ(cause.exit_code, 3);
    EXPECT_EQ(cause.describe(), "exit code 3");
    EXPECT_EQ(cause.label(), "exit_3");
    EXPECT_FALSE(cause.clean());
    EXPECT_TRUE(exit_cause_from_wait_status(W_EXITCODE(0, 0), true).clean());
}

TEST(ExitCause, SignalNamesTheSignal) {
    const ExitCause cause = exit_cause_from_wait_status(W_EXITCODE(0, SIGSEGV), false);
    EXPECT_EQ(cause.kind, ExitCause::Kind::Signaled);
    EXPECT_EQ(cause.signal, SIGSEGV);
    EXPECT_EQ(cause.describe(), "signal 11 (SIGSEGV)");
    EXPECT_EQ(cause.label(), "SIGSEGV");
}

TEST(ExitCause, SigkillIsAnOomKillOnlyWhenTheCounterRose) {
    EXPECT_EQ(exit_cause_from_wait_status(W_EXITCODE(0, SIGKILL), false).label(), "SIGKILL");
    const ExitCause oom = exit_cause_from_wait_status(W_EXITCODE(0, SIGKILL), true);
    EXPECT_EQ(oom.kind, ExitCause::Kind::OomKilled);
    EXPECT_EQ(oom.label(), "oom_killed");
    EXPECT_EQ(oom.describe(), "oom-killed (SIGKILL)");
    // Another signal while the counter rose is not an OOM kill.
    EXPECT_EQ(exit_cause_from_wait_status(W_EXITCODE(0, SIGTERM), true).label(), "SIGTERM");
}

TEST(ExitCause, ParsesOomKillFromCgroupV2AndV1Files) {
    EXPECT_EQ(parse_oom_kill_count("low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n"),
              2);
    EXPECT_EQ(parse_oom_kill_count("oom_kill_disable 0\nunder_oom 0\noom_kill 7"), 7);
    EXPECT_EQ(parse_oom_kill_count("oom 3\n"), std::nullopt);
    EXPECT_EQ(parse_oom_kill_count("oom_kill x\n"), std::nullopt);
    EXPECT_EQ(parse_oom_kill_count(""), std::nullopt);
}

TEST(ExitCause, CounterReadsTheFileEachTime) {
    const std::string path = ::testing::TempDir() + "/memory.events." + std::to_string(::getpid());
    OomKillCounter counter(path);
    EXPECT_EQ(counter.read(), std::nullopt);  // missing file: no detection, no error
    std::ofstream(path) << "oom 1\noom_kill 1\n";
    EXPECT_EQ(counter.read(), 1);
    std::ofstream(path) << "oom 2\noom_kill 4\n";
    EXPECT_EQ(counter.read(), 4);
    std::remove(path.c_str());
}

TEST(ExitCause, DefaultPathIsAnAbsoluteCgroupFile) {
    const std::string path = OomKillCounter::default_path();
    EXPECT_TRUE(path.starts_with("/sys/fs/cgroup/")) << path;
}

}  // namespace
}  // namespace glmserve::supervisor
