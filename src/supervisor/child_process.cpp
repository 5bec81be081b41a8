// ChildProcess (see child_process.h): fork + exec with everything the child needs prepared
// before fork (the child of a multithreaded parent may only make async-signal-safe calls), exec
// errors reported through a close-on-exec pipe, and reaping in two steps (waitid WNOWAIT, kill
// the group, waitpid) so stragglers die while the group id is still reserved.
#include "supervisor/child_process.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/close_range.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>

namespace glmserve::supervisor {
namespace {

// A file descriptor closed when it goes out of scope (parent-side only).
class ScopedFd {
public:
    explicit ScopedFd(int fd = -1) : fd_(fd) {}
    ScopedFd(const ScopedFd&) = delete;
    ScopedFd& operator=(const ScopedFd&) = delete;
    ~ScopedFd() { reset(); }
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_;
};

// Moves a fresh descriptor above stderr: a supervisor started with stdin/stdout closed gets
// 0..2 from open(), and the child's dup2 onto 0..2 would then clobber or keep close-on-exec.
int above_stdio(int fd) {
    if (fd < 0 || fd > STDERR_FILENO) return fd;
    const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
    ::close(fd);
    return moved;
}

// Runs in the forked child, where only async-signal-safe calls are allowed (the parent may have
// had other threads holding locks at fork time): no allocation, no logging. Never returns.
[[noreturn]] void exec_child(const char* path, char* const* argv, pid_t parent, int stdin_fd,
                             int log_fd, int error_fd) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The parent may have died before prctl took effect: then we were re-parented already.
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (const int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) {
        ::sigaction(sig, &default_action, nullptr);
    }
    ::dup2(stdin_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    // Descriptors the parent opened without O_CLOEXEC (sockets of other threads) must not leak
    // into the replica: mark everything above stderr close-on-exec. The error pipe already is.
    ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execv(path, argv);
    const int error = errno;
    [[maybe_unused]] const ssize_t n = ::write(error_fd, &error, sizeof(error));
    ::_exit(127);
}

// argv[0] itself when it names a path, else the first executable of that name on PATH (the
// search happens here because execvp is not async-signal-safe). nullopt when none is found.
std::optional<std::string> resolve_executable(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    const char* path_env = std::getenv("PATH");
    const std::string_view path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
    size_t pos = 0;
    while (pos <= path.size()) {
        size_t end = path.find(':', pos);
        if (end == std::string_view::npos) end = path.size();
        const std::string_view dir = path.substr(pos, end - pos);
        std::string candidate = fmt::format("{}/{}", dir.empty() ? "." : dir, name);
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        pos = end + 1;
    }
    return std::nullopt;
}

}  // namespace

Result<ChildProcess> ChildProcess::spawn(const SpawnOptions& options) {
    if (options.argv.empty() || options.argv.front().empty()) {
        return invalid_argument("spawn: empty argv");
    }
    const std::optional<std::string> executable = resolve_executable(options.argv.front());
    if (!executable) {
        return unavailable(
            fmt::format("spawn: cannot execute '{}': not found in PATH", options.argv.front()));
    }
    // Everything the child needs is prepared before fork: it may not allocate.
    std::vector<char*> argv;
    argv.reserve(options.argv.size() + 1);
    for (const auto& arg : options.argv) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);

