// Tests of gateway.yaml parsing and the flag overrides: every field reaches the config, and
// every bad value is refused with the field's name in the message.
#include "gateway/gateway_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace glmserve::gateway {
namespace {

using std::chrono::milliseconds;

constexpr const char* kFullConfig = R"(
listen: 0.0.0.0:9000
io_threads: 3
upstream_threads: 4
policy: prefix_affinity
drain_timeout: 5s
upstreams:
  - {name: a, url: "http://127.0.0.1:8001", weight: 3}
  - {name: b, url: "http://127.0.0.1:8002/api/"}
  - {name: spare, url: "http://10.0.0.9:80", backup: true}
affinity: {prefix_chars: 64, bound: 0.5, virtual_nodes: 16}
health: {path: /health, interval: 500ms, timeout: 200ms, rise: 1, fall: 2, poll_load: false}
outlier: {consecutive_5xx: 4, consecutive_gateway_errors: 2, base_ejection: 1s,
          max_ejection: 10s, max_ejected_fraction: 0.3}
breaker: {window: 5s, min_requests: 10, failure_rate: 0.6, open_duration: 2s,
          half_open_probes: 2}
limits: {max_connections: 100, max_connections_per_upstream: 8, max_pending_per_upstream: 4,
         max_body_bytes: 1MiB, max_header_bytes: 8KiB}
retries: {max_attempts: 4, budget_ratio: 0.1, budget_window: 20s, min_retries: 2}
timeouts: {connect: 100ms, first_byte: 3s, between_chunks: 1s, total: 30s}
keys: {api_key_file: /etc/keys, default_rpm: 60, default_tpm: 1000}
abuse: {max_failures: 5, window: 30s, cooldown: 2m, max_tracked: 100}
cache: {max_bytes: 16MiB, ttl: 10s, max_entries: 50}
tls: {cert: /etc/gw/server.crt, key: /etc/gw/server.key, client_ca: /etc/gw/clients.pem}
upstream_tls: {ca: /etc/gw/replicas.pem, cert: /etc/gw/gw.crt, key: /etc/gw/gw.key,
               server_name: replica.internal, verify: false}
)";

TEST(GatewayConfig, EveryFieldIsRead) {
    auto c = parse_gateway_config(kFullConfig);
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    EXPECT_EQ(c->host, "0.0.0.0");
    EXPECT_EQ(c->port, 9000);
    EXPECT_EQ(c->io_threads, 3);
    EXPECT_EQ(c->upstream_threads, 4);
    EXPECT_EQ(c->policy, "prefix_affinity");
    EXPECT_EQ(c->drain_timeout, milliseconds(5000));
    ASSERT_EQ(c->upstreams.size(), 3u);
    EXPECT_EQ(c->upstreams[0].name, "a");
    EXPECT_EQ(c->upstreams[0].url.port, 8001);
    EXPECT_EQ(c->upstreams[0].weight, 3);
    EXPECT_FALSE(c->upstreams[0].backup);
    EXPECT_EQ(c->upstreams[1].url.path_prefix, "/api");
    EXPECT_EQ(c->upstreams[1].weight, 1);
    EXPECT_TRUE(c->upstreams[2].backup);
    EXPECT_EQ(c->affinity.prefix_chars, 64u);
    EXPECT_DOUBLE_EQ(c->affinity.bound, 0.5);
    EXPECT_EQ(c->affinity.virtual_nodes, 16);
    EXPECT_EQ(c->health.path, "/health");
    EXPECT_EQ(c->health.interval, milliseconds(500));
    EXPECT_EQ(c->health.timeout, milliseconds(200));
    EXPECT_EQ(c->health.rise, 1);
    EXPECT_EQ(c->health.fall, 2);
    EXPECT_FALSE(c->health.poll_load);
    EXPECT_EQ(c->outlier.consecutive_5xx, 4);
    EXPECT_EQ(c->outlier.consecutive_gateway_errors, 2);
    EXPECT_EQ(c->outlier.base_ejection, milliseconds(1000));
    EXPECT_EQ(c->outlier.max_ejection, milliseconds(10000));
    EXPECT_DOUBLE_EQ(c->outlier.max_ejected_fraction, 0.3);
    EXPECT_EQ(c->breaker.window, milliseconds(5000));
    EXPECT_EQ(c->breaker.min_requests, 10);
    EXPECT_DOUBLE_EQ(c->breaker.failure_rate, 0.6);
    EXPECT_EQ(c->breaker.open_duration, milliseconds(2000));
    EXPECT_EQ(c->breaker.half_open_probes, 2);
    EXPECT_EQ(c->limits.max_connections, 100u);
    EXPECT_EQ(c->limits.max_connections_per_upstream, 8);
    EXPECT_EQ(c->limits.max_pending_per_upstream, 4);
    EXPECT_EQ(c->limits.max_body_bytes, 1024u * 1024u);
    EXPECT_EQ(c->limits.max_header_bytes, 8u * 1024u);
    EXPECT_EQ(c->retries.max_attempts, 4);
    EXPECT_DOUBLE_EQ(c->retries.budget_ratio, 0.1);
    EXPECT_EQ(c->retries.budget_window, milliseconds(20000));
    EXPECT_EQ(c->retries.min_retries, 2);
    EXPECT_EQ(c->timeouts.connect, milliseconds(100));
    EXPECT_EQ(c->timeouts.first_byte, milliseconds(3000));
    EXPECT_EQ(c->timeouts.between_chunks, milliseconds(1000));
    EXPECT_EQ(c->timeouts.total, milliseconds(30000));
    EXPECT_EQ(c->keys.api_key_file, "/etc/keys");
    EXPECT_EQ(c->keys.default_rpm, 60);
    EXPECT_EQ(c->keys.default_tpm, 1000);
    EXPECT_EQ(c->abuse.max_failures, 5);
    EXPECT_EQ(c->abuse.window, milliseconds(30000));
    EXPECT_EQ(c->abuse.cooldown, milliseconds(120000));
    EXPECT_EQ(c->abuse.max_tracked, 100u);
    EXPECT_EQ(c->cache.max_bytes, 16 * 1024 * 1024);
    EXPECT_EQ(c->cache.ttl, milliseconds(10000));
    EXPECT_EQ(c->cache.max_entries, 50u);
    EXPECT_EQ(c->tls.cert_file, "/etc/gw/server.crt");
    EXPECT_EQ(c->tls.key_file, "/etc/gw/server.key");
    EXPECT_EQ(c->tls.client_ca_file, "/etc/gw/clients.pem");
    EXPECT_EQ(c->upstream_tls.ca_file, "/etc/gw/replicas.pem");
    EXPECT_EQ(c->upstream_tls.cert_file, "/etc/gw/gw.crt");
    EXPECT_EQ(c->upstream_tls.key_file, "/etc/gw/gw.key");
    EXPECT_EQ(c->upstream_tls.server_name, "replica.internal");
    EXPECT_FALSE(c->upstream_tls.verify);
}

