// cluster.yaml parsing (see cluster_config.h): yaml-cpp nodes are read with its non-throwing
// decode() and every mismatch becomes an InvalidArgument naming the field; the exceptions
// yaml-cpp still throws (syntax errors) are caught here and never leave the module.
#include "supervisor/cluster_config.h"

#include <fmt/format.h>
#include <limits.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <initializer_list>
#include <sstream>

#include "common/units.h"
#include "supervisor/child_commands.h"

namespace glmserve::supervisor {
namespace {

constexpr std::array<std::string_view, 5> kPolicies = {
    "round_robin", "weighted_round_robin", "least_connections", "p2c", "prefix_affinity"};

std::string join_path(std::string_view section, std::string_view key) {
    return section.empty() ? std::string(key) : fmt::format("{}.{}", section, key);
}

// yaml-cpp reports problems by throwing; these helpers use its non-throwing decode() and
// turn every mismatch into an InvalidArgument naming the field.
Status check_map(const YAML::Node& node, std::string_view section,
                 std::initializer_list<std::string_view> known) {
    if (!node.IsMap()) return invalid_argument(fmt::format("{}: must be a mapping", section));
    for (const auto& entry : node) {
        std::string key;
        if (!YAML::convert<std::string>::decode(entry.first, key)) {
            return invalid_argument(fmt::format("{}: keys must be strings", section));
        }
        if (std::find(known.begin(), known.end(), key) == known.end()) {
            return invalid_argument(fmt::format("{}: unknown key (known: {})",
                                                join_path(section, key), fmt::join(known, ", ")));
        }
    }
    return ok_status();
}

Status read_string(const YAML::Node& node, std::string_view field, std::string& out) {
    if (!node.IsDefined() || node.IsNull()) return ok_status();
    if (!node.IsScalar()) return invalid_argument(fmt::format("{}: must be a string", field));
    out = node.Scalar();
    return ok_status();
}

Status read_int(const YAML::Node& node, std::string_view field, int& out) {
    if (!node.IsDefined() || node.IsNull()) return ok_status();
    const std::string text = node.IsScalar() ? node.Scalar() : std::string();
    int value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
        return invalid_argument(fmt::format("{}: '{}' is not an integer", field, text));
    }
    out = value;
    return ok_status();
}

Status read_double(const YAML::Node& node, std::string_view field, double& out) {
    if (!node.IsDefined() || node.IsNull()) return ok_status();
    double value = 0;
    if (!node.IsScalar() || !YAML::convert<double>::decode(node, value)) {
        return invalid_argument(fmt::format("{}: must be a number", field));
    }
    out = value;
    return ok_status();
}

Status read_bool(const YAML::Node& node, std::string_view field, bool& out) {
    if (!node.IsDefined() || node.IsNull()) return ok_status();
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
        return invalid_argument(fmt::format("{}: must be true or false", field));
    }
    out = value;
    return ok_status();
}

Status read_duration(const YAML::Node& node, std::string_view field, Clock::duration& out) {
    if (!node.IsDefined() || node.IsNull()) return ok_status();
    if (!node.IsScalar()) return invalid_argument(fmt::format("{}: must be a duration", field));
    const Result<double> seconds = parse_duration_s(node.Scalar());
    if (!seconds.ok()) return seconds.status().with_context(field);
    out = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*seconds));
    return ok_status();
}

Status read_port(const YAML::Node& node, std::string_view field, uint16_t& out) {
    int port = out;
    GS_RETURN_IF_ERROR(read_int(node, field, port));
    if (port < 1 || port > 65535) {
        return invalid_argument(fmt::format("{}: {} is not a port (1..65535)", field, port));
    }
    out = static_cast<uint16_t>(port);
    return ok_status();
}

