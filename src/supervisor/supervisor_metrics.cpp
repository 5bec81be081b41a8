// The glmserve_cluster_* series (see supervisor_metrics.h).
#include "supervisor/supervisor_metrics.h"

#include <string>

namespace glmserve::supervisor {
namespace {

constexpr std::string_view kRestarts = "glmserve_cluster_restarts_total";
constexpr std::string_view kRestartsHelp = "Child restarts after an exit or failed health checks";
constexpr std::string_view kExits = "glmserve_cluster_exits_total";
constexpr std::string_view kExitsHelp = "Child process exits by cause (exit code, signal, OOM)";
constexpr std::string_view kUp = "glmserve_cluster_child_up";
constexpr std::string_view kUpHelp = "1 while the child answers its readiness check";
constexpr std::string_view kCrashLoops = "glmserve_cluster_crash_loops_total";
constexpr std::string_view kCrashLoopsHelp =
    "Children marked failed after too many restarts in the window";

constexpr std::string_view kKills = "glmserve_cluster_kills_total";
constexpr std::string_view kKillsHelp =
    "SIGKILLs sent by the supervisor (failed health checks, startup or drain timeouts)";

obs::Labels child_label(std::string_view child) {
    return {{"child", std::string(child)}};
}

}  // namespace

void SupervisorMetrics::declare_child(std::string_view child) {
    if (registry_ == nullptr) return;
    registry_->counter(kRestarts, kRestartsHelp, child_label(child));
    registry_->gauge(kUp, kUpHelp, child_label(child));
    registry_->counter(kCrashLoops, kCrashLoopsHelp, child_label(child));
}

void SupervisorMetrics::on_restart(std::string_view child) {
    if (registry_ != nullptr)
        registry_->counter(kRestarts, kRestartsHelp, child_label(child)).inc();
}

void SupervisorMetrics::on_exit(std::string_view child, std::string_view cause) {
    if (registry_ == nullptr) return;
    registry_
        ->counter(kExits, kExitsHelp,
                  {{"child", std::string(child)}, {"cause", std::string(cause)}})
        .inc();
}

void SupervisorMetrics::set_up(std::string_view child, bool up) {
    if (registry_ != nullptr)
        registry_->gauge(kUp, kUpHelp, child_label(child)).set(up ? 1.0 : 0.0);
}

void SupervisorMetrics::on_crash_loop(std::string_view child) {
    if (registry_ != nullptr) {
        registry_->counter(kCrashLoops, kCrashLoopsHelp, child_label(child)).inc();
    }
}

void SupervisorMetrics::on_kill(std::string_view child, std::string_view reason) {
    if (registry_ == nullptr) return;
    registry_
        ->counter(kKills, kKillsHelp,
                  {{"child", std::string(child)}, {"reason", std::string(reason)}})
        .inc();
}

}  // namespace glmserve::supervisor
