// SupervisorMetrics: the cluster's Prometheus series (STYLE.md §8), declared in one place.
//
//   glmserve_cluster_restarts_total{child}       restarts after an exit or a failed health check
//   glmserve_cluster_exits_total{child,cause}    every exit, cause = ExitCause::label(), or
//                                                "spawn_failed" when exec failed
//   glmserve_cluster_child_up{child}             1 while the child is ready, else 0
//   glmserve_cluster_crash_loops_total{child}    children given up on (marked failed)
//   glmserve_cluster_kills_total{child,reason}   SIGKILLs the supervisor sent: reason is
//                                                unhealthy, startup_timeout, drain_timeout or
//                                                second_stop (tells a liveness kill from a crash,
//                                                which exits_total alone cannot)
//
// Events are rare (a restart, an exit), so series are looked up in the registry per event
// rather than cached; `child` is "gateway" or "replica-<i>", `cause` a handful of values.
// Thread: every method may be called from any thread (the registry locks).
#pragma once

#include <string_view>

#include "obs/metrics.h"

namespace glmserve::supervisor {

class SupervisorMetrics {
public:
    // Null registry: every method does nothing. Not owned; must outlive this object.
    explicit SupervisorMetrics(obs::Registry* registry) : registry_(registry) {}

    // Creates the child's series at 0, so dashboards see them before the first event.
    void declare_child(std::string_view child);
    void on_restart(std::string_view child);
    void on_exit(std::string_view child, std::string_view cause);
    void set_up(std::string_view child, bool up);
    void on_crash_loop(std::string_view child);
    void on_kill(std::string_view child, std::string_view reason);

private:
    obs::Registry* registry_;
};

}  // namespace glmserve::supervisor
