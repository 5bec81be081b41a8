#include "supervisor/cluster_status.h"

#include <algorithm>

namespace glmserve::supervisor {

std::string_view child_state_name(ChildState state) {
    switch (state) {
        case ChildState::Starting: return "starting";
        case ChildState::Ready: return "ready";
        case ChildState::Unhealthy: return "unhealthy";
        case ChildState::Backoff: return "backoff";
        case ChildState::Stopping: return "stopping";
        case ChildState::Failed: return "failed";
        case ChildState::Stopped: return "stopped";
    }
    return "unknown";
}

int ClusterStatus::n_replicas_ready() const {
    return static_cast<int>(
        std::count_if(replicas.begin(), replicas.end(),
                      [](const ChildStatus& c) { return c.state == ChildState::Ready; }));
}

}  // namespace glmserve::supervisor
