// ExitCause: why a child process ended, in words for the log and as a metric label.
//
// From the wait status: a normal exit with its code, or death by a signal. A SIGKILL is
// reported as an OOM kill when the cgroup's oom_kill counter rose while the child ran: the
// kernel's OOM killer leaves no other trace visible to the parent. The counter is the cgroup's
// (the supervisor and its children share one), so with several children dying by SIGKILL at
// once each is called oom-killed; that is the best a parent can tell without per-child
// cgroups, and it is only a label on an event that is logged with its pid anyway.
// Thread: values and pure functions; OomKillCounter::read() reads a file and may be called
// from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace glmserve::supervisor {

struct ExitCause {
    enum class Kind { Exited, Signaled, OomKilled, Lost };  // Lost: reaped by someone else
    Kind kind = Kind::Exited;
    int exit_code = 0;  // Exited
    int signal = 0;     // Signaled and OomKilled (SIGKILL)

    // "exit code 3", "signal 11 (SIGSEGV)", "oom-killed (SIGKILL)", "lost".
    std::string describe() const;
    // Low-cardinality metric label: "exit_0", "exit_3", "SIGSEGV", "oom_killed", "lost".
    std::string label() const;
    // True for exit code 0 (a child that was asked to stop and did).
    bool clean() const { return kind == Kind::Exited && exit_code == 0; }
};

// `wait_status` as returned by waitpid for a process that exited or was killed.
ExitCause exit_cause_from_wait_status(int wait_status, bool oom_kill_count_rose);

// "SIGKILL" for 9; "signal 64" style text for numbers without a name.
std::string signal_name(int signal);

// The value of the "oom_kill N" line of a cgroup v2 memory.events or a cgroup v1
// memory.oom_control file; nullopt when there is none.
std::optional<int64_t> parse_oom_kill_count(std::string_view file_text);

// Reads the oom_kill count of the supervisor's cgroup.
class OomKillCounter {
public:
    // The file for this process: memory.events of its cgroup v2 group, else the v1 memory
    // controller's memory.oom_control, else /sys/fs/cgroup/memory.events (which read() may
    // then find missing).
    static std::string default_path();

    explicit OomKillCounter(std::string path) : path_(std::move(path)) {}

    // nullopt when the file cannot be read or has no oom_kill line: OOM kills are then
    // reported as plain SIGKILL.
    std::optional<int64_t> read() const;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace glmserve::supervisor
