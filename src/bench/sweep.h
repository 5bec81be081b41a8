// A rate sweep's results and its knee: the highest offered rate the server still keeps up with.
//
// Knee definition: sweep points are taken in ascending offered rate; a point keeps up when its
// goodput (Ok requests meeting the SLOs, per second; with no SLO set, Ok requests per second)
// is at least kKeepUpFraction of the offered rate. The knee is the last point of the leading
// run of points that keep up; past it, latency climbs and throughput flattens. Achieved rates
// are over the run's wall time, which includes the last requests' latency, so each point
// should last well past one end-to-end latency or it looks slower than it is.
// Thread: pure functions over values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/stats.h"

namespace glmserve::bench {

inline constexpr double kKeepUpFraction = 0.9;

struct SweepPoint {
    double rate_per_s = 0;  // offered
    Summary summary;
};

bool keeps_up(const SweepPoint& point);

// Index of the knee in `points` (sorted by rate inside); nullopt when even the lowest rate
// does not keep up.
std::optional<size_t> find_knee(const std::vector<SweepPoint>& points);

// One row per rate (offered and achieved rates, tokens/s, TTFT and ITL percentiles, goodput,
// failures) and the knee line.
std::string format_sweep_table(const std::vector<SweepPoint>& points);

}  // namespace glmserve::bench
