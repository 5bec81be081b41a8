// Supervisor (see supervisor.h): the loop is a timer on the io_context that every `tick` reaps
// exited children, escalates overdue drains to SIGKILL, restarts children whose backoff ended,
// launches health probes, and advances the rolling-restart and stop state machines; probe
// answers come back as handlers on the same single-threaded io_context, so no state needs a
// lock except the published snapshot.
#include "supervisor/supervisor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <random>

#include "http/tls_context.h"
#include "obs/logging.h"
#include "supervisor/backoff.h"
#include "supervisor/child_commands.h"
#include "supervisor/child_process.h"
#include "supervisor/crash_loop_detector.h"
#include "supervisor/exit_cause.h"
#include "supervisor/health_probe.h"
#include "supervisor/status_server.h"
#include "supervisor/supervisor_metrics.h"

namespace glmserve::supervisor {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

milliseconds to_ms(Clock::duration d) {
    return std::chrono::duration_cast<milliseconds>(d);
}

struct Child {
    Child(std::string child_name, const RestartSpec& restart)
        : name(std::move(child_name)), crash_loop(restart.max_restarts, restart.window) {}

    std::string name;
    std::vector<std::string> argv;
    std::string log_path;
    ProbeTarget ready_probe;
    ProbeTarget health_probe;

    std::optional<ChildProcess> process;     // engaged while a process runs (until reaped)
    ChildState state = ChildState::Waiting;  // until run() starts it
    CrashLoopDetector crash_loop;
    int restarts = 0;
    std::string last_exit;
    // Why the supervisor SIGKILLed this process ("" when it did not); marks a process that is
    // going away, so it is probed no more, and explains its exit in the log.
    std::string kill_reason;
    bool exit_expected = false;  // SIGTERM from a rolling restart or stop()
    uint64_t generation = 0;     // processes spawned; probe answers of an older one are dropped
    bool probe_in_flight = false;
    int consecutive_failures = 0;
    Clock::time_point started_at;
    Clock::time_point next_probe_at;
    Clock::time_point restart_at;
    Clock::time_point kill_at = Clock::time_point::max();  // Stopping: SIGKILL from then on

    bool running() const { return process && process->running(); }
    pid_t pid() const { return running() ? process->pid() : 0; }
};

// One replica at a time: wait until the others are ready, drain it, wait until its new process
// is ready and settled, next.
struct RollingRestart {
    enum class Phase { WaitOthers, Draining, WaitReady, Settle };
    bool active = false;
    std::deque<size_t> pending;
    std::optional<size_t> current;
    Phase phase = Phase::WaitOthers;
    uint64_t drained_generation = 0;
    Clock::time_point settle_until;
};

enum class StopPhase { Running, Gateway, Replicas, Done };

// The probes' TLS context for children that serve https (null for plain http); a file that
// does not load stops the cluster before anything starts.
Result<std::shared_ptr<http::TlsContext>> probe_tls_context(
    const std::optional<http::TlsClientOptions>& options, std::string_view field) {
    if (!options) return std::shared_ptr<http::TlsContext>();
    auto tls = http::TlsContext::for_client(*options);
    if (!tls.ok()) return tls.status().with_context(std::string(field));
    return tls;
}

}  // namespace

struct Supervisor::Impl {
    Impl(ClusterConfig cfg, SupervisorOptions opts)
        : config(std::move(cfg)),
          options(opts),
          log(obs::logger("supervisor")),
          metrics(opts.registry),
          oom(OomKillCounter::default_path()),
          backoff(config.restart.backoff),
          rng(opts.seed != 0 ? opts.seed : std::random_device{}()) {}

