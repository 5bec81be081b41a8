// Statistics over RequestRecords; see stats.h for every definition.
#include "bench/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/check.h"

namespace glmserve::bench {

double percentile_sorted(std::span<const double> sorted, double p) {
    GS_CHECK(!sorted.empty());
    GS_CHECK(p >= 0 && p <= 100);
    const double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
    const auto lo = static_cast<size_t>(std::floor(rank));
    const size_t hi = std::min(lo + 1, sorted.size() - 1);
    const double frac = rank - static_cast<double>(lo);
    return sorted[lo] + frac * (sorted[hi] - sorted[lo]);
}

Distribution distribution(std::vector<double> samples) {
    Distribution d;
    if (samples.empty()) return d;
    std::sort(samples.begin(), samples.end());
    d.count = samples.size();
    d.min = samples.front();
    d.max = samples.back();
    d.mean =
        std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(samples.size());
    d.p50 = percentile_sorted(samples, 50);
    d.p90 = percentile_sorted(samples, 90);
    d.p95 = percentile_sorted(samples, 95);
    d.p99 = percentile_sorted(samples, 99);
    return d;
}

namespace {

// One switch for both constness of OutcomeCounts::of.
template <typename Counts>
auto& counter_of(Counts& counts, Outcome outcome) {
    switch (outcome) {
        case Outcome::Ok: return counts.ok;
        case Outcome::HttpError: return counts.http_error;
        case Outcome::Timeout: return counts.timeout;
        case Outcome::ConnectError: return counts.connect_error;
        case Outcome::StreamCut: return counts.stream_cut;
        case Outcome::BadResponse: return counts.bad_response;
    }
    return counts.bad_response;
}

}  // namespace

uint64_t& OutcomeCounts::of(Outcome outcome) {
    return counter_of(*this, outcome);
}

uint64_t OutcomeCounts::of(Outcome outcome) const {
    return counter_of(*this, outcome);
}

bool meets_slo(const RequestRecord& record, const Slo& slo) {
    if (record.outcome != Outcome::Ok) return false;
    if (slo.ttft_s && (!record.ttft_s || *record.ttft_s > *slo.ttft_s)) return false;
    if (slo.e2e_s && record.e2e_s > *slo.e2e_s) return false;
    if (slo.itl_s && !record.itl_s.empty()) {
        std::vector<double> gaps = record.itl_s;
        std::sort(gaps.begin(), gaps.end());
        if (percentile_sorted(gaps, 99) > *slo.itl_s) return false;
    }
    return true;
}

namespace {

// Adds the request's open interval [start, start + e2e) to the per-second in-flight averages,
// each bucket getting the length of its overlap with the interval.
void add_in_flight(std::vector<TimelineBucket>& timeline, double start_s, double end_s) {
    const auto first = static_cast<size_t>(std::max(0.0, std::floor(start_s)));
    for (size_t i = first; i < timeline.size(); ++i) {
        const double lo = std::max(start_s, static_cast<double>(i));
        const double hi = std::min(end_s, static_cast<double>(i + 1));
        if (hi <= lo) break;
        timeline[i].in_flight += hi - lo;
    }
}

size_t bucket_of(double t_s, size_t n_buckets) {
    const auto i = static_cast<size_t>(std::max(0.0, std::floor(t_s)));
    return std::min(i, n_buckets - 1);
}

// Token chunks of an Ok request: the first at start + ttft, then one per stored gap.
void add_tokens(std::vector<TimelineBucket>& timeline, const RequestRecord& r) {
    if (!r.ttft_s) return;
    double t = r.start_s + *r.ttft_s;
    ++timeline[bucket_of(t, timeline.size())].tokens_out;
    for (double gap : r.itl_s) {
        t += gap;
        ++timeline[bucket_of(t, timeline.size())].tokens_out;
    }
}

std::vector<TimelineBucket> make_timeline(const std::vector<RequestRecord>& records,
                                          double wall_s) {
    double end_s = wall_s;
    for (const auto& r : records) end_s = std::max(end_s, r.start_s + r.e2e_s);
    const auto n_buckets = static_cast<size_t>(std::max(1.0, std::ceil(end_s)));
    std::vector<TimelineBucket> timeline(n_buckets);
    for (size_t i = 0; i < n_buckets; ++i) timeline[i].t_s = static_cast<double>(i);
    for (const auto& r : records) {
        add_in_flight(timeline, r.start_s, r.start_s + r.e2e_s);
        if (r.outcome != Outcome::Ok) continue;
        ++timeline[bucket_of(r.start_s + r.e2e_s, n_buckets)].completed_ok;
        add_tokens(timeline, r);
    }
    return timeline;
}

}  // namespace

Summary summarize(const std::vector<RequestRecord>& records, const Slo& slo, double wall_seconds) {
    Summary s;
    s.wall_s = wall_seconds;
    s.n_requests = records.size();
    s.slo = slo;
    std::vector<double> ttft, itl, tpot, e2e, lag;
    for (const auto& r : records) {
        lag.push_back(std::max(0.0, r.start_s - r.scheduled_s));
        ++s.outcomes.of(r.outcome);
        if (r.http_status != 0) ++s.outcomes.by_http_status[r.http_status];
        if (r.outcome != Outcome::Ok) continue;
        if (r.ttft_s) ttft.push_back(*r.ttft_s);
        itl.insert(itl.end(), r.itl_s.begin(), r.itl_s.end());
        if (r.ttft_s && r.n_tokens_generated >= 2) {
            tpot.push_back((r.e2e_s - *r.ttft_s) / static_cast<double>(r.n_tokens_generated - 1));
        }
        e2e.push_back(r.e2e_s);
        s.n_tokens_prompt += static_cast<uint64_t>(std::max<int64_t>(0, r.n_tokens_prompt));
        s.n_tokens_generated += static_cast<uint64_t>(std::max<int64_t>(0, r.n_tokens_generated));
        if (meets_slo(r, slo)) ++s.n_goodput;
    }
    s.ttft_s = distribution(std::move(ttft));
    s.itl_s = distribution(std::move(itl));
    s.tpot_s = distribution(std::move(tpot));
    s.e2e_s = distribution(std::move(e2e));
    s.send_lag_s = distribution(std::move(lag));
    if (wall_seconds > 0) {
        s.requests_per_s = static_cast<double>(s.outcomes.ok) / wall_seconds;
        s.output_tokens_per_s = static_cast<double>(s.n_tokens_generated) / wall_seconds;
        s.goodput_per_s = static_cast<double>(s.n_goodput) / wall_seconds;
    }
    s.timeline = make_timeline(records, wall_seconds);
    return s;
}

}  // namespace glmserve::bench
