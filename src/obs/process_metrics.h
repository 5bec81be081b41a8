// Process metrics: memory, file descriptors, threads, CPU time and start time of this process,
// read from /proc at render time (the names follow Prometheus' process_* collector with our
// glmserve_ prefix, so the usual dashboards translate directly).
//
// Each value reads as 0 where /proc does not say (non-Linux, a restricted sandbox): a scrape
// never fails because one source is missing. The start time is computed once, at
// registration; everything else is read on each render.
// Thread: register_process_metrics() from any thread, once per registry (a second call is a
// GS_CHECK failure, like any duplicated callback series).
#pragma once

#include "obs/metrics.h"

namespace glmserve::obs {

// Adds, as callback series:
//   glmserve_process_resident_memory_bytes       gauge    VmRSS
//   glmserve_process_peak_resident_memory_bytes  gauge    VmHWM
//   glmserve_process_open_fds                    gauge    entries of /proc/self/fd
//   glmserve_process_max_fds                     gauge    RLIMIT_NOFILE soft limit
//   glmserve_process_threads                     gauge    num_threads of /proc/self/stat
//   glmserve_process_start_time_seconds          gauge    unix time the process started
//   glmserve_process_cpu_seconds_total           counter  (utime + stime) / clock ticks
void register_process_metrics(Registry& registry);

}  // namespace glmserve::obs