TEST(GatewayConfig, DefaultsWhenSectionsAreAbsent) {
    auto c = parse_gateway_config("upstreams: [{url: 'http://127.0.0.1:8001'}]");
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    const GatewayConfig defaults;
    EXPECT_EQ(c->policy, defaults.policy);
    EXPECT_EQ(c->health.path, "/ready");
    EXPECT_EQ(c->health.rise, defaults.health.rise);
    EXPECT_EQ(c->retries.max_attempts, defaults.retries.max_attempts);
    EXPECT_EQ(c->cache.max_bytes, 0);
    EXPECT_FALSE(c->tls.enabled());
    EXPECT_TRUE(c->upstream_tls.verify);
    EXPECT_TRUE(c->upstream_tls.ca_file.empty());  // the system's trust store
    // A nameless upstream is named after its address (a metric label).
    EXPECT_EQ(c->upstreams[0].name, "127.0.0.1:8001");
}

struct BadCase {
    const char* yaml;
    const char* field;  // must appear in the message
};

class GatewayConfigRejects : public ::testing::TestWithParam<BadCase> {};

TEST_P(GatewayConfigRejects, NamesTheField) {
    auto c = parse_gateway_config(GetParam().yaml);
    ASSERT_FALSE(c.ok()) << GetParam().yaml;
    EXPECT_EQ(c.status().code(), StatusCode::InvalidArgument);
    EXPECT_NE(c.status().message().find(GetParam().field), std::string::npos)
        << c.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    BadValues, GatewayConfigRejects,
    ::testing::Values(
        BadCase{"listen: nowhere", "listen"}, BadCase{"listen: 'h:70000'", "listen"},
        BadCase{"policy: random", "policy"}, BadCase{"polcy: p2c", "polcy: unknown"},
        BadCase{"upstreams: {a: 1}", "upstreams must be a list"},
        BadCase{"upstreams: [{url: 'ftp://x'}]", "upstreams[0].url"},
        BadCase{"upstreams: [{name: a}]", "upstreams[0].url is required"},
        BadCase{"upstreams: [{url: 'http://a:1', weight: 0}]", "upstreams[0].weight"},
        BadCase{"upstreams: [{url: 'http://a:1', weight: x}]", "upstreams[0].weight"},
        BadCase{"upstreams: [{url: 'http://a:1', colour: red}]", "upstreams[0].colour"},
        BadCase{"upstreams: [{url: 'http://a:1', name: x}, {url: 'http://b:1', name: x}]",
                "upstreams[1].name"},
        BadCase{"health: {rise: 0}", "health.rise"},
        BadCase{"health: {interval: soon}", "health.interval"},
        BadCase{"health: {intervall: 1s}", "health.intervall"},
        BadCase{"health: {path: ready}", "health.path"},
        BadCase{"health: {interval: 1s, timeout: 2s}", "health.timeout"},
        BadCase{"health: {enabled: maybe}", "health.enabled"},
        BadCase{"health: 3", "health must be a map"},
        BadCase{"outlier: {max_ejected_fraction: 1.5}", "outlier.max_ejected_fraction"},
        BadCase{"outlier: {base_ejection: 10s, max_ejection: 1s}", "outlier.max_ejection"},
        BadCase{"breaker: {failure_rate: 0}", "breaker.failure_rate"},
        BadCase{"breaker: {half_open_probes: -1}", "breaker.half_open_probes"},
        BadCase{"limits: {max_body_bytes: 10}", "limits.max_body_bytes"},
        BadCase{"limits: {max_pending_per_upstream: 0}", "limits.max_pending_per_upstream"},
        BadCase{"retries: {max_attempts: 0}", "retries.max_attempts"},
        BadCase{"retries: {budget_ratio: nan}", "retries.budget_ratio"},
        BadCase{"timeouts: {first_byte: -1s}", "timeouts.first_byte"},
        BadCase{"keys: {default_rpm: -5}", "keys.default_rpm"},
        BadCase{"abuse: {cooldown: [1]}", "abuse.cooldown"},
        BadCase{"cache: {max_bytes: lots}", "cache.max_bytes"},
        BadCase{"affinity: {prefix_chars: 0}", "affinity.prefix_chars"},
        BadCase{"tls: {cert: a.crt}", "tls: cert and key"},
        BadCase{"tls: {client_ca: ca.pem}", "tls.client_ca"},
        BadCase{"tls: {certificate: a.crt}", "tls.certificate"},
        BadCase{"upstream_tls: {cert: a.crt}", "upstream_tls: cert and key"},
        BadCase{"upstream_tls: {verify: sometimes}", "upstream_tls.verify"},
        BadCase{"[1, 2]", "the file must be a map"}, BadCase{"a: [", "not valid YAML"}));

