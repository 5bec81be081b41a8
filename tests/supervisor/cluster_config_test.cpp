#include "supervisor/cluster_config.h"

#include <gtest/gtest.h>

#include <string>

namespace glmserve::supervisor {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::string_view kFull = R"(
glmserve: /opt/glmserve/bin/glmserve
log_dir: /var/log/glmserve
drain_timeout: 20s
status_listen: 127.0.0.1:9200
gateway:
  listen: 0.0.0.0:9000
  policy: p2c
  config: /etc/glmserve/gateway.yaml
  args: [--log-format, json]
  probe_tls: {ca: /etc/glmserve/ca.pem, cert: /etc/glmserve/probe.crt,
              key: /etc/glmserve/probe.key, server_name: gw.internal, verify: false}
replicas:
  count: 3
  host: 127.0.0.1
  base_port: 9101
  model: /models/glm4.gguf
  threads: 4
  args: [--max-queue, "64"]
  per_replica:
    - args: [--kv-pool, 2GiB]
    - {}
  probe_tls: {ca: /etc/glmserve/replicas-ca.pem}
health:
  path: /healthz
  ready_path: /readyz
  interval: 250ms
  timeout: 100ms
  failures: 2
  startup_timeout: 1m
restart:
  initial: 200ms
  max: 10s
  multiplier: 3
  jitter: 0.1
  max_restarts: 4
  window: 2m
)";

TEST(ClusterConfig, ParsesEveryField) {
    const Result<ClusterConfig> parsed = parse_cluster_config(kFull);
    ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
    const ClusterConfig& c = *parsed;
    EXPECT_EQ(c.glmserve_path, "/opt/glmserve/bin/glmserve");
    EXPECT_EQ(c.log_dir, "/var/log/glmserve");
    EXPECT_EQ(c.drain_timeout, seconds(20));
    EXPECT_EQ(c.status_host, "127.0.0.1");
    EXPECT_EQ(c.status_port, 9200);
    EXPECT_TRUE(c.gateway.enabled);
    EXPECT_EQ(c.gateway.listen_host, "0.0.0.0");
    EXPECT_EQ(c.gateway.listen_port, 9000);
    EXPECT_EQ(c.gateway.policy, "p2c");
    EXPECT_EQ(c.gateway.config_path, "/etc/glmserve/gateway.yaml");
    EXPECT_EQ(c.gateway.args, (std::vector<std::string>{"--log-format", "json"}));
    ASSERT_TRUE(c.gateway.probe_tls.has_value());
    EXPECT_EQ(c.gateway.probe_tls->ca_file, "/etc/glmserve/ca.pem");
    EXPECT_EQ(c.gateway.probe_tls->cert_file, "/etc/glmserve/probe.crt");
    EXPECT_EQ(c.gateway.probe_tls->key_file, "/etc/glmserve/probe.key");
    EXPECT_EQ(c.gateway.probe_tls->server_name, "gw.internal");
    EXPECT_FALSE(c.gateway.probe_tls->verify);
    ASSERT_TRUE(c.replicas.probe_tls.has_value());
    EXPECT_EQ(c.replicas.probe_tls->ca_file, "/etc/glmserve/replicas-ca.pem");
    EXPECT_TRUE(c.replicas.probe_tls->verify);
    EXPECT_EQ(c.replicas.count, 3);
    EXPECT_EQ(c.replicas.base_port, 9101);
    EXPECT_EQ(c.replicas.model, "/models/glm4.gguf");
    EXPECT_EQ(c.replicas.threads, 4);
    EXPECT_EQ(c.replicas.args, (std::vector<std::string>{"--max-queue", "64"}));
    ASSERT_EQ(c.replicas.per_replica_args.size(), 2u);
    EXPECT_EQ(c.replicas.per_replica_args[0], (std::vector<std::string>{"--kv-pool", "2GiB"}));
    EXPECT_TRUE(c.replicas.per_replica_args[1].empty());
    EXPECT_EQ(c.health.path, "/healthz");
    EXPECT_EQ(c.health.ready_path, "/readyz");
    EXPECT_EQ(c.health.interval, milliseconds(250));
    EXPECT_EQ(c.health.timeout, milliseconds(100));
    EXPECT_EQ(c.health.failures, 2);
    EXPECT_EQ(c.health.startup_timeout, seconds(60));
    EXPECT_EQ(c.restart.backoff.initial, milliseconds(200));
    EXPECT_EQ(c.restart.backoff.max, seconds(10));
    EXPECT_DOUBLE_EQ(c.restart.backoff.multiplier, 3.0);
    EXPECT_DOUBLE_EQ(c.restart.backoff.jitter, 0.1);
    EXPECT_EQ(c.restart.max_restarts, 4);
    EXPECT_EQ(c.restart.window, seconds(120));
}

