// Helpers for the supervisor's process tests: a temporary directory, free loopback ports,
// polling with a deadline, and liveness of a pid.
//
// Process tests wait for real processes (start-up, exit, restart), which no fake clock can
// drive: they poll a condition every few milliseconds up to a deadline instead of sleeping a
// fixed time, so they are as fast as the processes and fail (not hang) when something breaks.
// Thread: TempDir is thread-compatible; the functions may be called from any thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace glmserve::supervisor::testing {

class TempDir {
public:
    TempDir();   // mkdtemp under $TMPDIR or /tmp (GS_CHECK on failure)
    ~TempDir();  // removes it with its contents
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// The first of `count` consecutive ports that could all be bound on 127.0.0.1 just now, below
// the kernel's ephemeral port range.
uint16_t find_free_ports(int count);

// Polls `condition` every 10 ms until it holds (true) or `timeout` passes (false).
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// Starts argv[0] (a path) with argv, stdout and stderr into `log_path` (truncated); the pid, or
// -1 when it could not start.
pid_t spawn_logged(const std::vector<std::string>& argv, const std::string& log_path);

// True while a process with this pid exists and is not a zombie.
bool pid_alive(pid_t pid);

// The whole text of a file ("" when unreadable).
std::string read_text_file(const std::string& path);

struct HttpReply {
    int status = 0;  // 0: no answer (refused, timeout)
    std::string body;
};

// `method` http://127.0.0.1:<port><path> (no body) with a 2 s limit.
HttpReply http_request(const std::string& method, uint16_t port, const std::string& path);
inline HttpReply http_get(uint16_t port, const std::string& path) {
    return http_request("GET", port, path);
}

}  // namespace glmserve::supervisor::testing
