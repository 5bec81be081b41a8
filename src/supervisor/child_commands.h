// The argv of each child of the cluster, from the config's argv templates.
//
// A template is a list of strings; `{name}` inside an element is replaced by a value:
//   replicas: {glmserve} {model} {host} {port} {threads} {index}
//   gateway:  {glmserve} {listen} {policy}
// Default templates (used when the config gives none):
//   replica: {glmserve} serve [-m {model}] --host {host} --port {port} [--threads {threads}]
//            (-m only with a replicas.model, --threads only when replicas.threads > 0)
//   gateway: {glmserve} gateway --listen {listen} --policy {policy}
// After the template come, for a replica: replicas.args, then per_replica[i].args; for the
// gateway: `--upstream http://host:port` once per replica, `-c <config>` when set, then
// gateway.args. Templates exist so tests (and operators running a foreign server such as
// llama.cpp behind our gateway) can substitute another executable.
// Thread: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "supervisor/cluster_config.h"

namespace glmserve::supervisor {

std::vector<std::string> default_replica_command(bool has_model, int threads);
std::vector<std::string> default_gateway_command();

// OK when every `{...}` in `command` is one of `allowed`; InvalidArgument naming `field`
// otherwise (also for an empty template or an unclosed brace).
Status check_command_template(std::string_view field, const std::vector<std::string>& command,
                              const std::vector<std::string_view>& allowed);

uint16_t replica_port(const ClusterConfig& config, int index);
// "http://127.0.0.1:8081": the address the gateway and the health checks use.
std::string replica_url(const ClusterConfig& config, int index);

std::vector<std::string> replica_argv(const ClusterConfig& config, int index);
std::vector<std::string> gateway_argv(const ClusterConfig& config);

// The address to probe for a child listening on `host` (a wildcard address is probed on
// loopback).
std::string probe_host(std::string_view listen_host);

}  // namespace glmserve::supervisor
