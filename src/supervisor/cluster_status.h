// ClusterStatus: a snapshot of the supervisor's children, for tests, logs and a status page.
//
// Child states:
//   Waiting    not started yet: before run(), and the gateway until the replicas are ready
//   Starting   spawned, /ready not yet answered with 200
//   Ready      /ready passed once; /health keeps passing
//   Unhealthy  running, with 1 .. failures-1 consecutive failed /health checks
//   Backoff    exited (or was killed as unhealthy); waiting out the restart delay
//   Stopping   SIGTERM sent (rolling restart or stop); SIGKILL when drain_timeout passes
//   Failed     crash loop: too many restarts in the window; not restarted again
//   Stopped    exited during stop(); the end state
// Thread: values, no shared state.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glmserve::supervisor {

enum class ChildState { Waiting, Starting, Ready, Unhealthy, Backoff, Stopping, Failed, Stopped };

std::string_view child_state_name(ChildState state);  // "starting", "ready", ...

struct ChildStatus {
    std::string name;  // "gateway", "replica-0", ...
    uint16_t port = 0;
    pid_t pid = 0;  // 0 while no process runs
    ChildState state = ChildState::Waiting;
    int restarts = 0;       // restarts after failures (rolling restarts not counted)
    std::string last_exit;  // ExitCause::describe() of the last exit, "" before any
};

struct ClusterStatus {
    std::vector<ChildStatus> replicas;
    std::optional<ChildStatus> gateway;  // nullopt when the gateway is disabled
    bool rolling_restart_in_progress = false;
    bool stopping = false;
    bool stopped = false;  // every child is gone; run() returns

    int n_replicas_ready() const;
};

// {"stopping":false,"rolling_restart":false,"replicas":[{"name":..,"port":..,"pid":..,
// "state":"ready","restarts":0,"last_exit":""},...],"gateway":{...} or null}
std::string cluster_status_json(const ClusterStatus& status);

}  // namespace glmserve::supervisor
