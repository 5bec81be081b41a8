// Facts about this machine and process that the CLI reports and the engine sizes itself by.
// Each returns 0 when the system does not say (e.g. no /proc).
#pragma once

#include <cstdint>

namespace glmserve {

int physical_core_count();          // distinct (package, core) pairs; logical CPUs as fallback
uint64_t total_memory_bytes();      // MemTotal
uint64_t available_memory_bytes();  // MemAvailable
uint64_t peak_rss_bytes();          // this process's high-water resident set (VmHWM)
uint64_t current_rss_bytes();       // VmRSS

}  // namespace glmserve
