// Arrival schedules; see load_shape.h.
#include "bench/load_shape.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "bench/rng.h"

namespace glmserve::bench {

Status validate(const LoadShape& shape) {
    if (!shape.n_requests && !shape.duration_s) {
        return invalid_argument("load shape needs requests or duration");
    }
    if (shape.n_requests && *shape.n_requests <= 0) {
        return invalid_argument(
            fmt::format("requests must be positive, got {}", *shape.n_requests));
    }
    if (shape.duration_s && !(*shape.duration_s > 0 && std::isfinite(*shape.duration_s))) {
        return invalid_argument(
            fmt::format("duration must be positive, got {}", *shape.duration_s));
    }
    switch (shape.kind) {
        case LoadKind::ClosedLoop:
            if (shape.concurrency <= 0) {
                return invalid_argument(
                    fmt::format("concurrency must be positive, got {}", shape.concurrency));
            }
            break;
        case LoadKind::Poisson:
            if (!(shape.rate_per_s > 0 && std::isfinite(shape.rate_per_s))) {
                return invalid_argument(
                    fmt::format("rate must be positive, got {}", shape.rate_per_s));
            }
            break;
        case LoadKind::Burst:
            if (!shape.n_requests) return invalid_argument("burst needs requests");
            break;
    }
    if (shape.n_requests && static_cast<size_t>(*shape.n_requests) > kMaxScheduledRequests) {
        return invalid_argument(fmt::format("requests {} exceeds the limit of {}",
                                            *shape.n_requests, kMaxScheduledRequests));
    }
    return ok_status();
}

std::vector<double> poisson_offsets_s(double rate_per_s, size_t n, uint64_t seed) {
    SplitMix64 rng(seed);
    std::vector<double> offsets(n);
    double t = 0;
    for (auto& o : offsets) {
        t += rng.exponential(rate_per_s);
        o = t;
    }
    return offsets;
}

namespace {

// Poisson arrivals strictly before duration_s, optionally also capped at n.
Result<std::vector<double>> poisson_for_duration(const LoadShape& shape) {
    SplitMix64 rng(shape.seed);
    const size_t cap =
        shape.n_requests ? static_cast<size_t>(*shape.n_requests) : kMaxScheduledRequests + 1;
    std::vector<double> offsets;
    double t = rng.exponential(shape.rate_per_s);
    while (t < *shape.duration_s && offsets.size() < cap) {
        offsets.push_back(t);
        t += rng.exponential(shape.rate_per_s);
    }
    if (offsets.size() > kMaxScheduledRequests) {
        return invalid_argument(
            fmt::format("rate x duration schedules more than {} requests", kMaxScheduledRequests));
    }
    return offsets;
}

}  // namespace

Result<std::vector<double>> arrival_offsets_s(const LoadShape& shape) {
    GS_RETURN_IF_ERROR(validate(shape));
    switch (shape.kind) {
        case LoadKind::ClosedLoop: return invalid_argument("a closed loop has no arrival schedule");
        case LoadKind::Burst:
            return std::vector<double>(static_cast<size_t>(*shape.n_requests), 0.0);
        case LoadKind::Poisson:
            if (shape.duration_s) return poisson_for_duration(shape);
            return poisson_offsets_s(shape.rate_per_s, static_cast<size_t>(*shape.n_requests),
                                     shape.seed);
    }
    return invalid_argument("unknown load kind");
}

Result<std::vector<double>> parse_rate_list(std::string_view text) {
    std::vector<double> rates;
    while (true) {
        const auto comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        double rate = 0;
        const char* end = item.data() + item.size();
        const auto [ptr, ec] = std::from_chars(item.data(), end, rate);
        if (item.empty() || ec != std::errc() || ptr != end || !(rate > 0) ||
            !std::isfinite(rate)) {
            return invalid_argument(fmt::format("rate '{}' is not a positive number", item));
        }
        rates.push_back(rate);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return rates;
}

}  // namespace glmserve::bench
