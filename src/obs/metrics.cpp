// Metrics registry and its Prometheus text rendering (exposition format 0.0.4).
//
// Families own their series through unique_ptr, so the references handed out stay valid while
// the vectors holding them grow. Registration and render() hold mu_; the metric objects
// themselves are only touched with relaxed atomics (they are counters: no other memory is
// published through them).
#include "obs/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>

#include "common/check.h"

namespace glmserve::obs {

// ---- metric objects --------------------------------------------------------------------

void Counter::inc(double v) {
    if (!(v >= 0.0) || std::isinf(v)) return;  // also rejects NaN
    value_.fetch_add(v, std::memory_order_relaxed);
}

double Counter::value() const {
    return value_.load(std::memory_order_relaxed);
}

void Gauge::set(double v) {
    value_.store(v, std::memory_order_relaxed);
}

void Gauge::add(double v) {
    value_.fetch_add(v, std::memory_order_relaxed);
}

double Gauge::value() const {
    return value_.load(std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(upper_bounds_.size() + 1)) {
    for (size_t i = 0; i < upper_bounds_.size(); ++i) {
        GS_CHECK(std::isfinite(upper_bounds_[i]));
        GS_CHECK(i == 0 || upper_bounds_[i - 1] < upper_bounds_[i]);
    }
}

void Histogram::observe(double v) {
    if (std::isnan(v)) return;
    // First bound >= v: the smallest bucket whose le admits v; end() is the +Inf bucket.
    const auto it = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), v);
    const auto bucket = static_cast<size_t>(it - upper_bounds_.begin());
    counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
    Snapshot s;
    s.upper_bounds = upper_bounds_;
    s.cumulative_counts.resize(upper_bounds_.size() + 1);
    uint64_t running = 0;
    for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
        running += counts_[i].load(std::memory_order_relaxed);
        s.cumulative_counts[i] = running;
    }
    // _count is the +Inf bucket by definition; deriving it keeps the two equal in every
    // snapshot, which Prometheus' histogram functions assume.
    s.count = running;
    s.sum = sum_.load(std::memory_order_relaxed);
    return s;
}

std::vector<double> latency_buckets_seconds() {
    return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,  0.25,
            0.5,   1.0,    2.5,   5.0,  10.0,  20.0, 30.0, 60.0};
}

std::vector<double> token_count_buckets() {
    std::vector<double> bounds;
    for (double b = 1.0; b <= 65536.0; b *= 2.0) bounds.push_back(b);
    return bounds;
}

// ---- registry ----------------------------------------------------------------------------

struct Registry::Family {
    enum class Type { Counter, Gauge, Histogram };

    // One series: label values in the family's label-name order, and exactly one of the value
    // holders set, matching the family type.
    struct Series {
        std::vector<std::string> label_values;
        std::unique_ptr<Counter> counter;
        std::unique_ptr<Gauge> gauge;
        std::unique_ptr<Histogram> histogram;
        std::function<double()> fn;  // counter_fn / gauge_fn
    };

    std::string name;
    std::string help;
    Type type = Type::Counter;
    std::vector<std::string> label_names;
    std::vector<double> upper_bounds;  // histograms only
    std::vector<Series> series;
};

