// Metrics: counters, gauges and histograms in one registry, rendered as Prometheus text
// (exposition format 0.0.4) for GET /metrics.
//
// Components declare their metrics once, in a struct built from the registry (STYLE.md §8),
// and keep references: the returned objects live as long as the registry and never move. The
// hot path only does relaxed atomic operations; registration and rendering take the
// registry's lock.
//
// Invariants, each enforced with GS_CHECK (they are programmer errors, never something a
// request can cause):
// - names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* and do not start
//   with "__" (reserved by Prometheus); a histogram may not use the label name "le";
// - one name is one family with one type, one help text and one set of label names (the
//   order they are given in does not matter; the first registration's order is rendered);
// - a histogram family has one set of bucket bounds.
// Registering an existing name + label values again returns the existing object, so two
// components may share a series. A callback series (gauge_fn/counter_fn) cannot be shared:
// registering one twice is a GS_CHECK failure.
// Families render in registration order, series in registration order within a family. Help
// text is escaped (\\, \n) and label values (\\, \", \n) when rendered.
// Thread: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace glmserve::obs {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Monotonic. Increments that are negative, NaN or infinite are ignored: a counter must stay
// a finite non-decreasing number for rate() to work.
class Counter {
public:
    void inc(double v = 1.0);
    double value() const;

private:
    std::atomic<double> value_{0.0};
};

class Gauge {
public:
    void set(double v);
    void add(double v);
    double value() const;

private:
    std::atomic<double> value_{0.0};
};

// Cumulative buckets by upper bound (le: v <= bound), plus +Inf, _sum and _count. NaN
// observations are ignored (they would turn _sum into NaN for the life of the process).
class Histogram {
public:
    // Finite and strictly increasing (GS_CHECK); may be empty (only the +Inf bucket).
    explicit Histogram(std::vector<double> upper_bounds);
    void observe(double v);

    // count equals the +Inf bucket even while other threads observe; sum is read separately
    // and may lag or lead count by the observations in flight.
    struct Snapshot {
        std::vector<double> upper_bounds;
        std::vector<uint64_t> cumulative_counts;  // per bound, then +Inf last
        double sum = 0.0;
        uint64_t count = 0;
    };
    Snapshot snapshot() const;
    const std::vector<double>& upper_bounds() const { return upper_bounds_; }

private:
    std::vector<double> upper_bounds_;
    std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket (not cumulative), +Inf last
    std::atomic<double> sum_{0.0};
};

// Bucket bounds for latencies in seconds: 1 ms .. 60 s.
std::vector<double> latency_buckets_seconds();
// Bounds for token counts: 1 .. 65536, powers of two.
std::vector<double> token_count_buckets();

class Registry {
public:
    Registry();
    ~Registry();
    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    Counter& counter(std::string_view name, std::string_view help, Labels labels = {});
    Gauge& gauge(std::string_view name, std::string_view help, Labels labels = {});
    Histogram& histogram(std::string_view name, std::string_view help,
                         std::vector<double> upper_bounds, Labels labels = {});
    // A gauge read at render time (queue lengths, RSS, ...). fn runs under the registry lock:
    // it must be quick and must not call back into the registry.
    void gauge_fn(std::string_view name, std::string_view help, Labels labels,
                  std::function<double()> fn);
    // A counter read at render time, for totals another party keeps (CPU seconds from the
    // kernel). fn must be non-decreasing; same rules as gauge_fn otherwise.
    void counter_fn(std::string_view name, std::string_view help, Labels labels,
                    std::function<double()> fn);

    // The whole registry in Prometheus text format.
    std::string render() const;

    struct Family;  // defined in metrics.cpp

private:
    mutable std::mutex mu_;
    std::vector<std::unique_ptr<Family>> families_;  // guarded by mu_
};

// Content-Type of render()'s output.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace glmserve::obs
