// Prometheus series for an http::Server's connection counters (accepts, rejections, timeouts,
// TLS handshake failures, ...), read at scrape time. `glmserve serve` and the gateway both
// expose them, under the same names, so one dashboard reads either.
// Thread: the series read atomics; call export_server_counters once, before serving /metrics.
#pragma once

#include "http/server.h"
#include "obs/metrics.h"

namespace glmserve::http {

// `server` must outlive every later render of `registry` (it does when it serves /metrics).
void export_server_counters(obs::Registry& registry, const Server& server);

}  // namespace glmserve::http
