// GatewayConfig: everything `glmserve gateway` runs with, read from gateway.yaml (yaml-cpp) and
// overridden by the command-line flags of the simple case (--listen, --upstream, --policy).
//
// Durations in the file are strings in common/units.h form ("250ms", "2s", "5m") and sizes
// are byte sizes ("4MiB"); every section and field is optional except `upstreams` (given in
// the file or by --upstream). Validation is strict: an unknown key, a value of the wrong type
// or out of range is InvalidArgument naming the field by its path ("health.rise",
// "upstreams[1].url"), so a typo never silently becomes a default.
// Thread: values and pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/tls_options.h"
#include "http/url.h"

namespace glmserve::gateway {

using Millis = std::chrono::milliseconds;

struct UpstreamConfig {
    std::string name;  // unique; a metric label, so short and without secrets
    http::Url url;
    int weight = 1;       // 1..1000
    bool backup = false;  // used only when no primary is available
};

struct AffinityConfig {
    size_t prefix_chars = 256;  // the key: this many leading characters of the prompt
    double bound = 0.25;        // no replica more than 25% above the mean load
    int virtual_nodes = 64;     // hash-ring points per upstream
};

struct HealthConfig {
    bool enabled = true;
    std::string path = "/ready";
    Millis interval{2000};
    Millis timeout{1000};
    int rise = 2;  // consecutive successes that make an unhealthy upstream healthy
    int fall = 3;  // consecutive failures that make a healthy one unhealthy
    // Poll /v1/status for load (queued tokens, KV usage); an upstream that answers it with
    // anything but a glmserve status report is not polled again.
    bool poll_load = true;
};

struct OutlierConfig {
    int consecutive_5xx = 5;
    int consecutive_gateway_errors = 3;  // connect errors and timeouts
    Millis base_ejection{10'000};
    Millis max_ejection{300'000};
    double max_ejected_fraction = 0.5;
};

struct BreakerConfig {
    Millis window{10'000};
    int min_requests = 20;
    double failure_rate = 0.5;
    Millis open_duration{10'000};
    int half_open_probes = 3;
};

struct LimitsConfig {
    size_t max_connections = 4096;  // client connections to the gateway
    // Requests in flight to one upstream; past it the upstream is skipped (503 when all are).
    int max_connections_per_upstream = 256;
    // Requests sent to one upstream that have not had their first response byte (queued or
    // in prefill there): a replica piling these up is saturated, so new work goes elsewhere.
    int max_pending_per_upstream = 128;
    size_t max_body_bytes = 4 * 1024 * 1024;
    size_t max_header_bytes = 16 * 1024;
};

struct RetryConfig {
    int max_attempts = 3;  // first try included
    double budget_ratio = 0.2;
    Millis budget_window{10'000};
    int min_retries = 5;  // per window, whatever the ratio
};

struct TimeoutConfig {
    Millis connect{2000};
    Millis first_byte{60'000};
    Millis between_chunks{30'000};
    Millis total{600'000};
};

struct KeysConfig {
    std::string api_key_file;  // empty: no authentication
    int64_t default_rpm = 0;   // per key, 0: unlimited
    int64_t default_tpm = 0;
};

struct AbuseConfig {
    int max_failures = 10;  // auth failures from one address within `window`
    Millis window{60'000};
    Millis cooldown{300'000};
    size_t max_tracked = 10'000;

    bool operator==(const AbuseConfig&) const = default;
};

struct CacheConfig {
    int64_t max_bytes = 0;  // 0: no response cache
    Millis ttl{60'000};
    size_t max_entries = 10'000;

    bool operator==(const CacheConfig&) const = default;
};

struct GatewayConfig {
    std::string host = "127.0.0.1";
    uint16_t port = 8000;
    // Section `tls` (cert, key, client_ca): the listener speaks TLS when set, and demands
    // client certificates when client_ca is. Reloadable (certificate rotation); turning TLS
    // on or off needs a restart.
    http::TlsServerOptions tls;
    // Section `upstream_tls` (ca, cert, key, server_name, verify): how https upstreams are
    // trusted and whom the gateway presents itself as (mutual TLS). Unset: the system's trust
    // store with full verification, no client certificate.
    http::TlsClientOptions upstream_tls;
    int io_threads = 2;        // client side (http::Server)
    int upstream_threads = 2;  // upstream side (http::Connection, health checks)
    std::vector<UpstreamConfig> upstreams;
    std::string policy = "p2c";  // a name parse_policy() accepts
    AffinityConfig affinity;
    HealthConfig health;
    OutlierConfig outlier;
    BreakerConfig breaker;
    LimitsConfig limits;
    RetryConfig retries;
    TimeoutConfig timeouts;
    KeysConfig keys;
    AbuseConfig abuse;
    CacheConfig cache;
    Millis drain_timeout{30'000};
};

// The simple case on the command line; a set field replaces the file's value.
struct GatewayFlags {
    std::string config_file;             // -c; empty: flags only
    std::optional<std::string> listen;   // "HOST:PORT" ("[::1]:8000" for IPv6)
    std::vector<std::string> upstreams;  // URLs; non-empty replaces the file's list
    std::optional<std::string> policy;
};

// Policy names the gateway knows ("round_robin", ...).
bool is_known_policy(std::string_view name);

// Parses YAML text (no flags applied, upstreams may be empty).
Result<GatewayConfig> parse_gateway_config(std::string_view yaml_text);

// Reads flags.config_file (if any), applies the flags and checks the result is servable
// (at least one upstream). Errors name the file or the flag.
Result<GatewayConfig> load_gateway_config(const GatewayFlags& flags);

// "HOST:PORT" → host and port; InvalidArgument naming `field`.
Status parse_listen(std::string_view text, std::string_view field, GatewayConfig& config);

}  // namespace glmserve::gateway