Status read_string_list(const YAML::Node& node, std::string_view field,
                        std::vector<std::string>& out) {
    if (!node.IsDefined() || node.IsNull()) return ok_status();
    if (!node.IsSequence()) {
        return invalid_argument(fmt::format("{}: must be a list of strings", field));
    }
    std::vector<std::string> values;
    for (size_t i = 0; i < node.size(); ++i) {
        if (!node[i].IsScalar()) {
            return invalid_argument(fmt::format("{}[{}]: must be a string", field, i));
        }
        values.push_back(node[i].Scalar());
    }
    out = std::move(values);
    return ok_status();
}

// An argv template: present means non-empty (an empty list would silently mean the default).
Status read_command(const YAML::Node& node, std::string_view field, std::vector<std::string>& out) {
    if (!node.IsDefined() || node.IsNull()) return ok_status();
    GS_RETURN_IF_ERROR(read_string_list(node, field, out));
    if (out.empty()) {
        return invalid_argument(fmt::format("{}: must start with the executable", field));
    }
    return ok_status();
}

// "host:port" or "[v6]:port".
Status parse_listen(std::string_view text, std::string_view field, std::string& host_out,
                    uint16_t& port_out) {
    std::string_view host;
    std::string_view port_text;
    if (text.starts_with('[')) {
        const size_t close = text.find(']');
        if (close == std::string_view::npos || text.substr(close + 1, 1) != ":") {
            return invalid_argument(fmt::format("{}: '{}' is not [ipv6]:port", field, text));
        }
        host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
    } else {
        const size_t colon = text.rfind(':');
        if (colon == std::string_view::npos) {
            return invalid_argument(fmt::format("{}: '{}' is not host:port", field, text));
        }
        host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
    }
    int port = 0;
    const auto [ptr, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (host.empty() || ec != std::errc() || ptr != port_text.data() + port_text.size() ||
        port < 1 || port > 65535) {
        return invalid_argument(
            fmt::format("{}: '{}' is not host:port (port 1..65535)", field, text));
    }
    host_out = std::string(host);
    port_out = static_cast<uint16_t>(port);
    return ok_status();
}

Status read_listen(const YAML::Node& node, std::string_view field, std::string& host,
                   uint16_t& port) {
    std::string text;
    GS_RETURN_IF_ERROR(read_string(node, field, text));
    if (text.empty()) return ok_status();
    return parse_listen(text, field, host, port);
}

// How the supervisor's probes reach a child that serves https.
Status parse_probe_tls(const YAML::Node& node, const std::string& section,
                       std::optional<http::TlsClientOptions>& out) {
    if (!node.IsDefined() || node.IsNull()) return ok_status();
    GS_RETURN_IF_ERROR(check_map(node, section, {"ca", "cert", "key", "server_name", "verify"}));
    http::TlsClientOptions tls;
    GS_RETURN_IF_ERROR(read_string(node["ca"], section + ".ca", tls.ca_file));
    GS_RETURN_IF_ERROR(read_string(node["cert"], section + ".cert", tls.cert_file));
    GS_RETURN_IF_ERROR(read_string(node["key"], section + ".key", tls.key_file));
    GS_RETURN_IF_ERROR(read_string(node["server_name"], section + ".server_name", tls.server_name));
    GS_RETURN_IF_ERROR(read_bool(node["verify"], section + ".verify", tls.verify));
    if (tls.cert_file.empty() != tls.key_file.empty()) {
        return invalid_argument(fmt::format("{}: cert and key go together", section));
    }
    out = std::move(tls);
    return ok_status();
}

Status parse_gateway(const YAML::Node& node, GatewaySpec& gateway) {
    if (!node.IsDefined() || node.IsNull()) return ok_status();
    GS_RETURN_IF_ERROR(
        check_map(node, "gateway",
                  {"enabled", "listen", "policy", "config", "args", "command", "probe_tls"}));
    GS_RETURN_IF_ERROR(read_bool(node["enabled"], "gateway.enabled", gateway.enabled));
    GS_RETURN_IF_ERROR(
        read_listen(node["listen"], "gateway.listen", gateway.listen_host, gateway.listen_port));
    GS_RETURN_IF_ERROR(read_string(node["policy"], "gateway.policy", gateway.policy));
    GS_RETURN_IF_ERROR(read_string(node["config"], "gateway.config", gateway.config_path));
    GS_RETURN_IF_ERROR(read_string_list(node["args"], "gateway.args", gateway.args));
    GS_RETURN_IF_ERROR(parse_probe_tls(node["probe_tls"], "gateway.probe_tls", gateway.probe_tls));
    return read_command(node["command"], "gateway.command", gateway.command);
}

Status parse_per_replica(const YAML::Node& node, ReplicaSpec& replicas) {
    if (!node.IsDefined() || node.IsNull()) return ok_status();
    if (!node.IsSequence()) {
        return invalid_argument("replicas.per_replica: must be a list of {args: [...]}");
    }
    for (size_t i = 0; i < node.size(); ++i) {
        const std::string field = fmt::format("replicas.per_replica[{}]", i);
        std::vector<std::string> args;
        if (!node[i].IsNull()) {
            GS_RETURN_IF_ERROR(check_map(node[i], field, {"args"}));
            GS_RETURN_IF_ERROR(read_string_list(node[i]["args"], field + ".args", args));
        }
        replicas.per_replica_args.push_back(std::move(args));
    }
    return ok_status();
}

Status parse_replicas(const YAML::Node& node, ReplicaSpec& replicas) {
    if (!node.IsDefined() || node.IsNull()) return ok_status();
    GS_RETURN_IF_ERROR(check_map(node, "replicas",
                                 {"count", "host", "base_port", "model", "threads", "args",
                                  "per_replica", "command", "probe_tls"}));
    GS_RETURN_IF_ERROR(read_int(node["count"], "replicas.count", replicas.count));
    GS_RETURN_IF_ERROR(read_string(node["host"], "replicas.host", replicas.host));
    GS_RETURN_IF_ERROR(read_port(node["base_port"], "replicas.base_port", replicas.base_port));
    GS_RETURN_IF_ERROR(read_string(node["model"], "replicas.model", replicas.model));
    GS_RETURN_IF_ERROR(read_int(node["threads"], "replicas.threads", replicas.threads));
    GS_RETURN_IF_ERROR(read_string_list(node["args"], "replicas.args", replicas.args));
    GS_RETURN_IF_ERROR(parse_per_replica(node["per_replica"], replicas));
    GS_RETURN_IF_ERROR(
        parse_probe_tls(node["probe_tls"], "replicas.probe_tls", replicas.probe_tls));
    return read_command(node["command"], "replicas.command", replicas.command);
}

Status parse_health(const YAML::Node& node, HealthSpec& health) {
    if (!node.IsDefined() || node.IsNull()) return ok_status();
    GS_RETURN_IF_ERROR(
        check_map(node, "health",
                  {"path", "ready_path", "interval", "timeout", "failures", "startup_timeout"}));
    GS_RETURN_IF_ERROR(read_string(node["path"], "health.path", health.path));
    GS_RETURN_IF_ERROR(read_string(node["ready_path"], "health.ready_path", health.ready_path));
    GS_RETURN_IF_ERROR(read_duration(node["interval"], "health.interval", health.interval));
    GS_RETURN_IF_ERROR(read_duration(node["timeout"], "health.timeout", health.timeout));
    GS_RETURN_IF_ERROR(read_int(node["failures"], "health.failures", health.failures));
    return read_duration(node["startup_timeout"], "health.startup_timeout", health.startup_timeout);
}

Status parse_restart(const YAML::Node& node, RestartSpec& restart) {
    if (!node.IsDefined() || node.IsNull()) return ok_status();
    GS_RETURN_IF_ERROR(check_map(
        node, "restart", {"initial", "max", "multiplier", "jitter", "max_restarts", "window"}));
    GS_RETURN_IF_ERROR(read_duration(node["initial"], "restart.initial", restart.backoff.initial));
    GS_RETURN_IF_ERROR(read_duration(node["max"], "restart.max", restart.backoff.max));
    GS_RETURN_IF_ERROR(
        read_double(node["multiplier"], "restart.multiplier", restart.backoff.multiplier));
    GS_RETURN_IF_ERROR(read_double(node["jitter"], "restart.jitter", restart.backoff.jitter));
    GS_RETURN_IF_ERROR(
        read_int(node["max_restarts"], "restart.max_restarts", restart.max_restarts));
    return read_duration(node["window"], "restart.window", restart.window);
}

Status parse_root(const YAML::Node& root, ClusterConfig& config) {
    if (!root.IsDefined() || root.IsNull()) return invalid_argument("cluster config: empty file");
    GS_RETURN_IF_ERROR(check_map(root, "",
                                 {"glmserve", "log_dir", "drain_timeout", "status_listen",
                                  "gateway", "replicas", "health", "restart"}));
    GS_RETURN_IF_ERROR(read_string(root["glmserve"], "glmserve", config.glmserve_path));
    GS_RETURN_IF_ERROR(read_string(root["log_dir"], "log_dir", config.log_dir));
    GS_RETURN_IF_ERROR(read_duration(root["drain_timeout"], "drain_timeout", config.drain_timeout));
    GS_RETURN_IF_ERROR(read_listen(root["status_listen"], "status_listen", config.status_host,
                                   config.status_port));
    GS_RETURN_IF_ERROR(parse_gateway(root["gateway"], config.gateway));
    GS_RETURN_IF_ERROR(parse_replicas(root["replicas"], config.replicas));
    GS_RETURN_IF_ERROR(parse_health(root["health"], config.health));
    return parse_restart(root["restart"], config.restart);
}

Status validate_paths(const HealthSpec& health) {
    if (!health.path.starts_with('/')) return invalid_argument("health.path: must start with '/'");
    if (!health.ready_path.starts_with('/')) {
        return invalid_argument("health.ready_path: must start with '/'");
    }
    return ok_status();
}

Status validate_health(const HealthSpec& health) {
    GS_RETURN_IF_ERROR(validate_paths(health));
    if (health.interval <= Clock::duration::zero()) {
        return invalid_argument("health.interval: must be > 0");
    }
    if (health.timeout <= Clock::duration::zero()) {
        return invalid_argument("health.timeout: must be > 0");
    }
    if (health.failures < 1) return invalid_argument("health.failures: must be >= 1");
    if (health.startup_timeout <= Clock::duration::zero()) {
        return invalid_argument("health.startup_timeout: must be > 0");
    }
    return ok_status();
}

Status validate_replicas(const ReplicaSpec& replicas) {
    if (replicas.count < 1) return invalid_argument("replicas.count: must be >= 1");
    if (replicas.base_port + replicas.count - 1 > 65535) {
        return invalid_argument(fmt::format("replicas.count: ports {}..{} run past 65535",
                                            replicas.base_port,
                                            replicas.base_port + replicas.count - 1));
    }
    if (replicas.threads < 0) return invalid_argument("replicas.threads: must be >= 0");
    if (replicas.per_replica_args.size() > static_cast<size_t>(replicas.count)) {
        return invalid_argument(fmt::format("replicas.per_replica: {} entries for {} replicas",
                                            replicas.per_replica_args.size(), replicas.count));
    }
    if (replicas.host.empty()) return invalid_argument("replicas.host: must not be empty");
    const bool template_uses_model =
        std::any_of(replicas.command.begin(), replicas.command.end(),
                    [](const std::string& s) { return s.find("{model}") != std::string::npos; });
    if (template_uses_model && replicas.model.empty()) {
        return invalid_argument("replicas.model: required by replicas.command's {model}");
    }
    if (!replicas.command.empty()) {
        GS_RETURN_IF_ERROR(
            check_command_template("replicas.command", replicas.command,
                                   {"glmserve", "model", "host", "port", "threads", "index"}));
    }
    return ok_status();
}

Status validate_gateway(const GatewaySpec& gateway, const ReplicaSpec& replicas) {
    if (!gateway.enabled) return ok_status();
    if (std::find(kPolicies.begin(), kPolicies.end(), gateway.policy) == kPolicies.end()) {
        return invalid_argument(fmt::format("gateway.policy: '{}' is not one of {}", gateway.policy,
                                            fmt::join(kPolicies, ", ")));
    }
    if (gateway.listen_host.empty() || gateway.listen_port == 0) {
        return invalid_argument("gateway.listen: must be host:port");
    }
    if (gateway.listen_port >= replicas.base_port &&
        gateway.listen_port < replicas.base_port + replicas.count) {
        return invalid_argument(
            fmt::format("gateway.listen: port {} is also a replica's port", gateway.listen_port));
    }
    if (!gateway.command.empty()) {
        GS_RETURN_IF_ERROR(check_command_template("gateway.command", gateway.command,
                                                  {"glmserve", "listen", "policy"}));
    }
    return ok_status();
}

Status validate_status_listen(const ClusterConfig& config) {
    if (config.status_port == 0) return ok_status();
    const int port = config.status_port;
    const ReplicaSpec& replicas = config.replicas;
    if ((port >= replicas.base_port && port < replicas.base_port + replicas.count) ||
        (config.gateway.enabled && port == config.gateway.listen_port)) {
        return invalid_argument(
            fmt::format("status_listen: port {} is also a replica's or the gateway's", port));
    }
    if (config.status_host.empty()) return invalid_argument("status_listen: must be host:port");
    return ok_status();
}

}  // namespace

