// Statistics over a run's RequestRecords: latency distributions, throughput, goodput under
// SLOs, outcome counts and a per-second timeline for charts.
//
// Percentile definition (used everywhere in bench): the samples are sorted ascending,
// x[0..n-1]; the p-th percentile (p in [0, 100]) is the linear interpolation between the
// closest ranks at the fractional rank r = p/100 * (n - 1):
//     x[floor(r)] + (r - floor(r)) * (x[floor(r) + 1] - x[floor(r)]).
// This is Hyndman and Fan's definition 7 (NumPy's default "linear"), so P0 is the minimum,
// P100 the maximum, and the P50 of 1..100 is 50.5. An empty sample has count 0 and all
// figures 0.
//
// Which requests count: latency distributions (TTFT, ITL, TPOT, E2E) and token throughput use
// Ok requests only; a failed request's timings describe the failure, not the service. ITL pools
// every gap of every Ok request. TPOT per request is (e2e - ttft) / (n_tokens_generated - 1),
// defined only for requests with at least two output tokens.
//
// Send lag (start_s - scheduled_s, every request) shows an open-loop client that fell behind
// its schedule (more due requests than kMaxOpenConnections, or a starved io thread): latency
// is measured from the actual send, so a large lag means the offered rate was not offered.
//
// Goodput counts Ok requests that meet every SLO that is set:
//   ttft: ttft_s <= slo.ttft_s (a request that streamed no token fails it);
//   e2e:  e2e_s <= slo.e2e_s;
//   itl:  the request's own P99 gap (definition above) <= slo.itl_s. P99 rather than the
//         maximum so that one scheduler hiccup in a long stream does not fail the request,
//         while for streams under ~100 tokens it is within one gap of the maximum. A request
//         with no gaps meets the ITL SLO.
// Thread: pure functions over values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "bench/request_record.h"

namespace glmserve::bench {

struct Distribution {
    uint64_t count = 0;
    double min = 0;
    double mean = 0;
    double p50 = 0;
    double p90 = 0;
    double p95 = 0;
    double p99 = 0;
    double max = 0;
};

// The p-th percentile of ascending-sorted samples (definition at the top). Requires a
// non-empty span and p in [0, 100].
double percentile_sorted(std::span<const double> sorted, double p);

// Summarises samples in any order.
Distribution distribution(std::vector<double> samples);

struct Slo {
    std::optional<double> ttft_s;
    std::optional<double> itl_s;
    std::optional<double> e2e_s;
};

struct OutcomeCounts {
    uint64_t ok = 0;
    uint64_t http_error = 0;
    uint64_t timeout = 0;
    uint64_t connect_error = 0;
    uint64_t stream_cut = 0;
    uint64_t bad_response = 0;
    std::map<int, uint64_t> by_http_status;  // every status line seen, 200 included

    uint64_t& of(Outcome outcome);
    uint64_t of(Outcome outcome) const;
};

// One second of the run: [t_s, t_s + 1).
struct TimelineBucket {
    double t_s = 0;
    double in_flight = 0;       // time-averaged number of requests open during the second
    uint64_t completed_ok = 0;  // Ok requests that ended in this second
    uint64_t tokens_out = 0;    // token chunks that arrived in this second (Ok requests)
};

struct Summary {
    double wall_s = 0;
    uint64_t n_requests = 0;
    Distribution ttft_s;
    Distribution itl_s;
    Distribution tpot_s;
    Distribution e2e_s;
    Distribution send_lag_s;          // every request
    uint64_t n_tokens_prompt = 0;     // Ok requests
    uint64_t n_tokens_generated = 0;  // Ok requests
    double requests_per_s = 0;        // Ok requests / wall
    double output_tokens_per_s = 0;
    Slo slo;
    uint64_t n_goodput = 0;
    double goodput_per_s = 0;
    OutcomeCounts outcomes;
    std::vector<TimelineBucket> timeline;
};

// True when an Ok request meets every SLO that is set (definition at the top).
bool meets_slo(const RequestRecord& record, const Slo& slo);

Summary summarize(const std::vector<RequestRecord>& records, const Slo& slo, double wall_seconds);

}  // namespace glmserve::bench
