// `glmserve gateway [-c gateway.yaml] [--listen HOST:PORT] [--upstream URL]... [--policy NAME]`:
// the load balancer in front of replicas (ours or any OpenAI-compatible server). Flags →
// GatewayFlags → load_gateway_config() → run_gateway() (src/gateway/). Flags override the
// file; every flag has an env alias GLMSERVE_GATEWAY_<FLAG>.
#include <memory>
#include <string>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "gateway/run_gateway.h"

namespace glmserve::cli {
namespace {

struct GatewayCliOptions {
    std::string config_file;
    std::string listen;
    std::vector<std::string> upstreams;
    std::string policy;
    std::string log_level = "info";
    std::string log_format = "text";
};

int run_gateway_command(const GatewayCliOptions& o) {
    if (const Status logging = setup_logging_from_flags(o.log_level, o.log_format); !logging.ok()) {
        return fail(logging);
    }
    gateway::GatewayFlags flags;
    flags.config_file = o.config_file;
    if (!o.listen.empty()) flags.listen = o.listen;
    flags.upstreams = o.upstreams;
    if (!o.policy.empty()) flags.policy = o.policy;
    const Status status = gateway::run_gateway(flags);
    return status.ok() ? 0 : fail(status);
}

}  // namespace

void add_gateway_command(CLI::App& app, CommandRunner& run) {
    auto o = std::make_shared<GatewayCliOptions>();
    CLI::App* sub = app.add_subcommand(
        "gateway", "Load balancer in front of replicas (ours or any OpenAI-compatible server)");
    sub->add_option("-c,--config", o->config_file, "gateway.yaml (the flags below override it)")
        ->envname("GLMSERVE_GATEWAY_CONFIG");
    sub->add_option("--listen", o->listen, "HOST:PORT to listen on (default 127.0.0.1:8000)")
        ->envname("GLMSERVE_GATEWAY_LISTEN");
    sub->add_option("--upstream", o->upstreams,
                    "Upstream base URL, e.g. http://127.0.0.1:8080 (repeatable; replaces the "
                    "file's list)")
        ->envname("GLMSERVE_GATEWAY_UPSTREAM");
    sub->add_option("--policy", o->policy,
                    "round_robin, weighted_round_robin, least_connections, p2c (default) or "
                    "prefix_affinity")
        ->envname("GLMSERVE_GATEWAY_POLICY");
    sub->add_option("--log-level", o->log_level, "trace, debug, info, warn, error")
        ->capture_default_str()
        ->envname("GLMSERVE_GATEWAY_LOG_LEVEL");
    sub->add_option("--log-format", o->log_format, "text or json (one object per line)")
        ->capture_default_str()
        ->envname("GLMSERVE_GATEWAY_LOG_FORMAT");
    sub->callback([o, &run] { run = [o] { return run_gateway_command(*o); }; });
}

}  // namespace glmserve::cli