Status validate_cluster_config(const ClusterConfig& config) {
    if (config.glmserve_path.empty()) return invalid_argument("glmserve: must not be empty");
    if (config.log_dir.empty()) return invalid_argument("log_dir: must not be empty");
    if (config.drain_timeout <= Clock::duration::zero()) {
        return invalid_argument("drain_timeout: must be > 0");
    }
    GS_RETURN_IF_ERROR(validate_replicas(config.replicas));
    GS_RETURN_IF_ERROR(validate_gateway(config.gateway, config.replicas));
    GS_RETURN_IF_ERROR(validate_status_listen(config));
    GS_RETURN_IF_ERROR(validate_health(config.health));
    GS_RETURN_IF_ERROR(validate_backoff(config.restart.backoff));
    if (config.restart.max_restarts < 1) {
        return invalid_argument("restart.max_restarts: must be >= 1");
    }
    if (config.restart.window <= Clock::duration::zero()) {
        return invalid_argument("restart.window: must be > 0");
    }
    return ok_status();
}

Result<std::string> current_executable_path() {
    std::array<char, PATH_MAX> buffer{};
    const ssize_t n = ::readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
    if (n <= 0) return internal_error("cannot resolve /proc/self/exe");
    return std::string(buffer.data(), static_cast<size_t>(n));
}