class TempFile {
public:
    explicit TempFile(const std::string& text)
        : path_(std::filesystem::temp_directory_path() /
                ("gateway_config_test_" + std::to_string(::getpid()) + ".yaml")) {
        std::ofstream(path_) << text;
    }
    ~TempFile() { std::filesystem::remove(path_); }
    std::string path() const { return path_.string(); }

private:
    std::filesystem::path path_;
};

TEST(GatewayConfigLoad, FlagsOverrideTheFile) {
    TempFile file(
        "listen: 127.0.0.1:9000\npolicy: round_robin\n"
        "upstreams: [{name: a, url: 'http://127.0.0.1:8001'}]\nretries: {max_attempts: 2}\n");
    GatewayFlags flags{.config_file = file.path(),
                       .listen = "[::1]:9100",
                       .upstreams = {"http://127.0.0.1:7001", "http://127.0.0.1:7002"},
                       .policy = "least_connections"};
    auto c = load_gateway_config(flags);
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    EXPECT_EQ(c->host, "::1");
    EXPECT_EQ(c->port, 9100);
    EXPECT_EQ(c->policy, "least_connections");
    ASSERT_EQ(c->upstreams.size(), 2u);
    EXPECT_EQ(c->upstreams[1].url.port, 7002);
    EXPECT_EQ(c->upstreams[1].name, "127.0.0.1:7002");
    EXPECT_EQ(c->retries.max_attempts, 2);  // the file's, not overridden
}

TEST(GatewayConfigLoad, FlagsAloneAreEnough) {
    auto c = load_gateway_config({.upstreams = {"http://127.0.0.1:7001"}});
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    EXPECT_EQ(c->upstreams.size(), 1u);
}

TEST(GatewayConfigLoad, ErrorsNameTheFlagOrFile) {
    auto none = load_gateway_config({});
    ASSERT_FALSE(none.ok());
    EXPECT_NE(none.status().message().find("--upstream"), std::string::npos);

    auto bad_url = load_gateway_config({.upstreams = {"ftp://x"}});
    ASSERT_FALSE(bad_url.ok());
    EXPECT_NE(bad_url.status().message().find("--upstream"), std::string::npos);

    auto bad_policy = load_gateway_config({.upstreams = {"http://x:1"}, .policy = "best"});
    ASSERT_FALSE(bad_policy.ok());
    EXPECT_NE(bad_policy.status().message().find("--policy"), std::string::npos);

    auto bad_listen = load_gateway_config({.listen = "9000", .upstreams = {"http://x:1"}});
    ASSERT_FALSE(bad_listen.ok());
    EXPECT_NE(bad_listen.status().message().find("--listen"), std::string::npos);

    TempFile file("health: {rise: 0}\n");
    auto bad_file = load_gateway_config({.config_file = file.path()});
    ASSERT_FALSE(bad_file.ok());
    EXPECT_NE(bad_file.status().message().find(file.path()), std::string::npos);
    EXPECT_NE(bad_file.status().message().find("health.rise"), std::string::npos);

    auto missing = load_gateway_config({.config_file = "/nonexistent/gateway.yaml"});
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.status().code(), StatusCode::NotFound);
}

}  // namespace
}  // namespace glmserve::gateway
