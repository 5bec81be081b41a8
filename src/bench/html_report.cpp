// Self-contained HTML report with inline SVG; see html_report.h.
#include "bench/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace glmserve::bench {

namespace {

constexpr double kWidth = 560;
constexpr double kHeight = 260;
constexpr double kLeft = 56;    // room for y tick labels
constexpr double kBottom = 36;  // room for x tick labels
constexpr double kTop = 28;
constexpr double kRight = 28;  // room for the last x tick label

struct Point {
    double x = 0;
    double y = 0;
};

struct Series {
    std::string name;
    std::string color;
    std::vector<Point> points;
};

struct ChartSpec {
    std::string title;
    std::string x_label;
    std::string y_label;
    std::vector<Series> series;
};

// A round-ish upper bound for an axis.
double nice_max(double v) {
    if (!(v > 0)) return 1;
    const double step = std::pow(10.0, std::floor(std::log10(v)));
    for (double m : {1.0, 2.0, 5.0, 10.0}) {
        if (v <= m * step) return m * step;
    }
    return 10 * step;
}

std::string axes(const ChartSpec& spec, double x_max, double y_max) {
    const double plot_w = kWidth - kLeft - kRight;
    const double plot_h = kHeight - kTop - kBottom;
    std::string out = fmt::format(
        "<text x=\"{}\" y=\"18\" class=\"title\">{}</text>\n"
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"axis\"/>\n"
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"axis\"/>\n",
        kLeft, html_escape(spec.title), kLeft, kTop, kLeft, kTop + plot_h, kLeft, kTop + plot_h,
        kLeft + plot_w, kTop + plot_h);
    for (int i = 0; i <= 4; ++i) {
        const double fx = kLeft + plot_w * i / 4;
        const double fy = kTop + plot_h - plot_h * i / 4;
        out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\">{:.4g}</text>\n", fx,
                           kTop + plot_h + 14, x_max * i / 4);
        out += fmt::format(
            "<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"tick\" text-anchor=\"end\">{:.4g}</text>\n",
            kLeft - 4, fy + 4, y_max * i / 4);
    }
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"label\">{}</text>\n",
                       kLeft + plot_w / 2, kHeight - 4, html_escape(spec.x_label));
    out += fmt::format(
        "<text x=\"12\" y=\"{:.1f}\" class=\"label\" "
        "transform=\"rotate(-90 12 {:.1f})\">{}</text>\n",
        kTop + plot_h / 2, kTop + plot_h / 2, html_escape(spec.y_label));
    return out;
}

std::string line_chart(const ChartSpec& spec) {
    double x_max = 0, y_max = 0;
    for (const auto& s : spec.series) {
        for (const auto& p : s.points) {
            x_max = std::max(x_max, p.x);
            y_max = std::max(y_max, p.y);
        }
    }
    x_max = nice_max(x_max);
    y_max = nice_max(y_max);
    const double plot_w = kWidth - kLeft - kRight;
    const double plot_h = kHeight - kTop - kBottom;
    std::string out = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
        "height=\"{}\" viewBox=\"0 0 {} {}\">\n",
        kWidth, kHeight, kWidth, kHeight);
    out += axes(spec, x_max, y_max);
    double legend_x = kLeft + 8;
    for (const auto& s : spec.series) {
        std::string pts;
        for (const auto& p : s.points) {
            pts += fmt::format("{:.1f},{:.1f} ", kLeft + plot_w * p.x / x_max,
                               kTop + plot_h - plot_h * p.y / y_max);
        }
        out += fmt::format(
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" "
            "points=\"{}\"><title>{}</title></polyline>\n",
            s.color, pts, html_escape(s.name));
        out +=
            fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"legend\" fill=\"{}\">{}</text>\n",
                        legend_x, kTop + 12, s.color, html_escape(s.name));
        legend_x += 12 + 7.0 * static_cast<double>(s.name.size());
    }
    return out + "</svg>\n";
}

// Empirical CDF of samples (seconds) in milliseconds, at most kMaxCdfPoints points.
std::vector<Point> cdf_points(std::vector<double> samples) {
    std::vector<Point> points;
    if (samples.empty()) return points;
    std::sort(samples.begin(), samples.end());
    const size_t n = samples.size();
    const size_t n_points = std::min(n, kMaxCdfPoints);
    points.push_back({samples.front() * 1e3, 0});
    for (size_t k = 1; k <= n_points; ++k) {
        const size_t i = k * n / n_points - 1;  // rank of the k-th evenly spaced point
        points.push_back({samples[i] * 1e3, static_cast<double>(i + 1) / static_cast<double>(n)});
    }
    return points;
}

std::string cdf_chart(const std::vector<RequestRecord>& records) {
    std::vector<double> ttft, itl, e2e;
    for (const auto& r : records) {
        if (r.outcome != Outcome::Ok) continue;
        if (r.ttft_s) ttft.push_back(*r.ttft_s);
        itl.insert(itl.end(), r.itl_s.begin(), r.itl_s.end());
        e2e.push_back(r.e2e_s);
    }
    const auto one = [](const char* title, const char* color, std::vector<double> v) {
        return line_chart(
            {.title = title,
             .x_label = "latency (ms)",
             .y_label = "fraction of samples",
             .series = {{.name = title, .color = color, .points = cdf_points(std::move(v))}}});
    };
    return one("TTFT CDF", "#1f77b4", std::move(ttft)) + one("ITL CDF", "#2ca02c", std::move(itl)) +
           one("E2E CDF", "#d62728", std::move(e2e));
}

