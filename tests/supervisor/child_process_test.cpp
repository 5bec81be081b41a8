// ChildProcess with real processes (/bin/sh, sleep): exit causes, process groups, logs,
// termination with a grace period, exec errors and PR_SET_PDEATHSIG.
#include "supervisor/child_process.h"

#include <gtest/gtest.h>

#include <charconv>
#include <csignal>
#include <fstream>
#include <thread>

#include "supervisor/process_test_util.h"

namespace glmserve::supervisor {
namespace {

using std::chrono::milliseconds;
using testing::pid_alive;
using testing::read_text_file;
using testing::TempDir;
using testing::wait_until;

ChildProcess spawn_sh(const TempDir& dir, const std::string& script) {
    Result<ChildProcess> child = ChildProcess::spawn(
        {.argv = {"/bin/sh", "-c", script}, .log_path = dir.path() + "/child.log"});
    EXPECT_TRUE(child.ok()) << child.status().to_string();
    return std::move(child).value();
}

ExitCause reap_within(ChildProcess& child, milliseconds timeout) {
    std::optional<ExitCause> cause;
    EXPECT_TRUE(wait_until([&] { return (cause = child.try_reap()).has_value(); }, timeout));
    return cause.value_or(ExitCause{.kind = ExitCause::Kind::Lost});
}

// The pid the script printed on the first line of the log ("echo $!").
pid_t first_pid_in_log(const std::string& path) {
    std::string text;
    wait_until([&] { return (text = read_text_file(path)).find('\n') != std::string::npos; },
               milliseconds(5000));
    pid_t pid = 0;
    std::from_chars(text.data(), text.data() + text.size(), pid);
    return pid;
}

TEST(ChildProcess, ReportsTheExitCodeAndWritesTheLog) {
    TempDir dir;
    ChildProcess child = spawn_sh(dir, "echo out; echo err >&2; exit 3");
    EXPECT_GT(child.pid(), 0);
    const ExitCause cause = reap_within(child, milliseconds(5000));
    EXPECT_EQ(cause.label(), "exit_3");
    EXPECT_FALSE(child.running());
    EXPECT_EQ(read_text_file(dir.path() + "/child.log"), "out\nerr\n");
    // A second run appends to the same log.
    ChildProcess again = spawn_sh(dir, "echo more");
    EXPECT_EQ(reap_within(again, milliseconds(5000)).label(), "exit_0");
    EXPECT_EQ(read_text_file(dir.path() + "/child.log"), "out\nerr\nmore\n");
}

TEST(ChildProcess, TryReapDoesNotBlockWhileRunning) {
    TempDir dir;
    ChildProcess child = spawn_sh(dir, "exec sleep 30");
    EXPECT_FALSE(child.try_reap().has_value());
    EXPECT_TRUE(child.running());
    const ExitCause cause = child.kill_now();
    EXPECT_EQ(cause.label(), "SIGKILL");
    EXPECT_EQ(cause.describe(), "signal 9 (SIGKILL)");
    EXPECT_FALSE(pid_alive(child.pid()));
}

TEST(ChildProcess, RunsInItsOwnProcessGroup) {
    TempDir dir;
    ChildProcess child = spawn_sh(dir, "exec sleep 30");
    EXPECT_EQ(::getpgid(child.pid()), child.pid());
    EXPECT_NE(::getpgid(child.pid()), ::getpgrp());
}

TEST(ChildProcess, TerminateReachesGrandchildren) {
    TempDir dir;
    // The shell starts a grandchild, prints its pid and waits for it.
    ChildProcess child = spawn_sh(dir, "sleep 30 & echo $!; wait");
    const pid_t grandchild = first_pid_in_log(dir.path() + "/child.log");
    ASSERT_GT(grandchild, 0);
    ASSERT_TRUE(pid_alive(grandchild));
    const ExitCause cause = child.terminate(milliseconds(2000));
    EXPECT_EQ(cause.label(), "SIGTERM");
    EXPECT_TRUE(wait_until([&] { return !pid_alive(grandchild); }, milliseconds(2000)));
}

TEST(ChildProcess, TerminateEscalatesToSigkillAfterTheGrace) {
    TempDir dir;
    ChildProcess child = spawn_sh(dir, "trap '' TERM; echo trapped; while :; do sleep 1; done");
    ASSERT_TRUE(wait_until([&] { return read_text_file(dir.path() + "/child.log") == "trapped\n"; },
                           milliseconds(5000)));  // the trap is installed
    const auto start = std::chrono::steady_clock::now();
    const ExitCause cause = child.terminate(milliseconds(300));
    EXPECT_EQ(cause.label(), "SIGKILL");
    EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(300));
}

TEST(ChildProcess, KillsAStoppedChild) {
    TempDir dir;
    ChildProcess child = spawn_sh(dir, "exec sleep 30");
    child.signal_group(SIGSTOP);
    EXPECT_EQ(child.kill_now().label(), "SIGKILL");
}

TEST(ChildProcess, ExecFailureIsAStatus) {
    TempDir dir;
    const Result<ChildProcess> missing = ChildProcess::spawn(
        {.argv = {"/nonexistent/glmserve", "serve"}, .log_path = dir.path() + "/x.log"});
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.status().code(), StatusCode::Unavailable);
    EXPECT_NE(missing.status().message().find("/nonexistent/glmserve"), std::string::npos);
    EXPECT_FALSE(ChildProcess::spawn({.argv = {}, .log_path = dir.path() + "/x.log"}).ok());
    EXPECT_FALSE(
        ChildProcess::spawn({.argv = {"/bin/true"}, .log_path = "/nonexistent/dir/x.log"}).ok());
}

