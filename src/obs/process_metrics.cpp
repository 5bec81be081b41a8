// Process metrics from /proc (see process_metrics.h).
//
// /proc/self/stat is parsed after the last ')' because the command name in field 2 may itself
// contain spaces and parentheses (proc(5)).
#include "obs/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/system_info.h"

namespace glmserve::obs {
namespace {

std::string read_whole_file(const char* path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::optional<uint64_t> parse_u64(std::string_view text) {
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// Fields 3.. of /proc/self/stat ("state" first), or empty when unreadable.
std::vector<std::string> stat_fields() {
    const std::string text = read_whole_file("/proc/self/stat");
    const size_t close = text.rfind(')');
    if (close == std::string::npos) return {};
    std::istringstream rest(text.substr(close + 1));
    std::vector<std::string> fields;
    for (std::string field; rest >> field;) fields.push_back(field);
    return fields;
}

// Field number n (1-based, as in proc(5)) of /proc/self/stat as an integer; 0 if absent.
uint64_t stat_field(const std::vector<std::string>& fields, size_t n) {
    constexpr size_t kFirst = 3;  // fields[] starts at "state"
    if (n < kFirst || n - kFirst >= fields.size()) return 0;
    return parse_u64(fields[n - kFirst]).value_or(0);
}

double clock_ticks_per_second() {
    const long ticks = sysconf(_SC_CLK_TCK);
    return ticks > 0 ? static_cast<double>(ticks) : 100.0;  // 100 is Linux' USER_HZ
}

double cpu_seconds() {
    const auto fields = stat_fields();
    constexpr size_t kUtime = 14, kStime = 15;
    const auto ticks = stat_field(fields, kUtime) + stat_field(fields, kStime);
    return static_cast<double>(ticks) / clock_ticks_per_second();
}

double thread_count() {
    constexpr size_t kNumThreads = 20;
    return static_cast<double>(stat_field(stat_fields(), kNumThreads));
}

// Boot time ("btime" of /proc/stat) plus starttime (field 22, ticks after boot).
double start_time_seconds() {
    std::istringstream stat(read_whole_file("/proc/stat"));
    std::optional<uint64_t> boot_time;
    for (std::string line; std::getline(stat, line);) {
        if (line.starts_with("btime ")) boot_time = parse_u64(std::string_view(line).substr(6));
    }
    constexpr size_t kStartTime = 22;
    const auto start_ticks = stat_field(stat_fields(), kStartTime);
    if (!boot_time || start_ticks == 0) return 0.0;
    return static_cast<double>(*boot_time) +
           static_cast<double>(start_ticks) / clock_ticks_per_second();
}

// Entries of /proc/self/fd, leaving out the descriptor this listing itself holds open.
double open_fd_count() {
    DIR* dir = opendir("/proc/self/fd");
    if (dir == nullptr) return 0.0;
    const std::string own_fd = std::to_string(dirfd(dir));
    uint64_t count = 0;
    while (const dirent* entry = readdir(dir)) {
        const std::string_view name = entry->d_name;
        if (name == "." || name == ".." || name == own_fd) continue;
        ++count;
    }
    closedir(dir);
    return static_cast<double>(count);
}

double max_fds() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 0.0;
    return static_cast<double>(limit.rlim_cur);
}

}  // namespace

void register_process_metrics(Registry& registry) {
    registry.gauge_fn("glmserve_process_resident_memory_bytes", "Resident set size (VmRSS).", {},
                      [] { return static_cast<double>(current_rss_bytes()); });
    registry.gauge_fn("glmserve_process_peak_resident_memory_bytes",
                      "Peak resident set size since start (VmHWM).", {},
                      [] { return static_cast<double>(peak_rss_bytes()); });
    registry.gauge_fn("glmserve_process_open_fds", "Open file descriptors.", {}, open_fd_count);
    registry.gauge_fn("glmserve_process_max_fds", "Soft limit on open file descriptors.", {},
                      max_fds);
    registry.gauge_fn("glmserve_process_threads", "Threads in this process.", {}, thread_count);
    const double started = start_time_seconds();
    registry.gauge_fn("glmserve_process_start_time_seconds",
                      "Start time of the process since the unix epoch, in seconds.", {},
                      [started] { return started; });
    registry.counter_fn("glmserve_process_cpu_seconds_total",
                        "User and system CPU time spent by the process, in seconds.", {},
                        cpu_seconds);
}

}  // namespace glmserve::obs
