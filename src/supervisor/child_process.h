// ChildProcess: one child of the supervisor (a replica or the gateway), started with fork +
// exec in its own process group, owned as an RAII handle.
//
// Guarantees:
// - The child leads a new process group, so a signal reaches whatever it forked too, and a
//   Ctrl-C on the supervisor's terminal is not delivered to it behind the supervisor's back.
// - The child gets PR_SET_PDEATHSIG(SIGKILL): if the supervisor dies, even by SIGKILL, the
//   kernel kills the child, so no replica outlives it. Set after fork, then getppid() is
//   checked against the parent's pid, closing the race where the parent died in between.
//   Caveat (prctl(2)): the signal fires when the *thread* that forked exits, so spawn from a
//   thread that lives as long as the children (the supervisor's loop thread).
// - stdin is /dev/null, stdout and stderr append to the child's log file, every other
//   descriptor is closed at exec, the signal mask is cleared and SIGPIPE/SIGTERM/SIGINT/SIGHUP
//   are back to their defaults (the supervisor blocks or ignores some of them).
// - exec failures (no such file, not executable) come back from spawn() as a Status, through a
//   close-on-exec pipe, rather than as a mysterious exit code 127.
// - The handle never leaves an orphan or a zombie: the destructor SIGKILLs the group of a child
//   still running and reaps it. When the child is reaped, stragglers left in its group are
//   SIGKILLed first (while the group id is still reserved by the unreaped leader, so the
//   signal cannot hit an unrelated process that reused the id).
// Thread: one owner thread per handle (thread-compatible).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "supervisor/exit_cause.h"

namespace glmserve::supervisor {

struct SpawnOptions {
    std::vector<std::string> argv;  // argv[0]: the executable, searched in PATH when it has no '/'
    std::string log_path;           // created if missing, appended to
    // Read before the child starts and when it is reaped, to tell an OOM kill from another
    // SIGKILL. Null: no OOM detection. Not owned; must outlive the handle.
    const OomKillCounter* oom_counter = nullptr;
};

class ChildProcess {
public:
    // Unavailable naming argv[0] when it cannot be executed; InvalidArgument for an empty argv;
    // Internal when the log file cannot be opened or fork fails.
    static Result<ChildProcess> spawn(const SpawnOptions& options);

    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess();

    pid_t pid() const { return pid_; }
    // False once the child has been reaped (by try_reap or a terminate call).
    bool running() const { return pid_ > 0 && !exit_.has_value(); }
    // How the child ended, once reaped.
    const std::optional<ExitCause>& exit_cause() const { return exit_; }

    // Non-blocking: reaps the child if it has ended (waitpid WNOHANG) and returns why.
    // nullopt while it runs; the cached cause after it was reaped.
    std::optional<ExitCause> try_reap();

    // Sends `signal` to the child's process group (no-op once reaped).
    void signal_group(int signal);

    // SIGTERM to the group, waits up to `grace` for the child to exit, then SIGKILL; blocks
    // until it is reaped.
    ExitCause terminate(std::chrono::milliseconds grace);

    // SIGKILL to the group, blocks until reaped.
    ExitCause kill_now();

private:
    ChildProcess(pid_t pid, const OomKillCounter* oom_counter, std::optional<int64_t> oom_before);
    // Reaps after the child was seen exiting; flags WNOHANG or 0 (blocking).
    std::optional<ExitCause> reap(int wait_flags);
    void release() noexcept;

    pid_t pid_ = -1;
    const OomKillCounter* oom_counter_ = nullptr;  // not owned, see SpawnOptions
    std::optional<int64_t> oom_before_;
    std::optional<ExitCause> exit_;
};

}  // namespace glmserve::supervisor