    // Loop thread only.
    void start_all(Clock::time_point now);
    void maybe_start_gateway(Clock::time_point now);
    void tick();
    void spawn(Child& child, Clock::time_point now);
    void on_exit(Child& child, const ExitCause& cause, Clock::time_point now);
    void restart_later(Child& child, Clock::time_point now);
    // `label`: the metric's reason label; `reason`: the words for the log.
    void kill_child(Child& child, std::string_view label, std::string reason);
    void term_child(Child& child, Clock::time_point now);
    void maybe_probe(size_t index, Clock::time_point now);
    void on_probe(size_t index, uint64_t generation, const ProbeResult& result);
    void begin_rolling_restart();
    void advance_rolling(Clock::time_point now);
    bool others_ready(size_t index) const;
    void begin_stop();
    void advance_stop();
    void publish();
    void arm_timer();

    Child* gateway() { return config.gateway.enabled ? &children.back() : nullptr; }
    size_t n_replicas() const { return static_cast<size_t>(config.replicas.count); }

    const ClusterConfig config;
    const SupervisorOptions options;
    std::shared_ptr<spdlog::logger> log;
    SupervisorMetrics metrics;
    const OomKillCounter oom;
    const Backoff backoff;
    std::mt19937_64 rng;

    // io before everything whose destructor may touch it (timer, probes in its queue).
    asio::io_context io;
    asio::steady_timer timer{io};

    std::vector<Child> children;  // replicas 0..N-1, then the gateway when enabled
    RollingRestart rolling;
    StopPhase stop_phase = StopPhase::Running;
    Clock::time_point started_at;  // start_all()

    mutable std::mutex snapshot_mu;
    ClusterStatus snapshot;  // guarded by snapshot_mu
};

void Supervisor::Impl::spawn(Child& child, Clock::time_point now) {
    Result<ChildProcess> process =
        ChildProcess::spawn({.argv = child.argv, .log_path = child.log_path, .oom_counter = &oom});
    child.kill_reason.clear();
    child.exit_expected = false;
    child.probe_in_flight = false;
    child.consecutive_failures = 0;
    child.kill_at = Clock::time_point::max();
    ++child.generation;
    if (!process.ok()) {
        log->error("{}: cannot start: {}", child.name, process.status().to_string());
        child.last_exit = process.status().message();
        metrics.on_exit(child.name, "spawn_failed");
        restart_later(child, now);
        return;
    }
    child.process.emplace(std::move(process).value());
    child.state = ChildState::Starting;
    child.started_at = now;
    child.next_probe_at = now;
    log->info("{}: started pid {} ({}), log {}", child.name, child.process->pid(),
              fmt::join(child.argv, " "), child.log_path);
}

void Supervisor::Impl::start_all(Clock::time_point now) {
    started_at = now;
    for (size_t i = 0; i < n_replicas(); ++i) spawn(children[i], now);
    if (Child* gw = gateway()) gw->state = ChildState::Waiting;
}

void Supervisor::Impl::maybe_start_gateway(Clock::time_point now) {
    Child* gw = gateway();
    if (gw == nullptr || gw->state != ChildState::Waiting || stop_phase != StopPhase::Running) {
        return;
    }
    const bool replicas_settled =
        std::all_of(children.begin(), children.begin() + static_cast<std::ptrdiff_t>(n_replicas()),
                    [](const Child& c) {
                        return c.state == ChildState::Ready || c.state == ChildState::Failed;
                    });
    const bool waited_enough = now - started_at >= config.health.startup_timeout;
    if (!replicas_settled && !waited_enough) return;
    if (!replicas_settled) {
        log->warn("{}: starting although not every replica is ready after startup_timeout",
                  gw->name);
    }
    spawn(*gw, now);
}

void Supervisor::Impl::restart_later(Child& child, Clock::time_point now) {
    if (!child.crash_loop.try_restart(now)) {
        child.state = ChildState::Failed;
        metrics.on_crash_loop(child.name);
        log->error(
            "{}: CRASH LOOP: {} restarts within {} s and it exited again (last: {}); marked "
            "failed, not restarting. Fix the cause (see {}), then send SIGHUP for a rolling "
            "restart.",
            child.name, config.restart.max_restarts,
            std::chrono::duration<double>(config.restart.window).count(), child.last_exit,
            child.log_path);
        return;
    }
    const int n_before = child.crash_loop.recent_restarts(now) - 1;
    const Clock::duration delay = backoff.delay(n_before, rng);
    child.state = ChildState::Backoff;
    child.restart_at = now + delay;
    log->warn("{}: restarting in {} ms (restart {} of at most {} within the window)", child.name,
              to_ms(delay).count(), n_before + 1, config.restart.max_restarts);
}

