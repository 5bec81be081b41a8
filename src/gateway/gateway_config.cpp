#include "gateway/gateway_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "common/units.h"
#include "gateway/balancer.h"
#include "gateway/decision_options.h"

namespace glmserve::gateway {
namespace {

// yaml-cpp reports conversion failures by throwing; every read goes through these helpers so
// that a bad value becomes a Status naming its field, and no exception leaves this file.
template <typename T>
Result<T> scalar_as(const YAML::Node& node, const std::string& field, std::string_view what) {
    if (!node.IsScalar()) return invalid_argument(fmt::format("{} must be {}", field, what));
    try {
        return node.as<T>();
    } catch (const YAML::Exception&) {
        return invalid_argument(
            fmt::format("{} must be {}, got \"{}\"", field, what, node.Scalar()));
    }
}

Result<int64_t> read_int(const YAML::Node& node, const std::string& field, int64_t lo, int64_t hi) {
    GS_ASSIGN_OR_RETURN(const int64_t v, scalar_as<int64_t>(node, field, "an integer"));
    if (v < lo || v > hi) {
        return invalid_argument(fmt::format("{} must be in [{}, {}], got {}", field, lo, hi, v));
    }
    return v;
}

Result<double> read_fraction(const YAML::Node& node, const std::string& field, double lo,
                             double hi) {
    GS_ASSIGN_OR_RETURN(const double v, scalar_as<double>(node, field, "a number"));
    if (!std::isfinite(v) || v < lo || v > hi) {
        return invalid_argument(fmt::format("{} must be in [{}, {}], got {}", field, lo, hi, v));
    }
    return v;
}

Result<Millis> read_duration(const YAML::Node& node, const std::string& field) {
    GS_ASSIGN_OR_RETURN(const std::string text, scalar_as<std::string>(node, field, "a duration"));
    auto seconds = parse_duration_s(text);
    if (!seconds.ok()) return seconds.status().with_context(field);
    const auto ms = static_cast<int64_t>(std::llround(*seconds * 1000.0));
    if (ms < 1) return invalid_argument(fmt::format("{} must be at least 1ms", field));
    return Millis(ms);
}

Result<int64_t> read_bytes(const YAML::Node& node, const std::string& field) {
    GS_ASSIGN_OR_RETURN(const std::string text, scalar_as<std::string>(node, field, "a size"));
    auto bytes = parse_byte_size(text);
    if (!bytes.ok()) return bytes.status().with_context(field);
    return *bytes;
}

Result<bool> read_bool(const YAML::Node& node, const std::string& field) {
    return scalar_as<bool>(node, field, "true or false");
}

// Walks one YAML map: each known key gets a reader; any other key is an error, so a typo
// ("intervall") is reported instead of leaving the default in place.
class Section {
public:
    using FieldReader = std::function<Status(const YAML::Node&, const std::string& field)>;

    Section(const YAML::Node& node, std::string path) : node_(node), path_(std::move(path)) {}

    Section& field(const std::string& key, FieldReader reader) {
        readers_.emplace(key, std::move(reader));
        return *this;
    }