std::string timeline_charts(const Summary& s) {
    Series tokens{.name = "output tokens/s", .color = "#9467bd"};
    Series done{.name = "ok completions/s", .color = "#ff7f0e"};
    Series in_flight{.name = "in flight", .color = "#17becf"};
    for (const auto& b : s.timeline) {
        const double mid = b.t_s + 0.5;
        tokens.points.push_back({mid, static_cast<double>(b.tokens_out)});
        done.points.push_back({mid, static_cast<double>(b.completed_ok)});
        in_flight.points.push_back({mid, b.in_flight});
    }
    return line_chart({.title = "Output tokens per second",
                       .x_label = "time (s)",
                       .y_label = "tokens/s",
                       .series = {tokens}}) +
           line_chart({.title = "Completions per second",
                       .x_label = "time (s)",
                       .y_label = "requests/s",
                       .series = {done}}) +
           line_chart({.title = "Requests in flight",
                       .x_label = "time (s)",
                       .y_label = "requests",
                       .series = {in_flight}});
}

std::string outcome_bars(const OutcomeCounts& c) {
    uint64_t max_n = 1;
    for (int i = 0; i < kOutcomeCount; ++i) max_n = std::max(max_n, c.of(static_cast<Outcome>(i)));
    const double bar_max = kWidth - 200;
    std::string out = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
        "height=\"{}\" class=\"outcomes\">\n"
        "<text x=\"8\" y=\"18\" class=\"title\">Outcomes</text>\n",
        kWidth, 40 + 24 * kOutcomeCount);
    for (int i = 0; i < kOutcomeCount; ++i) {
        const auto o = static_cast<Outcome>(i);
        const double y = 30 + 24.0 * i;
        const double w = bar_max * static_cast<double>(c.of(o)) / static_cast<double>(max_n);
        out += fmt::format(
            "<text x=\"8\" y=\"{:.0f}\" class=\"tick\">{}</text>"
            "<rect x=\"120\" y=\"{:.0f}\" width=\"{:.1f}\" height=\"18\" fill=\"{}\"/>"
            "<text x=\"{:.1f}\" y=\"{:.0f}\" class=\"tick\">{}</text>\n",
            y + 13, outcome_name(o), y, w, o == Outcome::Ok ? "#2ca02c" : "#d62728", 126 + w,
            y + 13, c.of(o));
    }
    return out + "</svg>\n";
}

std::string latency_table(const Summary& s) {
    std::string out =
        "<table><tr><th>latency (ms)</th><th>count</th><th>mean</th><th>min</th><th>p50</th>"
        "<th>p90</th><th>p95</th><th>p99</th><th>max</th></tr>\n";
    const std::pair<const char*, const Distribution*> rows[] = {
        {"TTFT", &s.ttft_s}, {"ITL", &s.itl_s}, {"TPOT", &s.tpot_s}, {"E2E", &s.e2e_s}};
    for (const auto& [name, d] : rows) {
        out += fmt::format(
            "<tr><td>{}</td><td>{}</td><td>{:.2f}</td><td>{:.2f}</td><td>{:.2f}</td>"
            "<td>{:.2f}</td><td>{:.2f}</td><td>{:.2f}</td><td>{:.2f}</td></tr>\n",
            name, d->count, d->mean * 1e3, d->min * 1e3, d->p50 * 1e3, d->p90 * 1e3, d->p95 * 1e3,
            d->p99 * 1e3, d->max * 1e3);
    }
    out += "</table>\n<table>\n";
    out += fmt::format("<tr><td>requests</td><td>{}</td></tr>\n", s.n_requests);
    out += fmt::format("<tr><td>wall s</td><td>{:.3f}</td></tr>\n", s.wall_s);
    out += fmt::format("<tr><td>requests/s (ok)</td><td>{:.3f}</td></tr>\n", s.requests_per_s);
    out += fmt::format("<tr><td>output tokens/s</td><td>{:.3f}</td></tr>\n", s.output_tokens_per_s);
    out += fmt::format("<tr><td>goodput req/s</td><td>{:.3f} ({} requests)</td></tr>\n",
                       s.goodput_per_s, s.n_goodput);
    return out + "</table>\n";
}

constexpr std::string_view kStyle =
    "body{font-family:sans-serif;margin:24px;color:#222}"
    "table{border-collapse:collapse;margin:12px 0}"
    "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
    "svg{margin:8px;background:#fafafa;border:1px solid #ddd}"
    ".axis{stroke:#444}.title{font-size:14px;font-weight:bold}"
    ".tick{font-size:11px}.label{font-size:12px}.legend{font-size:12px}";

}  // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string render_html_report(const Summary& summary, const std::vector<RequestRecord>& records,
                               std::string_view title) {
    std::string out = fmt::format(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>{0}</title><style>{1}</style></head>\n<body>\n<h1>{0}</h1>\n",
        html_escape(title), kStyle);
    out += latency_table(summary);
    out += "<h2>Latency</h2>\n" + cdf_chart(records);
    out += "<h2>Over time</h2>\n" + timeline_charts(summary);
    out += "<h2>Outcomes</h2>\n" + outcome_bars(summary.outcomes);
    return out + "</body></html>\n";
}

}  // namespace glmserve::bench