void Supervisor::Impl::on_exit(Child& child, const ExitCause& cause, Clock::time_point now) {
    const pid_t pid = child.process->pid();
    child.process.reset();
    child.probe_in_flight = false;
    child.last_exit = cause.describe();
    metrics.on_exit(child.name, cause.label());
    metrics.set_up(child.name, false);
    if (stop_phase != StopPhase::Running) {
        child.state = ChildState::Stopped;
        log->info("{}: pid {} stopped: {}", child.name, pid, child.last_exit);
        return;
    }
    if (child.exit_expected) {
        log->info("{}: pid {} exited after SIGTERM ({}); starting it again", child.name, pid,
                  child.last_exit);
        spawn(child, now);
        return;
    }
    if (child.kill_reason.empty()) {
        log->warn("{}: pid {} exited unexpectedly: {}", child.name, pid, child.last_exit);
    } else {
        log->warn("{}: pid {} killed ({}): {}", child.name, pid, child.kill_reason,
                  child.last_exit);
    }
    restart_later(child, now);
}

void Supervisor::Impl::kill_child(Child& child, std::string_view label, std::string reason) {
    log->warn("{}: SIGKILL to pid {}: {}", child.name, child.pid(), reason);
    metrics.on_kill(child.name, label);
    child.kill_reason = std::move(reason);
    child.process->signal_group(SIGKILL);
}

void Supervisor::Impl::term_child(Child& child, Clock::time_point now) {
    child.exit_expected = true;
    child.state = ChildState::Stopping;
    child.kill_at = now + config.drain_timeout;
    metrics.set_up(child.name, false);
    log->info("{}: SIGTERM to pid {} (drain, {} ms until SIGKILL)", child.name, child.pid(),
              to_ms(config.drain_timeout).count());
    child.process->signal_group(SIGTERM);
}

void Supervisor::Impl::maybe_probe(size_t index, Clock::time_point now) {
    Child& child = children[index];
    const bool probed_state = child.state == ChildState::Starting ||
                              child.state == ChildState::Ready ||
                              child.state == ChildState::Unhealthy;
    if (!child.running() || !probed_state || child.probe_in_flight || !child.kill_reason.empty() ||
        now < child.next_probe_at) {
        return;
    }
    if (child.state == ChildState::Starting &&
        now - child.started_at > config.health.startup_timeout) {
        kill_child(child, "startup_timeout",
                   fmt::format("not ready within startup_timeout ({} ms)",
                               to_ms(config.health.startup_timeout).count()));
        return;
    }
    child.probe_in_flight = true;
    const ProbeTarget& target =
        child.state == ChildState::Starting ? child.ready_probe : child.health_probe;
    const uint64_t generation = child.generation;
    async_probe(
        io, target, to_ms(config.health.timeout),
        [this, index, generation](ProbeResult result) { on_probe(index, generation, result); });
}

void Supervisor::Impl::on_probe(size_t index, uint64_t generation, const ProbeResult& result) {
    Child& child = children[index];
    if (generation != child.generation || !child.running()) return;
    const Clock::time_point now = Clock::now();
    child.probe_in_flight = false;
    child.next_probe_at = now + config.health.interval;
    if (!child.kill_reason.empty()) return;
    if (child.state == ChildState::Starting) {
        if (!result.passed) return;  // startup_timeout bounds how long this may go on
        child.state = ChildState::Ready;
        metrics.set_up(child.name, true);
        log->info("{}: pid {} ready after {} ms", child.name, child.pid(),
                  to_ms(now - child.started_at).count());
        return;
    }
    if (child.state != ChildState::Ready && child.state != ChildState::Unhealthy) return;
    if (result.passed) {
        if (child.state == ChildState::Unhealthy) log->info("{}: healthy again", child.name);
        child.state = ChildState::Ready;
        child.consecutive_failures = 0;
        metrics.set_up(child.name, true);
        return;
    }
    ++child.consecutive_failures;
    child.state = ChildState::Unhealthy;
    metrics.set_up(child.name, false);
    log->warn("{}: health check {} failed ({}/{}): {}", child.name, child.health_probe.path,
              child.consecutive_failures, config.health.failures, result.error);
    if (child.consecutive_failures >= config.health.failures) {
        kill_child(child, "unhealthy",
                   fmt::format("{} consecutive failed health checks", child.consecutive_failures));
    }
}

