// run_gateway(): the process-level life of `glmserve gateway`: load the config, start the
// gateway, log the effective configuration, then serve until SIGTERM or SIGINT.
//
// SIGHUP re-reads the config file (the command-line flags still override it) and swaps the
// runtime without dropping a connection; a bad file is logged and counted, and the old config
// keeps running. The first SIGTERM/SIGINT drains: /ready turns 503, the listener closes,
// requests in flight run for up to drain_timeout; a second one exits at once (status 130).
// Signals are taken synchronously with sigtimedwait and blocked before any thread starts.
// Thread: the main thread, before it starts any other.
#pragma once

#include "common/status.h"
#include "gateway/gateway_config.h"

namespace glmserve::gateway {

Status run_gateway(const GatewayFlags& flags);

}  // namespace glmserve::gateway