namespace {

using MetricType = Registry::Family::Type;
using Series = Registry::Family::Series;

std::string_view type_name(MetricType type) {
    switch (type) {
        case MetricType::Counter: return "counter";
        case MetricType::Gauge: return "gauge";
        case MetricType::Histogram: return "histogram";
    }
    return "untyped";
}

bool is_metric_name(std::string_view name) {
    if (name.empty()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        const bool digit = c >= '0' && c <= '9';
        if (!(alpha || c == ':' || (i > 0 && digit))) return false;
    }
    return true;
}

bool is_label_name(std::string_view name) {
    if (name.starts_with("__")) return false;
    return is_metric_name(name) && name.find(':') == std::string_view::npos;
}

// Finds `name` in families or appends it; the existing family must agree on everything that
// defines a family (header contract).
Registry::Family& family_for(std::vector<std::unique_ptr<Registry::Family>>& families,
                             std::string_view name, std::string_view help, MetricType type,
                             const Labels& labels) {
    GS_CHECK(is_metric_name(name));
    std::vector<std::string> names;
    for (const auto& [label, value] : labels) {
        GS_CHECK(is_label_name(label));
        GS_CHECK(!(type == MetricType::Histogram && label == "le"));
        GS_CHECK(std::find(names.begin(), names.end(), label) == names.end());
        names.push_back(label);
    }
    for (auto& family : families) {
        if (family->name != name) continue;
        GS_CHECK(family->type == type);
        GS_CHECK(family->help == help);
        GS_CHECK(family->label_names.size() == names.size());
        for (const auto& label : names) {
            GS_CHECK(std::find(family->label_names.begin(), family->label_names.end(), label) !=
                     family->label_names.end());
        }
        return *family;
    }
    auto family = std::make_unique<Registry::Family>();
    family->name = std::string(name);
    family->help = std::string(help);
    family->type = type;
    family->label_names = std::move(names);
    families.push_back(std::move(family));
    return *families.back();
}

// The label values of `labels`, reordered to the family's label-name order.
std::vector<std::string> values_in_family_order(const Registry::Family& family,
                                                const Labels& labels) {
    std::vector<std::string> values;
    values.reserve(family.label_names.size());
    for (const auto& label : family.label_names) {
        const auto it = std::find_if(labels.begin(), labels.end(),
                                     [&](const auto& kv) { return kv.first == label; });
        GS_CHECK(it != labels.end());
        values.push_back(it->second);
    }
    return values;
}

Series* find_series(Registry::Family& family, const std::vector<std::string>& values) {
    for (auto& series : family.series) {
        if (series.label_values == values) return &series;
    }
    return nullptr;
}

// Prometheus parses Go float syntax: integral values print as integers (no exponent, so
// counters read naturally), others as the shortest string that round-trips.
void append_value(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "NaN";
    } else if (std::isinf(v)) {
        out += v > 0 ? "+Inf" : "-Inf";
    } else if (v == std::trunc(v) && std::fabs(v) < 9.0e18) {
        fmt::format_to(std::back_inserter(out), "{}", static_cast<int64_t>(v));
    } else {
        fmt::format_to(std::back_inserter(out), "{}", v);
    }
}

void append_escaped(std::string& out, std::string_view text, bool escape_quote) {
    for (const char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '"' && escape_quote) {
            out += "\\\"";
        } else {
            out += c;
        }
    }
}

// `{a="x",b="y"}` (plus `le` for buckets), or nothing when there are no labels.
void append_labels(std::string& out, const Registry::Family& family, const Series& series,
                   std::string_view le = {}) {
    if (family.label_names.empty() && le.empty()) return;
    out += '{';
    for (size_t i = 0; i < family.label_names.size(); ++i) {
        if (i > 0) out += ',';
        out += family.label_names[i];
        out += "=\"";
        append_escaped(out, series.label_values[i], /*escape_quote=*/true);
        out += '"';
    }
    if (!le.empty()) {
        if (!family.label_names.empty()) out += ',';
        out += "le=\"";
        out += le;
        out += '"';
    }
    out += '}';
}

void append_sample(std::string& out, const Registry::Family& family, const Series& series,
                   std::string_view suffix, double value, std::string_view le = {}) {
    out += family.name;
    out += suffix;
    append_labels(out, family, series, le);
    out += ' ';
    append_value(out, value);
    out += '\n';
}

void append_histogram(std::string& out, const Registry::Family& family, const Series& series) {
    const Histogram::Snapshot snap = series.histogram->snapshot();
    std::string le;
    for (size_t i = 0; i < snap.upper_bounds.size(); ++i) {
        le.clear();
        append_value(le, snap.upper_bounds[i]);
        append_sample(out, family, series, "_bucket",
                      static_cast<double>(snap.cumulative_counts[i]), le);
    }
    append_sample(out, family, series, "_bucket", static_cast<double>(snap.count), "+Inf");
    append_sample(out, family, series, "_sum", snap.sum);
    append_sample(out, family, series, "_count", static_cast<double>(snap.count));
}