Result<ClusterConfig> parse_cluster_config(std::string_view yaml_text) {
    ClusterConfig config;
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml_text));
    } catch (const YAML::Exception& e) {
        return invalid_argument(fmt::format("cluster config: YAML error at line {}, column {}: {}",
                                            e.mark.line + 1, e.mark.column + 1, e.msg));
    }
    // Reading nodes does not throw with the accessors above, but yaml-cpp may still throw on
    // odd documents (aliases to undefined anchors, ...): caught here, never past the module.
    try {
        GS_RETURN_IF_ERROR(parse_root(root, config));
    } catch (const YAML::Exception& e) {
        return invalid_argument(fmt::format("cluster config: {}", e.what()));
    }
    if (config.glmserve_path.empty()) {
        GS_ASSIGN_OR_RETURN(config.glmserve_path, current_executable_path());
    }
    GS_RETURN_IF_ERROR(validate_cluster_config(config));
    return config;
}

Result<ClusterConfig> load_cluster_config(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return not_found(fmt::format("cluster config: cannot read '{}'", path));
    std::ostringstream text;
    text << file.rdbuf();
    Result<ClusterConfig> config = parse_cluster_config(text.str());
    if (!config.ok()) return config.status().with_context(path);
    return config;
}

}  // namespace glmserve::supervisor
