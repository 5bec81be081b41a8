#include "common/system_info.h"

#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <utility>

namespace glmserve {
namespace {

// Reads "Key:   123 kB" from a /proc file; returns bytes.
uint64_t read_kb_field(const char* path, const std::string& key) {
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.compare(0, key.size(), key) == 0 && line.size() > key.size() &&
            line[key.size()] == ':') {
            try {
                return std::stoull(line.substr(key.size() + 1)) * 1024;
            } catch (...) {
                return 0;
            }
        }
    }
    return 0;
}

}  // namespace

int physical_core_count() {
    std::set<std::pair<std::string, std::string>> cores;
    const unsigned logical = std::thread::hardware_concurrency();
    for (unsigned cpu = 0; cpu < logical; ++cpu) {
        const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
        std::ifstream pkg(base + "physical_package_id");
        std::ifstream core(base + "core_id");
        std::string p, c;
        if (!(pkg >> p) || !(core >> c)) continue;
        cores.emplace(p, c);
    }
    if (!cores.empty()) return static_cast<int>(cores.size());
    return logical > 0 ? static_cast<int>(logical) : 1;
}

uint64_t total_memory_bytes() {
    return read_kb_field("/proc/meminfo", "MemTotal");
}
uint64_t available_memory_bytes() {
    return read_kb_field("/proc/meminfo", "MemAvailable");
}
uint64_t peak_rss_bytes() {
    return read_kb_field("/proc/self/status", "VmHWM");
}
uint64_t current_rss_bytes() {
    return read_kb_field("/proc/self/status", "VmRSS");
}

}  // namespace glmserve