bool Supervisor::Impl::others_ready(size_t index) const {
    for (size_t i = 0; i < n_replicas(); ++i) {
        if (i == index) continue;
        const ChildState s = children[i].state;
        if (s != ChildState::Ready && s != ChildState::Failed) return false;
    }
    return true;
}

void Supervisor::Impl::begin_rolling_restart() {
    if (stop_phase != StopPhase::Running) return;
    if (rolling.active) {
        log->warn("rolling restart already in progress; request ignored");
        return;
    }
    log->info("rolling restart of {} replicas", n_replicas());
    rolling = RollingRestart{.active = true};
    for (size_t i = 0; i < n_replicas(); ++i) rolling.pending.push_back(i);
    Child* gw = gateway();
    if (gw != nullptr && gw->running()) {
        log->info("{}: SIGHUP to pid {} (reload its configuration)", gw->name, gw->pid());
        gw->process->signal_group(SIGHUP);
    } else if (gw != nullptr && gw->state == ChildState::Failed) {
        log->info("{}: was failed; starting it again (rolling restart)", gw->name);
        gw->crash_loop.reset();
        spawn(*gw, Clock::now());
    }
}

void Supervisor::Impl::advance_rolling(Clock::time_point now) {
    using Phase = RollingRestart::Phase;
    while (rolling.active) {
        if (!rolling.current) {
            if (rolling.pending.empty()) {
                rolling.active = false;
                log->info("rolling restart done");
                return;
            }
            rolling.current = rolling.pending.front();
            rolling.pending.pop_front();
            rolling.phase = Phase::WaitOthers;
            Child& next = children[*rolling.current];
            if (next.state == ChildState::Failed) {
                log->info("{}: was failed; starting it again (rolling restart)", next.name);
                next.crash_loop.reset();
                spawn(next, now);
                rolling.phase = Phase::WaitReady;
            }
        }
        Child& child = children[*rolling.current];
        switch (rolling.phase) {
            case Phase::WaitOthers:
                if (child.state == ChildState::Backoff || child.state == ChildState::Failed) {
                    // No process: the next one it gets is already a fresh start.
                    rolling.phase = Phase::WaitReady;
                    continue;
                }
                // A process still starting predates the request too: replaced once ready (or
                // killed by startup_timeout, which also ends in a fresh start).
                if (child.state == ChildState::Starting) return;
                if (!others_ready(*rolling.current)) return;
                rolling.drained_generation = child.generation;
                term_child(child, now);
                rolling.phase = Phase::Draining;
                return;
            case Phase::Draining:
                if (child.generation == rolling.drained_generation &&
                    child.state == ChildState::Stopping) {
                    return;
                }
                rolling.phase = Phase::WaitReady;
                continue;
            case Phase::WaitReady:
                if (child.state == ChildState::Failed) {
                    log->warn("{}: failed during the rolling restart; moving on", child.name);
                    rolling.current.reset();
                    continue;
                }
                if (child.state != ChildState::Ready) return;
                // Let the gateway's own health checks see the new process before the next
                // replica goes away.
                rolling.settle_until = now + config.health.interval;
                rolling.phase = Phase::Settle;
                continue;
            case Phase::Settle:
                if (now < rolling.settle_until) return;
                log->info("{}: replaced (pid {})", child.name, child.pid());
                rolling.current.reset();
                continue;
        }
    }
}