    Status read() const {
        if (!node_ || node_.IsNull()) return ok_status();
        if (!node_.IsMap()) {
            return invalid_argument(
                fmt::format("{} must be a map", path_.empty() ? "the file" : path_));
        }
        for (const auto& kv : node_) {
            const auto key = kv.first.as<std::string>();
            const std::string name = path_.empty() ? key : path_ + "." + key;
            auto it = readers_.find(key);
            if (it == readers_.end()) {
                return invalid_argument(fmt::format("{}: unknown field", name));
            }
            GS_RETURN_IF_ERROR(it->second(kv.second, name));
        }
        return ok_status();
    }

private:
    const YAML::Node& node_;
    std::string path_;
    std::map<std::string, FieldReader> readers_;
};

// Field readers that store into a target.
Section::FieldReader int_into(int& out, int64_t lo, int64_t hi) {
    return [&out, lo, hi](const YAML::Node& n, const std::string& f) -> Status {
        GS_ASSIGN_OR_RETURN(const int64_t v, read_int(n, f, lo, hi));
        out = static_cast<int>(v);
        return ok_status();
    };
}
Section::FieldReader int64_into(int64_t& out, int64_t lo, int64_t hi) {
    return [&out, lo, hi](const YAML::Node& n, const std::string& f) -> Status {
        GS_ASSIGN_OR_RETURN(out, read_int(n, f, lo, hi));
        return ok_status();
    };
}
Section::FieldReader size_into(size_t& out, int64_t lo, int64_t hi) {
    return [&out, lo, hi](const YAML::Node& n, const std::string& f) -> Status {
        GS_ASSIGN_OR_RETURN(const int64_t v, read_int(n, f, lo, hi));
        out = static_cast<size_t>(v);
        return ok_status();
    };
}
Section::FieldReader bytes_into(size_t& out, int64_t lo) {
    return [&out, lo](const YAML::Node& n, const std::string& f) -> Status {
        GS_ASSIGN_OR_RETURN(const int64_t v, read_bytes(n, f));
        if (v < lo) return invalid_argument(fmt::format("{} must be at least {} bytes", f, lo));
        out = static_cast<size_t>(v);
        return ok_status();
    };
}
Section::FieldReader fraction_into(double& out, double lo, double hi) {
    return [&out, lo, hi](const YAML::Node& n, const std::string& f) -> Status {
        GS_ASSIGN_OR_RETURN(out, read_fraction(n, f, lo, hi));
        return ok_status();
    };
}
Section::FieldReader duration_into(Millis& out) {
    return [&out](const YAML::Node& n, const std::string& f) -> Status {
        GS_ASSIGN_OR_RETURN(out, read_duration(n, f));
        return ok_status();
    };
}
Section::FieldReader bool_into(bool& out) {
    return [&out](const YAML::Node& n, const std::string& f) -> Status {
        GS_ASSIGN_OR_RETURN(out, read_bool(n, f));
        return ok_status();
    };
}
Section::FieldReader string_into(std::string& out) {
    return [&out](const YAML::Node& n, const std::string& f) -> Status {
        GS_ASSIGN_OR_RETURN(out, scalar_as<std::string>(n, f, "a string"));
        return ok_status();
    };
}

constexpr int kMaxCount = 1'000'000;

Status read_upstream(const YAML::Node& node, const std::string& path, UpstreamConfig& u) {
    std::string url;
    GS_RETURN_IF_ERROR(Section(node, path)
                           .field("name", string_into(u.name))
                           .field("url", string_into(url))
                           .field("weight", int_into(u.weight, 1, 1000))
                           .field("backup", bool_into(u.backup))
                           .read());
    if (!node.IsMap()) return invalid_argument(fmt::format("{} must be a map", path));
    if (url.empty()) return invalid_argument(fmt::format("{}.url is required", path));
    auto parsed = http::parse_url(url);
    if (!parsed.ok()) return parsed.status().with_context(path + ".url");
    u.url = std::move(parsed).value();
    return ok_status();
}

Status read_upstreams(const YAML::Node& node, const std::string& field, GatewayConfig& c) {
    if (!node.IsSequence()) return invalid_argument(fmt::format("{} must be a list", field));
    c.upstreams.clear();
    for (size_t i = 0; i < node.size(); ++i) {
        UpstreamConfig u;
        GS_RETURN_IF_ERROR(read_upstream(node[i], fmt::format("{}[{}]", field, i), u));
        c.upstreams.push_back(std::move(u));
    }
    return ok_status();
}

// affinity, health, outlier, breaker, limits: which upstream takes a request.
Status read_routing_sections(const YAML::Node& root, GatewayConfig& c) {
    const YAML::Node affinity = root["affinity"], health = root["health"],
                     outlier = root["outlier"], breaker = root["breaker"], limits = root["limits"];
    GS_RETURN_IF_ERROR(Section(affinity, "affinity")
                           .field("prefix_chars", size_into(c.affinity.prefix_chars, 1, 1 << 20))
                           .field("bound", fraction_into(c.affinity.bound, 0.0, 10.0))
                           .field("virtual_nodes", int_into(c.affinity.virtual_nodes, 1, 4096))
                           .read());
    GS_RETURN_IF_ERROR(Section(health, "health")
                           .field("enabled", bool_into(c.health.enabled))
                           .field("path", string_into(c.health.path))
                           .field("interval", duration_into(c.health.interval))
                           .field("timeout", duration_into(c.health.timeout))
                           .field("rise", int_into(c.health.rise, 1, 100))
                           .field("fall", int_into(c.health.fall, 1, 100))
                           .field("poll_load", bool_into(c.health.poll_load))
                           .read());
    GS_RETURN_IF_ERROR(
        Section(outlier, "outlier")
            .field("consecutive_5xx", int_into(c.outlier.consecutive_5xx, 1, kMaxCount))
            .field("consecutive_gateway_errors",
                   int_into(c.outlier.consecutive_gateway_errors, 1, kMaxCount))
            .field("base_ejection", duration_into(c.outlier.base_ejection))
            .field("max_ejection", duration_into(c.outlier.max_ejection))
            .field("max_ejected_fraction", fraction_into(c.outlier.max_ejected_fraction, 0, 1))
            .read());
    GS_RETURN_IF_ERROR(Section(breaker, "breaker")
                           .field("window", duration_into(c.breaker.window))
                           .field("min_requests", int_into(c.breaker.min_requests, 1, kMaxCount))
                           .field("failure_rate", fraction_into(c.breaker.failure_rate, 0.01, 1))
                           .field("open_duration", duration_into(c.breaker.open_duration))
                           .field("half_open_probes", int_into(c.breaker.half_open_probes, 1, 1000))
                           .read());
    GS_RETURN_IF_ERROR(
        Section(limits, "limits")
            .field("max_connections", size_into(c.limits.max_connections, 1, kMaxCount))
            .field("max_connections_per_upstream",
                   int_into(c.limits.max_connections_per_upstream, 1, kMaxCount))
            .field("max_pending_per_upstream",
                   int_into(c.limits.max_pending_per_upstream, 1, kMaxCount))
            .field("max_body_bytes", bytes_into(c.limits.max_body_bytes, 1024))
            .field("max_header_bytes", bytes_into(c.limits.max_header_bytes, 1024))
            .read());
    return ok_status();
}

// tls, upstream_tls: certificates for the listener and for https upstreams. File paths are
// taken as written (relative ones from the working directory); they are opened when the
// gateway starts or reloads, which refuses to go on if one does not load.
Status read_tls_sections(const YAML::Node& root, GatewayConfig& c) {
    const YAML::Node listener = root["tls"], upstream = root["upstream_tls"];
    GS_RETURN_IF_ERROR(Section(listener, "tls")
                           .field("cert", string_into(c.tls.cert_file))
                           .field("key", string_into(c.tls.key_file))
                           .field("client_ca", string_into(c.tls.client_ca_file))
                           .read());
    GS_RETURN_IF_ERROR(Section(upstream, "upstream_tls")
                           .field("ca", string_into(c.upstream_tls.ca_file))
                           .field("cert", string_into(c.upstream_tls.cert_file))
                           .field("key", string_into(c.upstream_tls.key_file))
                           .field("server_name", string_into(c.upstream_tls.server_name))
                           .field("verify", bool_into(c.upstream_tls.verify))
                           .read());
    return ok_status();
}

// retries, timeouts, keys, abuse, cache: how a request is served and guarded.
Status read_serving_sections(const YAML::Node& root, GatewayConfig& c) {
    const YAML::Node retries = root["retries"], timeouts = root["timeouts"], keys = root["keys"],
                     abuse = root["abuse"], cache = root["cache"];
    GS_RETURN_IF_ERROR(Section(retries, "retries")
                           .field("max_attempts", int_into(c.retries.max_attempts, 1, 10))
                           .field("budget_ratio", fraction_into(c.retries.budget_ratio, 0, 1))
                           .field("budget_window", duration_into(c.retries.budget_window))
                           .field("min_retries", int_into(c.retries.min_retries, 0, kMaxCount))
                           .read());
    GS_RETURN_IF_ERROR(Section(timeouts, "timeouts")
                           .field("connect", duration_into(c.timeouts.connect))
                           .field("first_byte", duration_into(c.timeouts.first_byte))
                           .field("between_chunks", duration_into(c.timeouts.between_chunks))
                           .field("total", duration_into(c.timeouts.total))
                           .read());
    constexpr int64_t kMaxPerMinute = 1'000'000'000'000;
    GS_RETURN_IF_ERROR(Section(keys, "keys")
                           .field("api_key_file", string_into(c.keys.api_key_file))
                           .field("default_rpm", int64_into(c.keys.default_rpm, 0, kMaxPerMinute))
                           .field("default_tpm", int64_into(c.keys.default_tpm, 0, kMaxPerMinute))
                           .read());
    GS_RETURN_IF_ERROR(Section(abuse, "abuse")
                           .field("max_failures", int_into(c.abuse.max_failures, 1, kMaxCount))
                           .field("window", duration_into(c.abuse.window))
                           .field("cooldown", duration_into(c.abuse.cooldown))
                           .field("max_tracked", size_into(c.abuse.max_tracked, 1, kMaxCount))
                           .read());
    return Section(cache, "cache")
        .field("max_bytes",
               [&c](const YAML::Node& n, const std::string& f) -> Status {
                   GS_ASSIGN_OR_RETURN(c.cache.max_bytes, read_bytes(n, f));
                   return ok_status();
               })
        .field("ttl", duration_into(c.cache.ttl))
        .field("max_entries", size_into(c.cache.max_entries, 1, kMaxCount))
        .read();
}

Status read_root(const YAML::Node& root, GatewayConfig& c) {
    const std::set<std::string> sections = {"affinity", "health",  "outlier",  "breaker",
                                            "limits",   "retries", "timeouts", "keys",
                                            "abuse",    "cache",   "tls",      "upstream_tls"};
    Section top(root, "");
    for (const auto& name : sections) {
        // Read by read_*_sections(); listed here only so that they are not unknown keys.
        top.field(name, [](const YAML::Node&, const std::string&) { return ok_status(); });
    }
    top.field("listen",
              [&c](const YAML::Node& n, const std::string& f) -> Status {
                  GS_ASSIGN_OR_RETURN(const std::string text,
                                      scalar_as<std::string>(n, f, "HOST:PORT"));
                  return parse_listen(text, f, c);
              })
        .field("io_threads", int_into(c.io_threads, 1, 256))
        .field("upstream_threads", int_into(c.upstream_threads, 1, 256))
        .field("upstreams",
               [&c](const YAML::Node& n, const std::string& f) { return read_upstreams(n, f, c); })
        .field("policy", string_into(c.policy))
        .field("drain_timeout", duration_into(c.drain_timeout));
    GS_RETURN_IF_ERROR(top.read());
    GS_RETURN_IF_ERROR(read_routing_sections(root, c));
    GS_RETURN_IF_ERROR(read_tls_sections(root, c));
    return read_serving_sections(root, c);
}

// Checks that need more than one field.
Status check_consistency(GatewayConfig& c) {
    if (!is_known_policy(c.policy)) {
        return invalid_argument(fmt::format(
            "policy: unknown \"{}\" (round_robin, weighted_round_robin, least_connections, p2c, "
            "prefix_affinity)",
            c.policy));
    }
    std::set<std::string> names;
    for (size_t i = 0; i < c.upstreams.size(); ++i) {
        UpstreamConfig& u = c.upstreams[i];
        if (u.name.empty()) u.name = u.url.authority();
        if (!names.insert(u.name).second) {
            return invalid_argument(
                fmt::format("upstreams[{}].name: \"{}\" is used twice", i, u.name));
        }
    }
    if (c.health.path.empty() || c.health.path.front() != '/') {
        return invalid_argument("health.path must start with '/'");
    }
    if (c.health.timeout > c.health.interval) {
        return invalid_argument("health.timeout must not exceed health.interval");
    }
    if (c.outlier.max_ejection < c.outlier.base_ejection) {
        return invalid_argument("outlier.max_ejection must be >= outlier.base_ejection");
    }
    if (c.cache.max_bytes < 0) return invalid_argument("cache.max_bytes must be >= 0");
    if (c.tls.enabled() && (c.tls.cert_file.empty() || c.tls.key_file.empty())) {
        return invalid_argument("tls: cert and key are both required");
    }
    if (!c.tls.enabled() && !c.tls.client_ca_file.empty()) {
        return invalid_argument(
            "tls.client_ca: client certificates need a TLS listener (tls.cert, "
            "tls.key)");
    }
    if (c.upstream_tls.cert_file.empty() != c.upstream_tls.key_file.empty()) {
        return invalid_argument("upstream_tls: cert and key go together");
    }
    return validate_decision_options(c);
}

Result<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return not_found(fmt::format("cannot open {}", path));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

bool is_known_policy(std::string_view name) {
    return parse_policy(name).has_value();
}

Status parse_listen(std::string_view text, std::string_view field, GatewayConfig& config) {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
        return invalid_argument(fmt::format("{} must be HOST:PORT, got \"{}\"", field, text));
    }
    std::string_view host = text.substr(0, colon);
    const std::string_view port_text = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    int port = -1;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 ||
        port > 65535 || host.empty()) {
        return invalid_argument(fmt::format("{} must be HOST:PORT, got \"{}\"", field, text));
    }
    config.host = std::string(host);
    config.port = static_cast<uint16_t>(port);
    return ok_status();
}

