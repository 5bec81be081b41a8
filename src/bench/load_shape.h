// Load shapes: when the load generator sends each request.
//
//   ClosedLoop  `concurrency` requests in flight; each completion sends the next, until
//               n_requests have been sent or duration_s has passed (whichever is set first).
//   Poisson     open loop: arrivals at rate_per_s with exponential gaps (a Poisson process),
//               whatever the server's speed, for n_requests or duration_s.
//   Burst       open loop: n_requests all sent at t = 0.
// A sweep runs one Poisson shape per rate of a list (`--rates 1,2,4,8`), to find the knee.
//
// Open-loop schedules are precomputed offsets from the run's start, drawn from SplitMix64
// (rng.h) with the run's seed by inverse CDF, so a seed gives the same schedule everywhere.
// Thread: pure functions over values.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace glmserve::bench {

enum class LoadKind : uint8_t { ClosedLoop, Poisson, Burst };

// A schedule longer than this is refused: it would be a typo, not a benchmark.
inline constexpr size_t kMaxScheduledRequests = size_t{10} << 20;

struct LoadShape {
    LoadKind kind = LoadKind::ClosedLoop;
    int64_t concurrency = 1;            // ClosedLoop only
    std::optional<int64_t> n_requests;  // at least one of n_requests / duration_s is set
    std::optional<double> duration_s;   // Burst needs n_requests
    double rate_per_s = 0;              // Poisson only
    uint64_t seed = 0;
};

// Checks the fields the kind needs; the error names the flag-level field.
Status validate(const LoadShape& shape);

// Send offsets in seconds from the run's start, ascending, for Poisson and Burst shapes.
// ClosedLoop has no schedule (InvalidArgument).
Result<std::vector<double>> arrival_offsets_s(const LoadShape& shape);

// n arrival offsets of a Poisson process at rate_per_s: cumulative exponential gaps.
std::vector<double> poisson_offsets_s(double rate_per_s, size_t n, uint64_t seed);

// "1,2,4.5" → {1, 2, 4.5}; every rate positive and finite.
Result<std::vector<double>> parse_rate_list(std::string_view text);

}  // namespace glmserve::bench
