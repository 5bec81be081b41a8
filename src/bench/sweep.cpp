// Rate sweep table and knee; see sweep.h.
#include "bench/sweep.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace glmserve::bench {

bool keeps_up(const SweepPoint& point) {
    return point.summary.goodput_per_s >= kKeepUpFraction * point.rate_per_s;
}

namespace {

std::vector<size_t> by_rate(const std::vector<SweepPoint>& points) {
    std::vector<size_t> order(points.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return points[a].rate_per_s < points[b].rate_per_s;
    });
    return order;
}

}  // namespace

std::optional<size_t> find_knee(const std::vector<SweepPoint>& points) {
    std::optional<size_t> knee;
    for (size_t i : by_rate(points)) {
        if (!keeps_up(points[i])) break;
        knee = i;
    }
    return knee;
}

std::string format_sweep_table(const std::vector<SweepPoint>& points) {
    std::string out =
        fmt::format("{:>8}{:>10}{:>10}{:>12}{:>12}{:>12}{:>12}{:>8}\n", "rate", "req/s", "goodput",
                    "tok/s", "TTFT p50", "TTFT p99", "ITL p99", "failed");
    for (size_t i : by_rate(points)) {
        const Summary& s = points[i].summary;
        out += fmt::format("{:>8g}{:>10.2f}{:>10.2f}{:>12.1f}{:>12.2f}{:>12.2f}{:>12.2f}{:>8}\n",
                           points[i].rate_per_s, s.requests_per_s, s.goodput_per_s,
                           s.output_tokens_per_s, s.ttft_s.p50 * 1e3, s.ttft_s.p99 * 1e3,
                           s.itl_s.p99 * 1e3, s.n_requests - std::min(s.n_requests, s.outcomes.ok));
    }
    const auto knee = find_knee(points);
    if (knee) {
        out += fmt::format("knee: {:g} req/s (highest rate with goodput >= {:.0f}% of offered)\n",
                           points[*knee].rate_per_s, kKeepUpFraction * 100);
    } else {
        out += "knee: below the lowest rate (no rate kept up)\n";
    }
    return out;
}

}  // namespace glmserve::bench