Result<GatewayConfig> parse_gateway_config(std::string_view yaml_text) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml_text));
    } catch (const YAML::Exception& e) {
        return invalid_argument(fmt::format("not valid YAML: {}", e.what()));
    }
    GatewayConfig c;
    try {
        GS_RETURN_IF_ERROR(read_root(root, c));
    } catch (const YAML::Exception& e) {
        // Keys that are not scalars (a map used as a key) throw from as<std::string>().
        return invalid_argument(fmt::format("malformed config: {}", e.what()));
    }
    GS_RETURN_IF_ERROR(check_consistency(c));
    return c;
}

Result<GatewayConfig> load_gateway_config(const GatewayFlags& flags) {
    GatewayConfig c;
    if (!flags.config_file.empty()) {
        GS_ASSIGN_OR_RETURN(const std::string text, read_file(flags.config_file));
        auto parsed = parse_gateway_config(text);
        if (!parsed.ok()) return parsed.status().with_context(flags.config_file);
        c = std::move(parsed).value();
    }
    if (flags.listen) GS_RETURN_IF_ERROR(parse_listen(*flags.listen, "--listen", c));
    if (!flags.upstreams.empty()) {
        c.upstreams.clear();
        for (const std::string& text : flags.upstreams) {
            auto url = http::parse_url(text);
            if (!url.ok()) return url.status().with_context("--upstream");
            c.upstreams.push_back({.name = "", .url = std::move(url).value()});
        }
    }
    if (flags.policy) {
        if (!is_known_policy(*flags.policy)) {
            return invalid_argument(fmt::format("--policy: unknown \"{}\"", *flags.policy));
        }
        c.policy = *flags.policy;
    }
    GS_RETURN_IF_ERROR(check_consistency(c));
    if (c.upstreams.empty()) {
        return invalid_argument("no upstreams: give upstreams in the file or --upstream URL");
    }
    return c;
}

}  // namespace glmserve::gateway
