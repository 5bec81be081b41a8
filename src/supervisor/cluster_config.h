// ClusterConfig: what `glmserve cluster -c cluster.yaml` runs, parsed and validated.
//
// The YAML file (every key optional):
//
//   glmserve: /usr/bin/glmserve        # binary for the children; default: this executable
//   log_dir: ./cluster-logs            # one <child>.log per child (stdout + stderr, appended)
//   drain_timeout: 30s                 # SIGTERM -> SIGKILL grace on stop and rolling restart
//   status_listen: 127.0.0.1:9090      # optional: the supervisor's /metrics, /status, /health
//   gateway:
//     enabled: true
//     listen: 127.0.0.1:8080
//     policy: p2c                      # round_robin | weighted_round_robin |
//                                      # least_connections | p2c | prefix_affinity
//     config: gateway.yaml             # optional, passed as -c
//     args: [--log-format, json]
//     command: [...]                   # argv template (see child_commands.h)
//     probe_tls: {ca: ca.pem, cert: probe.crt, key: probe.key, server_name: x, verify: true}
//                                      # probe over https: for a gateway.yaml with `tls`
//                                      # (cert/key: its client CA's, under mutual TLS)
//   replicas:
//     count: 3
//     host: 127.0.0.1
//     base_port: 8081                  # replica i listens on base_port + i
//     model: model.gguf                # absent: serve's built-in demo model
//     threads: 4                       # 0 or absent: the replica chooses
//     args: [--max-queue, "64"]
//     per_replica: [ {args: [...]}, ... ]   # extra args for replica 0, 1, ...
//     command: [...]                   # argv template (see child_commands.h)
//     probe_tls: {...}                 # replicas serve https (--tls-cert ... in args): how
//                                      # probes reach them; gateway upstream URLs become https
//   health:
//     path: /health                    # liveness, polled while a child runs
//     ready_path: /ready               # readiness, polled until a started child is ready
//     interval: 1s
//     timeout: 1s
//     failures: 3                      # consecutive failed /health checks -> restart
//     startup_timeout: 120s            # not ready by then -> restart
//   restart:
//     initial: 500ms
//     max: 30s
//     multiplier: 2
//     jitter: 0.2
//     max_restarts: 5                  # restarts within `window`; one more exit -> failed
//     window: 60s
//
// Durations are strings like "500ms", "2s", "1m" (common/units.h). Every error is
// InvalidArgument naming the field ("replicas.count: must be >= 1"); unknown keys are errors
// too, so a typo never silently falls back to a default.
// Thread: values, no shared state.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/tls_options.h"
#include "supervisor/backoff.h"

namespace glmserve::supervisor {

struct GatewaySpec {
    bool enabled = true;
    std::string listen_host = "127.0.0.1";
    uint16_t listen_port = 8080;
    std::string policy = "p2c";  // the gateway's own default
    std::string config_path;     // empty: none
    std::vector<std::string> args;
    std::vector<std::string> command;  // argv template; empty: the default (child_commands.h)
    std::optional<http::TlsClientOptions> probe_tls;  // set: health probes use https
};

struct ReplicaSpec {
    int count = 1;
    std::string host = "127.0.0.1";
    uint16_t base_port = 8081;
    std::string model;
    int threads = 0;  // 0: not passed
    std::vector<std::string> args;
    std::vector<std::vector<std::string>> per_replica_args;  // size <= count
    std::vector<std::string> command;  // argv template; empty: the default (child_commands.h)
    std::optional<http::TlsClientOptions> probe_tls;  // set: health probes use https
};

struct HealthSpec {
    std::string path = "/health";
    std::string ready_path = "/ready";
    Clock::duration interval = std::chrono::seconds(1);
    Clock::duration timeout = std::chrono::seconds(1);
    int failures = 3;
    Clock::duration startup_timeout = std::chrono::seconds(120);
};

struct RestartSpec {
    BackoffOptions backoff;
    int max_restarts = 5;
    Clock::duration window = std::chrono::seconds(60);
};

struct ClusterConfig {
    std::string glmserve_path;  // absolute; default: /proc/self/exe resolved
    std::string log_dir = "glmserve-cluster-logs";
    Clock::duration drain_timeout = std::chrono::seconds(30);
    std::string status_host = "127.0.0.1";
    uint16_t status_port = 0;  // 0: no status endpoint
    GatewaySpec gateway;
    ReplicaSpec replicas;
    HealthSpec health;
    RestartSpec restart;
};

// Parses and validates cluster.yaml text.
Result<ClusterConfig> parse_cluster_config(std::string_view yaml_text);

// Reads the file at `path` (NotFound when it cannot be read) and parses it.
Result<ClusterConfig> load_cluster_config(const std::string& path);

// Validation shared by the parser and by callers that build a ClusterConfig in code (tests,
// flags): ranges, port collisions, the argv templates' placeholders.
Status validate_cluster_config(const ClusterConfig& config);

// The path of the running executable (/proc/self/exe resolved); Internal when unreadable.
Result<std::string> current_executable_path();

}  // namespace glmserve::supervisor