void append_family(std::string& out, const Registry::Family& family) {
    out += "# HELP ";
    out += family.name;
    out += ' ';
    append_escaped(out, family.help, /*escape_quote=*/false);
    out += "\n# TYPE ";
    out += family.name;
    out += ' ';
    out += type_name(family.type);
    out += '\n';
    for (const Series& series : family.series) {
        if (series.histogram) {
            append_histogram(out, family, series);
        } else if (series.fn) {
            append_sample(out, family, series, "", series.fn());
        } else if (series.counter) {
            append_sample(out, family, series, "", series.counter->value());
        } else {
            append_sample(out, family, series, "", series.gauge->value());
        }
    }
}

}  // namespace

Registry::Registry() = default;
Registry::~Registry() = default;

Counter& Registry::counter(std::string_view name, std::string_view help, Labels labels) {
    std::lock_guard lock(mu_);
    Family& family = family_for(families_, name, help, MetricType::Counter, labels);
    auto values = values_in_family_order(family, labels);
    if (Series* existing = find_series(family, values)) {
        GS_CHECK(existing->counter != nullptr);  // not a counter_fn series
        return *existing->counter;
    }
    Series& series = family.series.emplace_back();
    series.label_values = std::move(values);
    series.counter = std::make_unique<Counter>();
    return *series.counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, Labels labels) {
    std::lock_guard lock(mu_);
    Family& family = family_for(families_, name, help, MetricType::Gauge, labels);
    auto values = values_in_family_order(family, labels);
    if (Series* existing = find_series(family, values)) {
        GS_CHECK(existing->gauge != nullptr);  // not a gauge_fn series
        return *existing->gauge;
    }
    Series& series = family.series.emplace_back();
    series.label_values = std::move(values);
    series.gauge = std::make_unique<Gauge>();
    return *series.gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help,
                               std::vector<double> upper_bounds, Labels labels) {
    std::lock_guard lock(mu_);
    Family& family = family_for(families_, name, help, MetricType::Histogram, labels);
    if (family.series.empty()) {
        family.upper_bounds = upper_bounds;
    } else {
        GS_CHECK(family.upper_bounds == upper_bounds);
    }
    auto values = values_in_family_order(family, labels);
    if (Series* existing = find_series(family, values)) return *existing->histogram;
    Series& series = family.series.emplace_back();
    series.label_values = std::move(values);
    series.histogram = std::make_unique<Histogram>(std::move(upper_bounds));
    return *series.histogram;
}

void Registry::gauge_fn(std::string_view name, std::string_view help, Labels labels,
                        std::function<double()> fn) {
    GS_CHECK(fn != nullptr);
    std::lock_guard lock(mu_);
    Family& family = family_for(families_, name, help, MetricType::Gauge, labels);
    auto values = values_in_family_order(family, labels);
    GS_CHECK(find_series(family, values) == nullptr);
    Series& series = family.series.emplace_back();
    series.label_values = std::move(values);
    series.fn = std::move(fn);
}

void Registry::counter_fn(std::string_view name, std::string_view help, Labels labels,
                          std::function<double()> fn) {
    GS_CHECK(fn != nullptr);
    std::lock_guard lock(mu_);
    Family& family = family_for(families_, name, help, MetricType::Counter, labels);
    auto values = values_in_family_order(family, labels);
    GS_CHECK(find_series(family, values) == nullptr);
    Series& series = family.series.emplace_back();
    series.label_values = std::move(values);
    series.fn = std::move(fn);
}

std::string Registry::render() const {
    std::string out;
    std::lock_guard lock(mu_);
    for (const auto& family : families_) append_family(out, *family);
    return out;
}

}  // namespace glmserve::obs
