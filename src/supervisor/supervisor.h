// Supervisor: the process manager behind `glmserve cluster`: starts N replicas and the gateway,
// keeps them alive, restarts them one at a time on request, and stops them all.
//
// Start: the replicas first; the gateway once every replica is ready (or failed), or after
// health.startup_timeout at the latest, so the gateway never opens in front of replicas that
// are still loading their model.
//
// Life of a child: spawned (Starting) -> /ready answers 200 (Ready) -> /health polled every
// health.interval; `health.failures` consecutive failures (error, non-200 or timeout) -> the
// group gets SIGKILL (a hung process cannot drain) and the exit is handled like a crash. An
// exit that nobody asked for is logged (warn) with its cause and counted, then the child is
// restarted after Backoff::delay(), unless CrashLoopDetector refuses: then it is Failed, logged
// at error and counted, and left alone until an operator's rolling restart. A child that is
// not ready within health.startup_timeout is killed and treated the same way.
//
// Rolling restart (rolling_restart(), SIGHUP in run_cluster): the gateway gets SIGHUP (config
// reload), then replicas are replaced one at a time: replica i gets SIGTERM only once every
// other non-failed replica is Ready, is started again as soon as it exits (SIGKILL after
// drain_timeout), and the next one waits until it is Ready plus one health.interval (so the
// gateway's own checks see it back). So at most one replica is out at
// a time: never fewer than N-1 ready when all were ready before. A failed replica is simply
// started again (a new chance: its crash-loop history is cleared), and so is a failed gateway.
//
// stop(): the gateway first gets SIGTERM and drain_timeout to finish what it is forwarding
// (the replicas still serve it), then every replica gets SIGTERM and drain_timeout, then
// SIGKILL. A second stop() SIGKILLs every child at once. run() returns once every child is
// reaped.
//
// Thread: one loop thread, the caller of run(), owns every child and all state; children are
// forked from it (PR_SET_PDEATHSIG follows that thread, see child_process.h). rolling_restart(),
// stop() and status() may be called from any thread: the first two post to the loop, status()
// copies the snapshot the loop publishes after each step, under a mutex.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>

#include "common/status.h"
#include "obs/metrics.h"
#include "supervisor/cluster_config.h"
#include "supervisor/cluster_status.h"

namespace glmserve::supervisor {

struct SupervisorOptions {
    obs::Registry* registry = nullptr;  // metrics (supervisor_metrics.h); not owned, nullable
    uint64_t seed = 0;                  // backoff jitter; 0: from std::random_device
    // How often the loop reaps children and advances state machines (restart latency).
    std::chrono::milliseconds tick{20};
};

class Supervisor {
public:
    // Validates the config (validate_cluster_config) and creates log_dir.
    static Result<std::unique_ptr<Supervisor>> create(ClusterConfig config,
                                                      SupervisorOptions options = {});
    ~Supervisor();  // kills and reaps any child still running (run() normally did already)

    Supervisor(const Supervisor&) = delete;
    Supervisor& operator=(const Supervisor&) = delete;

    // Starts every child and runs the loop on the calling thread until stop() has finished.
    void run();

    // The io_context run() runs, for callers that add their own handlers (signal sets, an
    // HTTP status endpoint's timers). Valid as long as the Supervisor.
    boost::asio::io_context& io_context();

    void rolling_restart();  // any thread; ignored while one is in progress or stopping
    void stop();             // any thread; a second call kills what is left at once

    ClusterStatus status() const;  // any thread

    struct Impl;

private:
    explicit Supervisor(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Runs the cluster until SIGTERM or SIGINT (drain, stop, exit 0; a second one kills what is
// left); SIGHUP triggers a rolling restart. With config.status_port set it serves /metrics,
// /status and /health there (status_server.h). Returns the process exit code: 0 after a clean
// stop, 1 when the config is invalid, the log directory cannot be created or status_listen
// cannot be bound. `registry` may be null (the metrics then live in a registry of its own).
int run_cluster(const ClusterConfig& config, obs::Registry* registry = nullptr);

}  // namespace glmserve::supervisor