TEST(ClusterConfig, MinimalFileGetsDefaultsAndThisExecutable) {
    const Result<ClusterConfig> parsed = parse_cluster_config("replicas: {count: 1}\n");
    ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
    const ClusterConfig& c = *parsed;
    const Result<std::string> self = current_executable_path();
    ASSERT_TRUE(self.ok());
    EXPECT_EQ(c.glmserve_path, *self);
    EXPECT_EQ(c.replicas.count, 1);
    EXPECT_EQ(c.replicas.base_port, 8081);
    EXPECT_EQ(c.gateway.listen_port, 8080);
    EXPECT_EQ(c.gateway.policy, "p2c");
    EXPECT_EQ(c.health.path, "/health");
    EXPECT_EQ(c.health.ready_path, "/ready");
    EXPECT_EQ(c.health.failures, 3);
    EXPECT_EQ(c.drain_timeout, seconds(30));
    EXPECT_FALSE(c.gateway.probe_tls.has_value());  // plain http probes
    EXPECT_FALSE(c.replicas.probe_tls.has_value());
    EXPECT_EQ(c.status_port, 0);  // no status endpoint unless asked for
}

TEST(ClusterConfig, ListenAcceptsBracketedIpv6) {
    const Result<ClusterConfig> parsed =
        parse_cluster_config("gateway: {listen: '[::1]:7000'}\nreplicas: {model: m}\n");
    ASSERT_TRUE(parsed.ok()) << parsed.status().to_string();
    EXPECT_EQ(parsed->gateway.listen_host, "::1");
    EXPECT_EQ(parsed->gateway.listen_port, 7000);
}

struct BadCase {
    const char* yaml;
    const char* field;  // the message must name it
};

class ClusterConfigRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(ClusterConfigRejects, NamingTheField) {
    const Result<ClusterConfig> parsed = parse_cluster_config(GetParam().yaml);
    ASSERT_FALSE(parsed.ok()) << GetParam().yaml;
    EXPECT_EQ(parsed.status().code(), StatusCode::InvalidArgument);
    EXPECT_NE(parsed.status().message().find(GetParam().field), std::string::npos)
        << parsed.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    BadFiles, ClusterConfigRejects,
    ::testing::Values(
        BadCase{"", "empty"}, BadCase{"[1, 2]", "must be a mapping"},
        BadCase{"replicas: {model: m, count: 0}", "replicas.count"},
        BadCase{"replicas: {model: m, count: three}", "replicas.count"},
        BadCase{"replicas: {model: m, count: 2.5}", "replicas.count"},
        BadCase{"replicas: {count: 2, command: ['x', '-m', '{model}']}", "replicas.model"},
        BadCase{"replicas: {model: m, base_port: 70000}", "replicas.base_port"},
        BadCase{"replicas: {model: m, base_port: 65535, count: 2}", "replicas.count"},
        BadCase{"replicas: {model: m, threads: -1}", "replicas.threads"},
        BadCase{"replicas: {model: m, args: --flag}", "replicas.args"},
        BadCase{"replicas: {model: m, args: [[a]]}", "replicas.args[0]"},
        BadCase{"replicas: {model: m, count: 1, per_replica: [{args: [a]}, {args: [b]}]}",
                "replicas.per_replica"},
        BadCase{"replicas: {model: m, per_replica: [{argz: [a]}]}", "replicas.per_replica[0].argz"},
        BadCase{"replicas: {model: m, modle: x}", "replicas.modle"},
        BadCase{"replicas: {model: m, command: ['{glmserve}', '--port', '{prot}']}",
                "replicas.command"},
        BadCase{"replicas: {model: m, command: []}", "replicas.command"},
        BadCase{"replicas: {model: m}\ngateway: {policy: random}", "gateway.policy"},
        BadCase{"replicas: {model: m}\ngateway: {listen: localhost}", "gateway.listen"},
        BadCase{"replicas: {model: m}\ngateway: {listen: 'h:0'}", "gateway.listen"},
        BadCase{"replicas: {model: m}\ngateway: {listen: '[::1]8080'}", "gateway.listen"},
        BadCase{
            "replicas: {model: m, base_port: 8079, count: 2}\ngateway: {listen: '127.0.0.1:8080'}",
            "gateway.listen"},
        BadCase{"replicas: {model: m}\ngateway: {enabled: maybe}", "gateway.enabled"},
        BadCase{"replicas: {model: m}\ngateway: {command: ['{glmserve}', '{upstream}']}",
                "gateway.command"},
        BadCase{"replicas: {model: m}\ngateway: {probe_tls: {cert: a.crt}}",
                "gateway.probe_tls: cert and key"},
        BadCase{"replicas: {model: m}\ngateway: {probe_tls: {verify: perhaps}}",
                "gateway.probe_tls.verify"},
        BadCase{"replicas: {model: m, probe_tls: {cacert: x}}", "replicas.probe_tls.cacert"},
        BadCase{"replicas: {model: m}\nhealth: {interval: soon}", "health.interval"},
        BadCase{"replicas: {model: m}\nhealth: {timeout: -1s}", "health.timeout"},
        BadCase{"replicas: {model: m}\nhealth: {failures: 0}", "health.failures"},
        BadCase{"replicas: {model: m}\nhealth: {path: health}", "health.path"},
        BadCase{"replicas: {model: m}\nhealth: {ready_path: ready}", "health.ready_path"},
        BadCase{"replicas: {model: m}\nrestart: {multiplier: 0.5}", "restart.multiplier"},
        BadCase{"replicas: {model: m}\nrestart: {jitter: 2}", "restart.jitter"},
        BadCase{"replicas: {model: m}\nrestart: {initial: 5s, max: 1s}", "restart.max"},
        BadCase{"replicas: {model: m}\nrestart: {max_restarts: 0}", "restart.max_restarts"},
        BadCase{"replicas: {model: m}\nrestart: {window: 0s}", "restart.window"},
        BadCase{"replicas: {model: m}\ndrain_timeout: forever", "drain_timeout"},
        BadCase{"replicas: {model: m}\nsupervisor: {}", "supervisor"},
        BadCase{"replicas: {model: m}\nstatus_listen: 9000", "status_listen"},
        BadCase{"replicas: {model: m, base_port: 9000}\nstatus_listen: 'h:9000'", "status_listen"},
        BadCase{"replicas: {model: m}\nstatus_listen: 'h:8080'", "status_listen"},
        BadCase{"replicas: {model: m\n", "YAML error at line"}));

TEST(ClusterConfig, LoadReportsAMissingFile) {
    const Result<ClusterConfig> loaded = load_cluster_config("/nonexistent/cluster.yaml");
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), StatusCode::NotFound);
    EXPECT_NE(loaded.status().message().find("/nonexistent/cluster.yaml"), std::string::npos);
}

}  // namespace
}  // namespace glmserve::supervisor