TEST(ChildProcess, SearchesPathForABareName) {
    TempDir dir;
    Result<ChildProcess> child = ChildProcess::spawn(
        {.argv = {"sh", "-c", "exit 4"}, .log_path = dir.path() + "/child.log"});
    ASSERT_TRUE(child.ok()) << child.status().to_string();
    EXPECT_EQ(reap_within(*child, milliseconds(5000)).label(), "exit_4");
    const Result<ChildProcess> missing = ChildProcess::spawn(
        {.argv = {"glmserve-no-such-binary"}, .log_path = dir.path() + "/child.log"});
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.status().message().find("not found in PATH"), std::string::npos);
}

// A supervisor started with stdin closed (a daemon's `<&-`) gets fd 0 for the log file; the
// child's stdin redirection must not swallow its output.
TEST(ChildProcess, LogsEvenWhenTheParentHasNoStdin) {
    TempDir dir;
    const int saved_stdin = ::dup(STDIN_FILENO);
    ASSERT_GE(saved_stdin, 0);
    ::close(STDIN_FILENO);
    Result<ChildProcess> child = ChildProcess::spawn(
        {.argv = {"/bin/sh", "-c", "echo hi"}, .log_path = dir.path() + "/child.log"});
    ::dup2(saved_stdin, STDIN_FILENO);
    ::close(saved_stdin);
    ASSERT_TRUE(child.ok()) << child.status().to_string();
    EXPECT_EQ(reap_within(*child, milliseconds(5000)).label(), "exit_0");
    EXPECT_EQ(read_text_file(dir.path() + "/child.log"), "hi\n");
}

TEST(ChildProcess, DestructorLeavesNoProcessBehind) {
    TempDir dir;
    pid_t pid = 0;
    {
        ChildProcess child = spawn_sh(dir, "exec sleep 30");
        pid = child.pid();
        ASSERT_TRUE(pid_alive(pid));
    }
    EXPECT_FALSE(pid_alive(pid));
}

TEST(ChildProcess, MovedFromHandleOwnsNothing) {
    TempDir dir;
    ChildProcess a = spawn_sh(dir, "exec sleep 30");
    const pid_t pid = a.pid();
    ChildProcess b = std::move(a);
    EXPECT_EQ(b.pid(), pid);
    EXPECT_FALSE(a.running());  // NOLINT(bugprone-use-after-move): the contract under test
    EXPECT_TRUE(pid_alive(pid));
    EXPECT_EQ(b.kill_now().label(), "SIGKILL");
}

// PR_SET_PDEATHSIG follows the thread that forked: when it ends, the kernel SIGKILLs the child,
// exactly as when the whole supervisor dies.
TEST(ChildProcess, DiesWithTheThreadThatSpawnedIt) {
    TempDir dir;
    std::optional<ChildProcess> child;
    std::thread spawner([&] { child.emplace(spawn_sh(dir, "exec sleep 30")); });
    spawner.join();
    ASSERT_TRUE(child.has_value());
    std::optional<ExitCause> cause;
    ASSERT_TRUE(
        wait_until([&] { return (cause = child->try_reap()).has_value(); }, milliseconds(5000)));
    EXPECT_EQ(cause->label(), "SIGKILL");
}

TEST(ChildProcess, OomCounterThatDidNotRiseLeavesAPlainSigkill) {
    TempDir dir;
    const std::string events = dir.path() + "/memory.events";
    { std::ofstream(events) << "oom_kill 5\n"; }
    OomKillCounter counter(events);
    Result<ChildProcess> child = ChildProcess::spawn({.argv = {"/bin/sh", "-c", "exec sleep 30"},
                                                      .log_path = dir.path() + "/c.log",
                                                      .oom_counter = &counter});
    ASSERT_TRUE(child.ok());
    EXPECT_EQ(child->kill_now().label(), "SIGKILL");
    Result<ChildProcess> oom = ChildProcess::spawn({.argv = {"/bin/sh", "-c", "exec sleep 30"},
                                                    .log_path = dir.path() + "/c.log",
                                                    .oom_counter = &counter});
    ASSERT_TRUE(oom.ok());
    { std::ofstream(events) << "oom_kill 6\n"; }  // the kernel's OOM killer struck meanwhile
    EXPECT_EQ(oom->kill_now().label(), "oom_killed");
}

}  // namespace
}  // namespace glmserve::supervisor
