// StatusServer: the supervisor's own small HTTP endpoint (cluster.yaml `status_listen`), so
// its restart and exit counters reach Prometheus and an operator can see each child's state.
//
//   GET /metrics  the registry in Prometheus text (glmserve_cluster_* and whatever else the
//                 caller registered)
//   GET /status   cluster_status_json() of the latest snapshot
//   GET /health   200 {"status":"ok"} while the process runs
//   POST /rolling-restart   starts a rolling restart, as SIGHUP does (202; ignored by the
//                 supervisor while one runs): the "command" form for operators and scripts
//                 that cannot signal the process (another container, a remote shell)
// Anything else is 404; other methods on these paths are 405. The listener uses the hardened
// http::Server with its default limits.
// Thread: handlers run on the server's io thread and only read thread-safe state
// (Supervisor::status(), Registry::render()) or post to the supervisor's loop
// (Supervisor::rolling_restart()); start/stop from the owning thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/server.h"
#include "obs/metrics.h"
#include "supervisor/supervisor.h"

namespace glmserve::supervisor {

class StatusServer {
public:
    // `supervisor` and `registry` must outlive the StatusServer. Unavailable when the address
    // cannot be bound.
    static Result<std::unique_ptr<StatusServer>> start(const std::string& host, uint16_t port,
                                                       Supervisor& supervisor,
                                                       const obs::Registry& registry);

    uint16_t port() const { return server_->port(); }
    void stop() { server_->stop(); }

private:
    explicit StatusServer(std::unique_ptr<http::Server> server) : server_(std::move(server)) {}
    std::unique_ptr<http::Server> server_;
};

}  // namespace glmserve::supervisor
