// Exit causes and the cgroup oom_kill counter (see exit_cause.h).
#include "supervisor/exit_cause.h"

#include <fmt/format.h>
#include <sys/wait.h>

#include <charconv>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace glmserve::supervisor {
namespace {

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream file(path);
    if (!file) return std::nullopt;
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

// The path after "0::" in /proc/self/cgroup (cgroup v2), or after ":memory:" (v1).
std::optional<std::string> cgroup_of(std::string_view proc_cgroup, std::string_view controller) {
    size_t pos = 0;
    while (pos < proc_cgroup.size()) {
        size_t end = proc_cgroup.find('\n', pos);
        if (end == std::string_view::npos) end = proc_cgroup.size();
        const std::string_view line = proc_cgroup.substr(pos, end - pos);
        const size_t first = line.find(':');
        const size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
        if (second != std::string_view::npos &&
            line.substr(first + 1, second - first - 1) == controller) {
            return std::string(line.substr(second + 1));
        }
        pos = end + 1;
    }
    return std::nullopt;
}

}  // namespace

std::string signal_name(int signal) {
    const char* abbrev = ::sigabbrev_np(signal);
    if (abbrev == nullptr) return fmt::format("signal {}", signal);
    return fmt::format("SIG{}", abbrev);
}

std::string ExitCause::describe() const {
    switch (kind) {
        case Kind::Exited: return fmt::format("exit code {}", exit_code);
        case Kind::Signaled: return fmt::format("signal {} ({})", signal, signal_name(signal));
        case Kind::OomKilled: return fmt::format("oom-killed ({})", signal_name(signal));
        case Kind::Lost: return "lost (reaped elsewhere, cause unknown)";
    }
    return "unknown";
}

std::string ExitCause::label() const {
    switch (kind) {
        case Kind::Exited: return fmt::format("exit_{}", exit_code);
        case Kind::Signaled: return signal_name(signal);
        case Kind::OomKilled: return "oom_killed";
        case Kind::Lost: return "lost";
    }
    return "unknown";
}

ExitCause exit_cause_from_wait_status(int wait_status, bool oom_kill_count_rose) {
    ExitCause cause;
    if (WIFSIGNALED(wait_status)) {
        cause.signal = WTERMSIG(wait_status);
        cause.kind = cause.signal == SIGKILL && oom_kill_count_rose ? ExitCause::Kind::OomKilled
                                                                    : ExitCause::Kind::Signaled;
    } else {
        cause.kind = ExitCause::Kind::Exited;
        cause.exit_code = WEXITSTATUS(wait_status);
    }
    return cause;
}

std::optional<int64_t> parse_oom_kill_count(std::string_view file_text) {
    constexpr std::string_view kKey = "oom_kill ";
    size_t pos = 0;
    while (pos < file_text.size()) {
        size_t end = file_text.find('\n', pos);
        if (end == std::string_view::npos) end = file_text.size();
        const std::string_view line = file_text.substr(pos, end - pos);
        if (line.starts_with(kKey)) {
            const std::string_view number = line.substr(kKey.size());
            int64_t value = 0;
            const auto [ptr, ec] =
                std::from_chars(number.data(), number.data() + number.size(), value);
            if (ec == std::errc() && ptr != number.data()) return value;
            return std::nullopt;
        }
        pos = end + 1;
    }
    return std::nullopt;
}

std::string OomKillCounter::default_path() {
    // Candidates in order; inside a container with its own cgroup namespace the group's
    // files sit at the mount's root, so the root files come after the named group's.
    std::vector<std::string> candidates;
    if (const std::optional<std::string> proc = read_file("/proc/self/cgroup")) {
        if (const auto v2 = cgroup_of(*proc, ""); v2 && v2->starts_with('/') && *v2 != "/") {
            candidates.push_back(fmt::format("/sys/fs/cgroup{}/memory.events", *v2));
        }
        if (const auto v1 = cgroup_of(*proc, "memory"); v1 && v1->starts_with('/') && *v1 != "/") {
            candidates.push_back(fmt::format("/sys/fs/cgroup/memory{}/memory.oom_control", *v1));
        }
    }
    candidates.emplace_back("/sys/fs/cgroup/memory.events");
    candidates.emplace_back("/sys/fs/cgroup/memory/memory.oom_control");
    for (const auto& path : candidates) {
        if (const auto text = read_file(path); text && parse_oom_kill_count(*text)) return path;
    }
    return candidates.front();
}

std::optional<int64_t> OomKillCounter::read() const {
    const std::optional<std::string> text = read_file(path_);
    if (!text) return std::nullopt;
    return parse_oom_kill_count(*text);
}

}  // namespace glmserve::supervisor
