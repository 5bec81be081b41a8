// Text, JSON and comparison reports of a Summary; see report.h.
#include "bench/report.h"

#include <fmt/format.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

namespace glmserve::bench {

using nlohmann::json;

namespace {

struct NamedDistribution {
    const char* name;
    Distribution Summary::*member;
};

constexpr NamedDistribution kDistributions[] = {
    {"ttft_s", &Summary::ttft_s},         {"itl_s", &Summary::itl_s},
    {"tpot_s", &Summary::tpot_s},         {"e2e_s", &Summary::e2e_s},
    {"send_lag_s", &Summary::send_lag_s},
};

std::string latency_row(std::string_view label, const Distribution& d) {
    if (d.count == 0) return fmt::format("{:<10}{:>8}  (no samples)\n", label, 0);
    return fmt::format(
        "{:<10}{:>8}{:>10.2f}{:>10.2f}{:>10.2f}{:>10.2f}{:>10.2f}{:>10.2f}{:>10.2f}\n", label,
        d.count, d.mean * 1e3, d.min * 1e3, d.p50 * 1e3, d.p90 * 1e3, d.p95 * 1e3, d.p99 * 1e3,
        d.max * 1e3);
}

std::string slo_text(const Slo& slo) {
    std::string out;
    const auto add = [&](const char* name, const std::optional<double>& v) {
        if (v) out += fmt::format("{}{} <= {:.0f} ms", out.empty() ? "" : ", ", name, *v * 1e3);
    };
    add("ttft", slo.ttft_s);
    add("itl p99", slo.itl_s);
    add("e2e", slo.e2e_s);
    return out.empty() ? "none" : out;
}

}  // namespace

std::string format_table(const Summary& s) {
    std::string out =
        fmt::format("{:<10}{:>8}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}{:>10}\n", "latency", "count",
                    "mean ms", "min ms", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms");
    out += latency_row("TTFT", s.ttft_s);
    out += latency_row("ITL", s.itl_s);
    out += latency_row("TPOT", s.tpot_s);
    out += latency_row("E2E", s.e2e_s);
    out += latency_row("send lag", s.send_lag_s);
    out += "\n";
    out += fmt::format("{:<22}{:>12}\n", "requests", s.n_requests);
    out += fmt::format("{:<22}{:>12.3f}\n", "wall s", s.wall_s);
    out += fmt::format("{:<22}{:>12.3f}\n", "requests/s (ok)", s.requests_per_s);
    out += fmt::format("{:<22}{:>12.3f}\n", "output tokens/s", s.output_tokens_per_s);
    out += fmt::format("{:<22}{:>12}\n", "prompt tokens", s.n_tokens_prompt);
    out += fmt::format("{:<22}{:>12}\n", "output tokens", s.n_tokens_generated);
    out += fmt::format("{:<22}{:>12.3f}   ({} requests; SLO {})\n", "goodput req/s",
                       s.goodput_per_s, s.n_goodput, slo_text(s.slo));
    out += "\noutcomes\n";
    for (int i = 0; i < kOutcomeCount; ++i) {
        const auto o = static_cast<Outcome>(i);
        out += fmt::format("  {:<20}{:>12}\n", outcome_name(o), s.outcomes.of(o));
    }
    for (const auto& [code, n] : s.outcomes.by_http_status) {
        out += fmt::format("  {:<20}{:>12}\n", fmt::format("http {}", code), n);
    }
    return out;
}

namespace {

json distribution_json(const Distribution& d) {
    return {{"count", d.count}, {"min", d.min}, {"mean", d.mean}, {"p50", d.p50},
            {"p90", d.p90},     {"p95", d.p95}, {"p99", d.p99},   {"max", d.max}};
}

json optional_json(const std::optional<double>& v) {
    return v ? json(*v) : json(nullptr);
}

json outcomes_json(const OutcomeCounts& c) {
    json out = json::object();
    for (int i = 0; i < kOutcomeCount; ++i) {
        const auto o = static_cast<Outcome>(i);
        out[std::string(outcome_name(o))] = c.of(o);
    }
    json by_status = json::object();
    for (const auto& [code, n] : c.by_http_status) by_status[std::to_string(code)] = n;
    out["by_http_status"] = std::move(by_status);
    return out;
}

}  // namespace

json to_json(const Summary& s) {
    json out = {
        {"format", "glmserve-bench"},
        {"version", kSummaryJsonVersion},
        {"wall_s", s.wall_s},
        {"n_requests", s.n_requests},
        {"n_tokens_prompt", s.n_tokens_prompt},
        {"n_tokens_generated", s.n_tokens_generated},
        {"requests_per_s", s.requests_per_s},
        {"output_tokens_per_s", s.output_tokens_per_s},
        {"slo",
         {{"ttft_s", optional_json(s.slo.ttft_s)},
          {"itl_s", optional_json(s.slo.itl_s)},
          {"e2e_s", optional_json(s.slo.e2e_s)}}},
        {"n_goodput", s.n_goodput},
        {"goodput_per_s", s.goodput_per_s},
        {"outcomes", outcomes_json(s.outcomes)},
    };
    for (const auto& d : kDistributions) out[d.name] = distribution_json(s.*d.member);
    json timeline = json::array();
    for (const auto& b : s.timeline) {
        timeline.push_back({{"t_s", b.t_s},
                            {"in_flight", b.in_flight},
                            {"completed_ok", b.completed_ok},
                            {"tokens_out", b.tokens_out}});
    }
    out["timeline"] = std::move(timeline);
    return out;
}

namespace {

// Typed field readers: each error names the field by its path in the document.
Result<const json*> field(const json& obj, std::string_view path, const char* key) {
    if (!obj.is_object()) return invalid_argument(fmt::format("{} is not an object", path));
    const auto it = obj.find(key);
    if (it == obj.end()) return invalid_argument(fmt::format("missing field {}.{}", path, key));
    return &*it;
}

Result<double> read_number(const json& obj, std::string_view path, const char* key) {
    GS_ASSIGN_OR_RETURN(const json* v, field(obj, path, key));
    if (!v->is_number()) return invalid_argument(fmt::format("{}.{} is not a number", path, key));
    return v->get<double>();
}

Result<uint64_t> read_count(const json& obj, std::string_view path, const char* key) {
    GS_ASSIGN_OR_RETURN(const json* v, field(obj, path, key));
    if (!v->is_number_unsigned() && !(v->is_number_integer() && v->get<int64_t>() >= 0)) {
        return invalid_argument(fmt::format("{}.{} is not a non-negative integer", path, key));
    }
    return v->get<uint64_t>();
}

Result<std::optional<double>> read_optional(const json& obj, std::string_view path,
                                            const char* key) {
    GS_ASSIGN_OR_RETURN(const json* v, field(obj, path, key));
    if (v->is_null()) return std::optional<double>();
    if (!v->is_number()) return invalid_argument(fmt::format("{}.{} is not a number", path, key));
    return std::optional<double>(v->get<double>());
}

Result<Distribution> read_distribution(const json& obj, const char* key) {
    GS_ASSIGN_OR_RETURN(const json* v, field(obj, "summary", key));
    const std::string path = fmt::format("summary.{}", key);
    Distribution d;
    GS_ASSIGN_OR_RETURN(d.count, read_count(*v, path, "count"));
    std::pair<const char*, double*> figures[] = {
        {"min", &d.min}, {"mean", &d.mean}, {"p50", &d.p50}, {"p90", &d.p90},
        {"p95", &d.p95}, {"p99", &d.p99},   {"max", &d.max}};
    for (auto& [name, dst] : figures) {
        GS_ASSIGN_OR_RETURN(*dst, read_number(*v, path, name));
    }
    return d;
}

Result<OutcomeCounts> read_outcomes(const json& obj) {
    GS_ASSIGN_OR_RETURN(const json* v, field(obj, "summary", "outcomes"));
    OutcomeCounts c;
    for (int i = 0; i < kOutcomeCount; ++i) {
        const auto o = static_cast<Outcome>(i);
        const std::string name(outcome_name(o));
        GS_ASSIGN_OR_RETURN(c.of(o), read_count(*v, "summary.outcomes", name.c_str()));
    }
    GS_ASSIGN_OR_RETURN(const json* by, field(*v, "summary.outcomes", "by_http_status"));
    if (!by->is_object()) {
        return invalid_argument("summary.outcomes.by_http_status is not an object");
    }
    for (const auto& [code_text, n] : by->items()) {
        int code = 0;
        const char* end = code_text.data() + code_text.size();
        const auto [ptr, ec] = std::from_chars(code_text.data(), end, code);
        if (ec != std::errc() || ptr != end) {
            return invalid_argument(fmt::format(
                "summary.outcomes.by_http_status key '{}' is not a status code", code_text));
        }
        if (!n.is_number_unsigned()) {
            return invalid_argument(
                fmt::format("summary.outcomes.by_http_status.{} is not a count", code_text));
        }
        c.by_http_status[code] = n.get<uint64_t>();
    }
    return c;
}

Result<std::vector<TimelineBucket>> read_timeline(const json& obj) {
    GS_ASSIGN_OR_RETURN(const json* v, field(obj, "summary", "timeline"));
    if (!v->is_array()) return invalid_argument("summary.timeline is not an array");
    std::vector<TimelineBucket> timeline;
    for (size_t i = 0; i < v->size(); ++i) {
        const json& b = (*v)[i];
        const std::string path = fmt::format("summary.timeline[{}]", i);
        TimelineBucket bucket;
        GS_ASSIGN_OR_RETURN(bucket.t_s, read_number(b, path, "t_s"));
        GS_ASSIGN_OR_RETURN(bucket.in_flight, read_number(b, path, "in_flight"));
        GS_ASSIGN_OR_RETURN(bucket.completed_ok, read_count(b, path, "completed_ok"));
        GS_ASSIGN_OR_RETURN(bucket.tokens_out, read_count(b, path, "tokens_out"));
        timeline.push_back(bucket);
    }
    return timeline;
}

Status read_header(const json& j) {
    GS_ASSIGN_OR_RETURN(const json* format, field(j, "summary", "format"));
    if (*format != "glmserve-bench") {
        return invalid_argument("summary.format is not \"glmserve-bench\"");
    }
    GS_ASSIGN_OR_RETURN(uint64_t version, read_count(j, "summary", "version"));
    if (version != kSummaryJsonVersion) {
        return invalid_argument(fmt::format("summary.version {} is not supported (expected {})",
                                            version, kSummaryJsonVersion));
    }
    return ok_status();
}

}  // namespace

Result<Summary> summary_from_json(const json& j) {
    GS_RETURN_IF_ERROR(read_header(j));
    Summary s;
    GS_ASSIGN_OR_RETURN(s.wall_s, read_number(j, "summary", "wall_s"));
    GS_ASSIGN_OR_RETURN(s.n_requests, read_count(j, "summary", "n_requests"));
    GS_ASSIGN_OR_RETURN(s.n_tokens_prompt, read_count(j, "summary", "n_tokens_prompt"));
    GS_ASSIGN_OR_RETURN(s.n_tokens_generated, read_count(j, "summary", "n_tokens_generated"));
    GS_ASSIGN_OR_RETURN(s.requests_per_s, read_number(j, "summary", "requests_per_s"));
    GS_ASSIGN_OR_RETURN(s.output_tokens_per_s, read_number(j, "summary", "output_tokens_per_s"));
    GS_ASSIGN_OR_RETURN(const json* slo, field(j, "summary", "slo"));
    GS_ASSIGN_OR_RETURN(s.slo.ttft_s, read_optional(*slo, "summary.slo", "ttft_s"));
    GS_ASSIGN_OR_RETURN(s.slo.itl_s, read_optional(*slo, "summary.slo", "itl_s"));
    GS_ASSIGN_OR_RETURN(s.slo.e2e_s, read_optional(*slo, "summary.slo", "e2e_s"));
    GS_ASSIGN_OR_RETURN(s.n_goodput, read_count(j, "summary", "n_goodput"));
    GS_ASSIGN_OR_RETURN(s.goodput_per_s, read_number(j, "summary", "goodput_per_s"));
    for (const auto& d : kDistributions) {
        GS_ASSIGN_OR_RETURN(s.*d.member, read_distribution(j, d.name));
    }
    GS_ASSIGN_OR_RETURN(s.outcomes, read_outcomes(j));
    GS_ASSIGN_OR_RETURN(s.timeline, read_timeline(j));
    return s;
}

Result<Summary> summary_from_json_text(std::string_view text) {
    const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return invalid_argument("not valid JSON");
    return summary_from_json(j);
}

Result<Summary> read_summary_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return not_found(fmt::format("cannot open bench summary '{}'", path));
    std::ostringstream text;
    text << in.rdbuf();
    auto summary = summary_from_json_text(text.str());
    if (!summary.ok()) return summary.status().with_context(path);
    return summary;
}

namespace {

std::string compare_row(std::string_view name, double a, double b) {
    const std::string ratio = a != 0 ? fmt::format("{:.3f}", b / a) : std::string("-");
    return fmt::format("{:<26}{:>14.3f}{:>14.3f}{:>10}\n", name, a, b, ratio);
}

double n_failed(const Summary& s) {
    return static_cast<double>(s.n_requests) - static_cast<double>(s.outcomes.ok);
}

}  // namespace

std::string format_compare(const Summary& a, const Summary& b) {
    std::string out = fmt::format("{:<26}{:>14}{:>14}{:>10}\n", "figure", "A", "B", "B/A");
    const char* labels[] = {"TTFT", "ITL", "TPOT", "E2E"};
    for (size_t i = 0; i < std::size(labels); ++i) {
        const Distribution& da = a.*kDistributions[i].member;
        const Distribution& db = b.*kDistributions[i].member;
        const std::pair<const char*, double Distribution::*> figures[] = {
            {"mean", &Distribution::mean},
            {"p50", &Distribution::p50},
            {"p90", &Distribution::p90},
            {"p99", &Distribution::p99},
            {"max", &Distribution::max}};
        for (const auto& [fig, member] : figures) {
            out += compare_row(fmt::format("{} {} ms", labels[i], fig), da.*member * 1e3,
                               db.*member * 1e3);
        }
    }
    out += compare_row("requests/s (ok)", a.requests_per_s, b.requests_per_s);
    out += compare_row("output tokens/s", a.output_tokens_per_s, b.output_tokens_per_s);
    out += compare_row("goodput req/s", a.goodput_per_s, b.goodput_per_s);
    out += compare_row("requests", static_cast<double>(a.n_requests),
                       static_cast<double>(b.n_requests));
    out += compare_row("failed requests", n_failed(a), n_failed(b));
    return out;
}

}  // namespace glmserve::bench
