// Metrics: counters, gauges and histograms in one registry, rendered as Prometheus text
// (exposition format 0.0.4) for GET /metrics.
//
// Components declare their metrics once, in a struct built from the registry (STYLE.md §8),
// and keep references: the returned objects live as long as the registry and never move. The
// hot path only does atomic operations; registration and rendering take the registry's lock.
// Names must match [a-zA-Z_:][a-zA-Z0-9_:]* and label names [a-zA-Z_][a-zA-Z0-9_]*; one name
// is one family with one type and help text, and each label set appears once in it —
// violating any of that is a programmer error (GS_CHECK), never something a request can do.
// Label values are escaped (\\, \", \n) when rendered. Families render in registration order,
// series in registration order within a family.
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

class Counter {
public:
    void inc(double v = 1.0);  // v >= 0 (negative is ignored)
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

// Cumulative buckets by upper bound (le), plus +Inf, _sum and _count.
class Histogram {
public:
    explicit Histogram(std::vector<double> upper_bounds);  // sorted, finite, strictly increasing
    void observe(double v);

    struct Snapshot {
        std::vector<double> upper_bounds;
        std::vector<uint64_t> cumulative_counts;  // per bound, then +Inf last
        double sum = 0.0;
        uint64_t count = 0;
    };
    Snapshot snapshot() const;

private:
    std::vector<double> upper_bounds_;
    std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket (not cumulative), +Inf last
    std::atomic<double> sum_{0.0};
    std::atomic<uint64_t> count_{0};
};

// Bucket bounds for latencies in seconds: 1 ms .. 60 s.
std::vector<double> latency_buckets_seconds();
// Bounds for token counts: 1 .. 65536, powers of two.
std::vector<double> token_count_buckets();

class Registry {
public:
    Registry();
    ~Registry();

    Counter& counter(std::string_view name, std::string_view help, Labels labels = {});
    Gauge& gauge(std::string_view name, std::string_view help, Labels labels = {});
    Histogram& histogram(std::string_view name, std::string_view help,
                         std::vector<double> upper_bounds, Labels labels = {});
    // A gauge read at render time (queue lengths, RSS, ...). fn runs under the registry lock:
    // it must be quick and must not call back into the registry.
    void gauge_fn(std::string_view name, std::string_view help, Labels labels,
                  std::function<double()> fn);

    // The whole registry in Prometheus text format.
    std::string render() const;

    struct Family;

private:
    mutable std::mutex mu_;
    std::vector<std::unique_ptr<Family>> families_;  // guarded by mu_
};

// Content-Type of render()'s output.
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace glmserve::obs