void Supervisor::Impl::begin_stop() {
    if (stop_phase == StopPhase::Done) return;
    if (stop_phase != StopPhase::Running) {
        // An operator who asks twice (Ctrl-C again) does not want to wait out the drain.
        log->warn("second stop request: SIGKILL to every child");
        for (Child& child : children) {
            if (child.running()) kill_child(child, "second_stop", "second stop request");
        }
        return;
    }
    log->info("stopping: draining the gateway, then the replicas");
    rolling.active = false;
    stop_phase = StopPhase::Gateway;
    const Clock::time_point now = Clock::now();
    if (Child* gw = gateway(); gw != nullptr && gw->running()) term_child(*gw, now);
}

void Supervisor::Impl::advance_stop() {
    const Clock::time_point now = Clock::now();
    if (stop_phase == StopPhase::Gateway) {
        if (Child* gw = gateway(); gw != nullptr && gw->running()) return;
        for (Child& child : children) {
            if (child.running()) {
                if (child.state != ChildState::Stopping) term_child(child, now);
            } else {
                child.state = ChildState::Stopped;
            }
        }
        stop_phase = StopPhase::Replicas;
    }
    if (stop_phase == StopPhase::Replicas) {
        for (const Child& child : children) {
            if (child.running()) return;
        }
        stop_phase = StopPhase::Done;
        log->info("every child stopped");
    }
}

void Supervisor::Impl::tick() {
    const Clock::time_point now = Clock::now();
    for (Child& child : children) {
        if (!child.running()) continue;
        if (std::optional<ExitCause> cause = child.process->try_reap()) on_exit(child, *cause, now);
    }
    for (Child& child : children) {
        if (child.running() && child.state == ChildState::Stopping && now >= child.kill_at) {
            kill_child(child, "drain_timeout", "drain_timeout passed");
            child.kill_at = Clock::time_point::max();
        }
        if (!child.running() && child.state == ChildState::Backoff &&
            stop_phase == StopPhase::Running && now >= child.restart_at) {
            ++child.restarts;
            metrics.on_restart(child.name);
            spawn(child, now);
        }
    }
    maybe_start_gateway(now);
    for (size_t i = 0; i < children.size(); ++i) maybe_probe(i, now);
    advance_rolling(now);
    if (stop_phase != StopPhase::Running) advance_stop();
    publish();
    if (stop_phase == StopPhase::Done) {
        io.stop();
        return;
    }
    arm_timer();
}

void Supervisor::Impl::arm_timer() {
    timer.expires_after(options.tick);
    timer.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) tick();
    });
}

void Supervisor::Impl::publish() {
    ClusterStatus status;
    for (size_t i = 0; i < children.size(); ++i) {
        const Child& child = children[i];
        ChildStatus s{.name = child.name,
                      .port = child.health_probe.port,
                      .pid = child.pid(),
                      .state = child.state,
                      .restarts = child.restarts,
                      .last_exit = child.last_exit};
        if (i < n_replicas()) {
            status.replicas.push_back(std::move(s));
        } else {
            status.gateway = std::move(s);
        }
    }
    status.rolling_restart_in_progress = rolling.active;
    status.stopping = stop_phase != StopPhase::Running;
    status.stopped = stop_phase == StopPhase::Done;
    std::lock_guard lock(snapshot_mu);
    snapshot = std::move(status);
}

