// Child state names and the /status JSON (see cluster_status.h); the JSON is built by hand
// (a handful of fields) with strings escaped.
#include "supervisor/cluster_status.h"

#include <fmt/format.h>

#include <algorithm>

namespace glmserve::supervisor {

std::string_view child_state_name(ChildState state) {
    switch (state) {
        case ChildState::Waiting: return "waiting";
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

namespace {

// JSON string contents: quotes, backslashes and control characters escaped (last_exit may
// hold a path or an errno text).
std::string json_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char ch : text) {
        const auto byte = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (byte < 0x20) {
            out += fmt::format("\\u{:04x}", byte);
        } else {
            out += ch;
        }
    }
    return out;
}

std::string child_json(const ChildStatus& c) {
    return fmt::format(
        R"({{"name":"{}","port":{},"pid":{},"state":"{}","restarts":{},"last_exit":"{}"}})",
        json_escape(c.name), c.port, c.pid, child_state_name(c.state), c.restarts,
        json_escape(c.last_exit));
}

}  // namespace

std::string cluster_status_json(const ClusterStatus& status) {
    std::string replicas;
    for (const ChildStatus& c : status.replicas) {
        if (!replicas.empty()) replicas += ',';
        replicas += child_json(c);
    }
    return fmt::format(
        R"({{"stopping":{},"rolling_restart":{},"replicas_ready":{},"replicas":[{}],"gateway":{}}})",
        status.stopping, status.rolling_restart_in_progress, status.n_replicas_ready(), replicas,
        status.gateway ? child_json(*status.gateway) : "null");
}

}  // namespace glmserve::supervisor
