// Argv templates (see child_commands.h): `{name}` substitution inside each element.
#include "supervisor/child_commands.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace glmserve::supervisor {
namespace {

using Values = std::map<std::string, std::string, std::less<>>;

// Replaces every `{name}` in `element` by values[name]. Templates were checked by
// check_command_template, so every name is known.
std::string substitute(std::string_view element, const Values& values) {
    std::string out;
    size_t pos = 0;
    while (pos < element.size()) {
        const size_t open = element.find('{', pos);
        if (open == std::string_view::npos) break;
        const size_t close = element.find('}', open);
        if (close == std::string_view::npos) break;
        out.append(element.substr(pos, open - pos));
        const auto it = values.find(element.substr(open + 1, close - open - 1));
        if (it != values.end()) {
            out += it->second;
        } else {
            out.append(element.substr(open, close - open + 1));
        }
        pos = close + 1;
    }
    out.append(element.substr(std::min(pos, element.size())));
    return out;
}

std::vector<std::string> expand(const std::vector<std::string>& command, const Values& values) {
    std::vector<std::string> argv;
    argv.reserve(command.size());
    for (const auto& element : command) argv.push_back(substitute(element, values));
    return argv;
}

// "[::1]" for an IPv6 address, the host itself otherwise.
std::string bracket_if_ipv6(std::string_view host) {
    if (host.find(':') != std::string_view::npos) return fmt::format("[{}]", host);
    return std::string(host);
}

}  // namespace

std::vector<std::string> default_replica_command(bool has_model, int threads) {
    std::vector<std::string> command = {"{glmserve}", "serve"};
    if (has_model) {
        command.emplace_back("-m");
        command.emplace_back("{model}");
    }
    for (const char* arg : {"--host", "{host}", "--port", "{port}"}) command.emplace_back(arg);
    if (threads > 0) {
        command.emplace_back("--threads");
        command.emplace_back("{threads}");
    }
    return command;
}

std::vector<std::string> default_gateway_command() {
    return {"{glmserve}", "gateway", "--listen", "{listen}", "--policy", "{policy}"};
}

Status check_command_template(std::string_view field, const std::vector<std::string>& command,
                              const std::vector<std::string_view>& allowed) {
    if (command.empty() || command.front().empty()) {
        return invalid_argument(fmt::format("{}: must start with the executable", field));
    }
    for (const auto& element : command) {
        size_t pos = 0;
        while ((pos = element.find('{', pos)) != std::string::npos) {
            const size_t close = element.find('}', pos);
            if (close == std::string::npos) {
                return invalid_argument(fmt::format("{}: unclosed '{{' in '{}'", field, element));
            }
            const std::string_view name =
                std::string_view(element).substr(pos + 1, close - pos - 1);
            if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
                return invalid_argument(fmt::format("{}: unknown placeholder '{{{}}}' (known: {})",
                                                    field, name, fmt::join(allowed, ", ")));
            }
            pos = close + 1;
        }
    }
    return ok_status();
}

uint16_t replica_port(const ClusterConfig& config, int index) {
    return static_cast<uint16_t>(config.replicas.base_port + index);
}

std::string replica_url(const ClusterConfig& config, int index) {
    // Replicas that serve https (probe_tls set) are upstreams with https URLs too.
    return fmt::format("{}://{}:{}", config.replicas.probe_tls ? "https" : "http",
                       bracket_if_ipv6(probe_host(config.replicas.host)),
                       replica_port(config, index));
}

std::vector<std::string> replica_argv(const ClusterConfig& config, int index) {
    const ReplicaSpec& spec = config.replicas;
    const Values values = {
        {"glmserve", config.glmserve_path},
        {"model", spec.model},
        {"host", spec.host},
        {"port", std::to_string(replica_port(config, index))},
        {"threads", std::to_string(spec.threads)},
        {"index", std::to_string(index)},
    };
    std::vector<std::string> argv =
        expand(spec.command.empty() ? default_replica_command(!spec.model.empty(), spec.threads)
                                    : spec.command,
               values);
    argv.insert(argv.end(), spec.args.begin(), spec.args.end());
    if (index < static_cast<int>(spec.per_replica_args.size())) {
        const auto& extra = spec.per_replica_args[static_cast<size_t>(index)];
        argv.insert(argv.end(), extra.begin(), extra.end());
    }
    return argv;
}

std::vector<std::string> gateway_argv(const ClusterConfig& config) {
    const GatewaySpec& spec = config.gateway;
    const Values values = {
        {"glmserve", config.glmserve_path},
        {"listen", fmt::format("{}:{}", bracket_if_ipv6(spec.listen_host), spec.listen_port)},
        {"policy", spec.policy},
    };
    std::vector<std::string> argv =
        expand(spec.command.empty() ? default_gateway_command() : spec.command, values);
    for (int i = 0; i < config.replicas.count; ++i) {
        argv.emplace_back("--upstream");
        argv.push_back(replica_url(config, i));
    }
    if (!spec.config_path.empty()) {
        argv.emplace_back("-c");
        argv.push_back(spec.config_path);
    }
    argv.insert(argv.end(), spec.args.begin(), spec.args.end());
    return argv;
}

std::string probe_host(std::string_view listen_host) {
    if (listen_host == "0.0.0.0" || listen_host.empty()) return "127.0.0.1";
    if (listen_host == "::") return "::1";
    return std::string(listen_host);
}

}  // namespace glmserve::supervisor