Result<std::unique_ptr<Supervisor>> Supervisor::create(ClusterConfig config,
                                                       SupervisorOptions options) {
    GS_RETURN_IF_ERROR(validate_cluster_config(config));
    std::error_code ec;
    std::filesystem::create_directories(config.log_dir, ec);
    if (ec) {
        return internal_error(
            fmt::format("log_dir: cannot create '{}': {}", config.log_dir, ec.message()));
    }
    GS_ASSIGN_OR_RETURN(auto replica_tls,
                        probe_tls_context(config.replicas.probe_tls, "replicas.probe_tls"));
    GS_ASSIGN_OR_RETURN(auto gateway_tls,
                        probe_tls_context(config.gateway.probe_tls, "gateway.probe_tls"));
    auto impl = std::make_unique<Impl>(std::move(config), options);
    const ClusterConfig& c = impl->config;
    auto add_child = [&](std::string name, std::vector<std::string> argv, std::string host,
                         uint16_t port, const std::shared_ptr<http::TlsContext>& tls) {
        Child& child = impl->children.emplace_back(std::move(name), c.restart);
        child.argv = std::move(argv);
        child.log_path = (std::filesystem::path(c.log_dir) / (child.name + ".log")).string();
        child.ready_probe = {.host = host, .port = port, .path = c.health.ready_path, .tls = tls};
        child.health_probe = {
            .host = std::move(host), .port = port, .path = c.health.path, .tls = tls};
        impl->metrics.declare_child(child.name);
    };
    for (int i = 0; i < c.replicas.count; ++i) {
        add_child(fmt::format("replica-{}", i), replica_argv(c, i), probe_host(c.replicas.host),
                  replica_port(c, i), replica_tls);
    }
    if (c.gateway.enabled) {
        add_child("gateway", gateway_argv(c), probe_host(c.gateway.listen_host),
                  c.gateway.listen_port, gateway_tls);
    }
    impl->publish();
    return std::unique_ptr<Supervisor>(new Supervisor(std::move(impl)));
}

Supervisor::Supervisor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Supervisor::~Supervisor() = default;

void Supervisor::run() {
    Impl& impl = *impl_;
    asio::post(impl.io, [&impl] {
        impl.start_all(Clock::now());
        impl.publish();
        impl.arm_timer();
    });
    impl.io.run();
}

boost::asio::io_context& Supervisor::io_context() {
    return impl_->io;
}

void Supervisor::rolling_restart() {
    asio::post(impl_->io, [impl = impl_.get()] { impl->begin_rolling_restart(); });
}

void Supervisor::stop() {
    asio::post(impl_->io, [impl = impl_.get()] { impl->begin_stop(); });
}

ClusterStatus Supervisor::status() const {
    std::lock_guard lock(impl_->snapshot_mu);
    return impl_->snapshot;
}

int run_cluster(const ClusterConfig& config, obs::Registry* registry) {
    const auto log = obs::logger("supervisor");
    // Without a caller's registry the counters still exist, for the status endpoint.
    obs::Registry own_registry;
    obs::Registry& metrics = registry != nullptr ? *registry : own_registry;
    Result<std::unique_ptr<Supervisor>> supervisor =
        Supervisor::create(config, {.registry = &metrics});
    if (!supervisor.ok()) {
        log->error("cluster: {}", supervisor.status().to_string());
        return 1;
    }
    Supervisor& sup = **supervisor;
    std::unique_ptr<StatusServer> status_server;
    if (config.status_port != 0) {
        Result<std::unique_ptr<StatusServer>> started =
            StatusServer::start(config.status_host, config.status_port, sup, metrics);
        if (!started.ok()) {
            log->error("cluster: {}", started.status().to_string());
            return 1;
        }
        status_server = std::move(started).value();
        log->info("cluster: /metrics and /status on {}:{}", config.status_host,
                  status_server->port());
    }
    // Declared after the supervisor, so destroyed before its io_context.
    asio::signal_set signals(sup.io_context(), SIGTERM, SIGINT, SIGHUP);
    std::function<void()> wait_for_signal;
    wait_for_signal = [&] {
        signals.async_wait([&](const boost::system::error_code& ec, int signal) {
            if (ec) return;
            log->info("cluster: {} received", signal_name(signal));
            if (signal == SIGHUP) {
                sup.rolling_restart();
            } else {
                sup.stop();
            }
            wait_for_signal();
        });
    };
    wait_for_signal();
    sup.run();
    if (status_server) status_server->stop();
    log->info("cluster: stopped");
    return 0;
}

}  // namespace glmserve::supervisor