    ScopedFd log_fd(above_stdio(
        ::open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)));
    if (log_fd.get() < 0) {
        return internal_error(
            fmt::format("spawn: cannot open log '{}': {}", options.log_path, std::strerror(errno)));
    }
    ScopedFd null_fd(above_stdio(::open("/dev/null", O_RDONLY | O_CLOEXEC)));
    if (null_fd.get() < 0) return internal_error("spawn: cannot open /dev/null");
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        return internal_error(fmt::format("spawn: pipe2: {}", std::strerror(errno)));
    }
    ScopedFd error_read(pipe_fds[0]);
    ScopedFd error_write(above_stdio(pipe_fds[1]));

    const std::optional<int64_t> oom_before =
        options.oom_counter != nullptr ? options.oom_counter->read() : std::nullopt;
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) return internal_error(fmt::format("spawn: fork: {}", std::strerror(errno)));
    if (pid == 0) {
        exec_child(executable->c_str(), argv.data(), parent, null_fd.get(), log_fd.get(),
                   error_write.get());
    }

    // Both sides call setpgid so the group exists whichever runs first (signals sent right
    // after spawn() returns must reach it).
    ::setpgid(pid, pid);
    ChildProcess child(pid, options.oom_counter, oom_before);
    error_write.reset();
    int exec_errno = 0;
    ssize_t n = 0;
    do {
        n = ::read(error_read.get(), &exec_errno, sizeof(exec_errno));
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(sizeof(exec_errno))) {
        (void)child.reap(0);
        return unavailable(fmt::format("spawn: cannot execute '{}': {}", options.argv.front(),
                                       std::strerror(exec_errno)));
    }
    return child;
}

ChildProcess::ChildProcess(pid_t pid, const OomKillCounter* oom_counter,
                           std::optional<int64_t> oom_before)
    : pid_(pid), oom_counter_(oom_counter), oom_before_(oom_before) {}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      oom_counter_(other.oom_counter_),
      oom_before_(other.oom_before_),
      exit_(std::move(other.exit_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
    if (this != &other) {
        release();
        pid_ = std::exchange(other.pid_, -1);
        oom_counter_ = other.oom_counter_;
        oom_before_ = other.oom_before_;
        exit_ = std::move(other.exit_);
    }
    return *this;
}

ChildProcess::~ChildProcess() {
    release();
}

void ChildProcess::release() noexcept {
    if (running()) (void)kill_now();
    pid_ = -1;
}

std::optional<ExitCause> ChildProcess::reap(int wait_flags) {
    if (exit_) return exit_;
    if (pid_ <= 0) return std::nullopt;
    // Look without reaping first: while the leader is an unreaped zombie its group id cannot
    // be reused, so the SIGKILL for stragglers in the group is safe.
    siginfo_t info{};
    int rc = 0;
    do {
        rc = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT | wait_flags);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0 && errno == ECHILD) {
        // Someone else reaped it (a SIGCHLD set to SIG_IGN in the process does that): gone,
        // cause unknown.
        exit_ = ExitCause{.kind = ExitCause::Kind::Lost};
        return exit_;
    }
    if (rc != 0 || info.si_pid == 0) return std::nullopt;
    ::kill(-pid_, SIGKILL);
    int status = 0;
    pid_t reaped = 0;
    do {
        reaped = ::waitpid(pid_, &status, 0);
    } while (reaped < 0 && errno == EINTR);
    if (reaped != pid_) return std::nullopt;
    bool oom_rose = false;
    if (oom_counter_ != nullptr && oom_before_) {
        const std::optional<int64_t> after = oom_counter_->read();
        oom_rose = after && *after > *oom_before_;
    }
    exit_ = exit_cause_from_wait_status(status, oom_rose);
    return exit_;
}

std::optional<ExitCause> ChildProcess::try_reap() {
    return reap(WNOHANG);
}

void ChildProcess::signal_group(int signal) {
    if (running()) ::kill(-pid_, signal);
}

ExitCause ChildProcess::terminate(std::chrono::milliseconds grace) {
    signal_group(SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto cause = try_reap()) return *cause;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return kill_now();
}

ExitCause ChildProcess::kill_now() {
    signal_group(SIGKILL);
    // SIGKILL cannot be caught or ignored, also not by a SIGSTOPped child: the blocking reap
    // returns promptly.
    while (running()) {
        if (auto cause = reap(0)) return *cause;
    }
    return exit_.value_or(ExitCause{.kind = ExitCause::Kind::Lost});
}

}  // namespace glmserve::supervisor
