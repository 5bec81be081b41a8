// The supervisor with real child processes on loopback: fake_replica stands in for both
// `glmserve serve` and `glmserve gateway` through the config's argv templates.
#include "supervisor/supervisor.h"

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <thread>

#include "obs/metrics.h"
#include "supervisor/health_probe.h"
#include "supervisor/process_test_util.h"

namespace glmserve::supervisor {
namespace {

using std::chrono::milliseconds;
using testing::find_free_ports;
using testing::pid_alive;
using testing::TempDir;
using testing::wait_until;

constexpr milliseconds kWait{8000};

ClusterConfig fake_cluster(const TempDir& dir, int n_replicas, bool with_gateway = true) {
    ClusterConfig config;
    config.glmserve_path = GLMSERVE_FAKE_REPLICA;
    config.log_dir = dir.path() + "/logs";
    config.drain_timeout = milliseconds(2000);
    const uint16_t base = find_free_ports(n_replicas + 1);
    config.gateway.enabled = with_gateway;
    config.gateway.listen_port = base;
    config.gateway.command = {"{glmserve}", "--listen", "{listen}"};
    config.replicas.count = n_replicas;
    config.replicas.base_port = static_cast<uint16_t>(base + 1);
    config.replicas.command = {"{glmserve}", "serve", "--host", "{host}", "--port", "{port}"};
    config.health = {.interval = milliseconds(100),
                     .timeout = milliseconds(200),
                     .failures = 2,
                     .startup_timeout = milliseconds(5000)};
    config.restart = {.backoff = {.initial = milliseconds(100),
                                  .max = milliseconds(400),
                                  .multiplier = 2.0,
                                  .jitter = 0.1},
                      .max_restarts = 3,
                      .window = std::chrono::seconds(30)};
    return config;
}

// A supervisor whose loop runs on its own thread for the length of a test.
class RunningCluster {
public:
    explicit RunningCluster(ClusterConfig config) : config_(std::move(config)) {
        Result<std::unique_ptr<Supervisor>> created =
            Supervisor::create(config_, {.registry = &registry_, .seed = 1234});
        EXPECT_TRUE(created.ok()) << created.status().to_string();
        supervisor_ = std::move(created).value();
        loop_ = std::thread([this] { supervisor_->run(); });
    }
    ~RunningCluster() { stop(); }

    void stop() {
        if (!loop_.joinable()) return;
        supervisor_->stop();
        loop_.join();
    }

    Supervisor& supervisor() { return *supervisor_; }
    ClusterStatus status() const { return supervisor_->status(); }
    const ClusterConfig& config() const { return config_; }
    std::string metrics() const { return registry_.render(); }

    bool wait_all_ready(milliseconds timeout = kWait) {
        return wait_until(
            [&] {
                const ClusterStatus s = status();
                return s.n_replicas_ready() == config_.replicas.count &&
                       (!s.gateway || s.gateway->state == ChildState::Ready);
            },
            timeout);
    }

private:
    ClusterConfig config_;
    obs::Registry registry_;
    std::unique_ptr<Supervisor> supervisor_;
    std::thread loop_;
};

// Whether the child's process answers /ready with 200. A probe that got no answer at all (no
// response head: a refused connection, or a timeout while a parallel ctest starves this host of
// CPU) is asked once more with more time, so that only an answer, or a second failure, counts
// as not ready. (A CI run once saw only one replica answer during a rolling restart, with
// nothing in the supervisor's log to explain it.)
bool answers_ready(const ChildStatus& child) {
    const ProbeTarget target{.host = "127.0.0.1", .port = child.port, .path = "/ready"};
    const ProbeResult first = probe_blocking(target, milliseconds(500));
    if (first.passed || first.http_status != 0) return first.passed;
    return probe_blocking(target, milliseconds(2000)).passed;
}

TEST(Supervisor, StartsReplicasThenTheGatewayAndSeesThemReady) {
    TempDir dir;
    ClusterConfig config = fake_cluster(dir, 2);
    config.replicas.args = {"--ready-after-ms", "300"};
    RunningCluster cluster(config);
    int observations_while_loading = 0;
    ASSERT_TRUE(wait_until(
        [&] {
            const ClusterStatus s = cluster.status();
            if (s.n_replicas_ready() < 2) {
                // The gateway does not open in front of replicas that are still loading.
                ++observations_while_loading;
                EXPECT_EQ(s.gateway->state, ChildState::Waiting);
                EXPECT_EQ(s.gateway->pid, 0);
            }
            return s.n_replicas_ready() == 2 && s.gateway->state == ChildState::Ready;
        },
        kWait));
    EXPECT_GT(observations_while_loading, 5);
    const ClusterStatus s = cluster.status();
    ASSERT_EQ(s.replicas.size(), 2u);
    ASSERT_TRUE(s.gateway.has_value());
    for (const ChildStatus& c : s.replicas) {
        EXPECT_GT(c.pid, 0);
        EXPECT_EQ(c.restarts, 0);
        EXPECT_TRUE(answers_ready(c)) << c.name;
    }
    EXPECT_EQ(s.replicas[1].port, cluster.config().replicas.base_port + 1);
    EXPECT_TRUE(answers_ready(*s.gateway));
    const std::string metrics = cluster.metrics();
    EXPECT_NE(metrics.find(R"(glmserve_cluster_child_up{child="replica-1"} 1)"), std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find(R"(glmserve_cluster_child_up{child="gateway"} 1)"), std::string::npos);
    EXPECT_NE(metrics.find(R"(glmserve_cluster_restarts_total{child="replica-0"} 0)"),
              std::string::npos);
}

TEST(Supervisor, RestartsAReplicaKilledWithSigkillAndCountsTheCause) {
    TempDir dir;
    RunningCluster cluster(fake_cluster(dir, 2, /*with_gateway=*/false));
    ASSERT_TRUE(cluster.wait_all_ready());
    const pid_t victim = cluster.status().replicas[0].pid;
    ASSERT_EQ(::kill(victim, SIGKILL), 0);
    ASSERT_TRUE(wait_until(
        [&] {
            const ChildStatus c = cluster.status().replicas[0];
            return c.state == ChildState::Ready && c.pid != victim && c.pid > 0;
        },
        kWait));
    const ClusterStatus s = cluster.status();
    EXPECT_EQ(s.replicas[0].restarts, 1);
    EXPECT_EQ(s.replicas[0].last_exit, "signal 9 (SIGKILL)");
    EXPECT_EQ(s.replicas[1].restarts, 0);  // the other replica was left alone
    EXPECT_FALSE(pid_alive(victim));
    const std::string metrics = cluster.metrics();
    EXPECT_NE(metrics.find(R"(glmserve_cluster_exits_total{child="replica-0",cause="SIGKILL"} 1)"),
              std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find(R"(glmserve_cluster_restarts_total{child="replica-0"} 1)"),
              std::string::npos);
    EXPECT_NE(testing::read_text_file(dir.path() + "/logs/replica-0.log").find("listening"),
              std::string::npos);
}

TEST(Supervisor, RestartsAReplicaWhoseHealthCheckHangs) {
    TempDir dir;
    ClusterConfig config = fake_cluster(dir, 1, /*with_gateway=*/false);
    // The first process hangs /health after 500 ms; its successor gets the same flag, so check
    // only that the first one was replaced.
    config.replicas.args = {"--hang-health-after-ms", "500"};
    RunningCluster cluster(config);
    ASSERT_TRUE(cluster.wait_all_ready());
    const pid_t first = cluster.status().replicas[0].pid;
    ASSERT_TRUE(wait_until(
        [&] {
            const ChildStatus c = cluster.status().replicas[0];
            return c.restarts >= 1 && c.pid != first && c.pid > 0;
        },
        kWait));
    EXPECT_FALSE(pid_alive(first));
    EXPECT_EQ(cluster.status().replicas[0].last_exit, "signal 9 (SIGKILL)");
    EXPECT_NE(cluster.metrics().find(
                  R"(glmserve_cluster_kills_total{child="replica-0",reason="unhealthy"} 1)"),
              std::string::npos)
        << cluster.metrics();
}

TEST(Supervisor, RestartsAStoppedReplica) {
    TempDir dir;
    RunningCluster cluster(fake_cluster(dir, 1, /*with_gateway=*/false));
    ASSERT_TRUE(cluster.wait_all_ready());
    const pid_t frozen = cluster.status().replicas[0].pid;
    ASSERT_EQ(::kill(frozen, SIGSTOP), 0);
    // failures (2) x (interval 100 ms + timeout 200 ms), plus a tick and the backoff.
    ASSERT_TRUE(wait_until(
        [&] {
            const ChildStatus c = cluster.status().replicas[0];
            return c.state == ChildState::Ready && c.pid != frozen && c.pid > 0;
        },
        kWait));
    EXPECT_FALSE(pid_alive(frozen));
}

TEST(Supervisor, MarksACrashLoopingReplicaFailed) {
    TempDir dir;
    ClusterConfig config = fake_cluster(dir, 2, /*with_gateway=*/false);
    config.replicas.per_replica_args = {{}, {"--exit-after-ms", "50", "--exit-code", "7"}};
    RunningCluster cluster(config);
    ASSERT_TRUE(wait_until([&] { return cluster.status().replicas[1].state == ChildState::Failed; },
                           kWait));
    const ClusterStatus s = cluster.status();
    EXPECT_EQ(s.replicas[1].restarts, 3);  // max_restarts, then the 4th exit fails it
    EXPECT_EQ(s.replicas[1].last_exit, "exit code 7");
    EXPECT_EQ(s.replicas[1].pid, 0);
    const std::string metrics = cluster.metrics();
    EXPECT_NE(metrics.find(R"(glmserve_cluster_crash_loops_total{child="replica-1"} 1)"),
              std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find(R"(glmserve_cluster_exits_total{child="replica-1",cause="exit_7"} 4)"),
              std::string::npos);
    // The healthy replica is unaffected, and the failed one stays failed.
    EXPECT_TRUE(
        wait_until([&] { return cluster.status().replicas[0].state == ChildState::Ready; }, kWait));
    std::this_thread::sleep_for(milliseconds(600));  // longer than the largest backoff
    EXPECT_EQ(cluster.status().replicas[1].state, ChildState::Failed);
    EXPECT_EQ(cluster.status().replicas[1].restarts, 3);
}

// An operator fixes what made children crash-loop, then asks for a rolling restart: failed
// children (a replica and the gateway) get a new chance.
TEST(Supervisor, RollingRestartRevivesFailedChildren) {
    TempDir dir;
    const std::string broken = dir.path() + "/broken";
    { std::ofstream(broken) << "x"; }
    ClusterConfig config = fake_cluster(dir, 2);
    config.restart.max_restarts = 1;
    config.replicas.per_replica_args = {{}, {"--fail-while-exists", broken}};
    config.gateway.args = {"--fail-while-exists", broken};
    RunningCluster cluster(config);
    ASSERT_TRUE(wait_until(
        [&] {
            const ClusterStatus s = cluster.status();
            return s.replicas[1].state == ChildState::Failed &&
                   s.gateway->state == ChildState::Failed &&
                   s.replicas[0].state == ChildState::Ready;
        },
        kWait));
    std::remove(broken.c_str());
    cluster.supervisor().rolling_restart();
    EXPECT_TRUE(cluster.wait_all_ready());
    EXPECT_TRUE(wait_until([&] { return !cluster.status().rolling_restart_in_progress; }, kWait));
}

TEST(Supervisor, RollingRestartKeepsAllButOneReplicaReady) {
    TempDir dir;
    ClusterConfig config = fake_cluster(dir, 3);
    config.replicas.args = {"--drain-ms", "300", "--ready-after-ms", "200"};
    RunningCluster cluster(config);
    ASSERT_TRUE(cluster.wait_all_ready());
    std::vector<pid_t> before;
    for (const ChildStatus& c : cluster.status().replicas) before.push_back(c.pid);
    const pid_t gateway_pid = cluster.status().gateway->pid;

    cluster.supervisor().rolling_restart();
    int observations = 0;
    int min_ready_seen = 3;
    const bool done = wait_until(
        [&] {
            const ClusterStatus s = cluster.status();
            // Asked of the processes themselves, not of the supervisor's bookkeeping.
            int ready = 0;
            for (const ChildStatus& c : s.replicas) ready += answers_ready(c) ? 1 : 0;
            ++observations;
            min_ready_seen = std::min(min_ready_seen, ready);
            EXPECT_GE(ready, 2) << "observation " << observations;
            EXPECT_GE(s.n_replicas_ready(), 2);
            if (s.rolling_restart_in_progress) return false;
            for (size_t i = 0; i < before.size(); ++i) {
                if (s.replicas[i].pid == before[i] || s.replicas[i].state != ChildState::Ready) {
                    return false;
                }
            }
            return true;
        },
        milliseconds(9000));
    ASSERT_TRUE(done);
    EXPECT_GT(observations, 10);
    EXPECT_EQ(min_ready_seen, 2);  // each replica really went away once
    const ClusterStatus s = cluster.status();
    for (const ChildStatus& c : s.replicas) {
        EXPECT_EQ(c.restarts, 0) << c.name;  // planned restarts are not failures
        EXPECT_EQ(c.last_exit, "exit code 0") << c.name;
    }
    EXPECT_EQ(s.gateway->pid, gateway_pid);  // the gateway got SIGHUP, not a restart
    for (const pid_t pid : before) EXPECT_FALSE(pid_alive(pid));
    EXPECT_NE(testing::read_text_file(dir.path() + "/logs/gateway.log").find("SIGHUP"),
              std::string::npos);
}

// Requested while the replicas are still starting: processes that predate the request are
// replaced too, once they are ready.
TEST(Supervisor, RollingRestartDuringStartReplacesEveryProcess) {
    TempDir dir;
    ClusterConfig config = fake_cluster(dir, 2, /*with_gateway=*/false);
    config.replicas.args = {"--drain-ms", "50", "--ready-after-ms", "300"};
    RunningCluster cluster(config);
    cluster.supervisor().rolling_restart();
    auto starts = [&](const char* child) {
        const std::string log = testing::read_text_file(dir.path() + "/logs/" + child + ".log");
        int n = 0;
        for (size_t pos = log.find("listening"); pos != std::string::npos;
             pos = log.find("listening", pos + 1)) {
            ++n;
        }
        return n;
    };
    ASSERT_TRUE(wait_until(
        [&] {
            const ClusterStatus s = cluster.status();
            return !s.rolling_restart_in_progress && s.n_replicas_ready() == 2 &&
                   starts("replica-0") == 2 && starts("replica-1") == 2;
        },
        kWait));
}

TEST(Supervisor, StopLeavesNoChildAlive) {
    TempDir dir;
    ClusterConfig config = fake_cluster(dir, 2);
    // One replica ignores SIGTERM: stop() must SIGKILL it after drain_timeout.
    config.drain_timeout = milliseconds(500);
    config.replicas.per_replica_args = {{}, {"--ignore-sigterm"}};
    RunningCluster cluster(config);
    ASSERT_TRUE(cluster.wait_all_ready());
    std::vector<pid_t> pids;
    for (const ChildStatus& c : cluster.status().replicas) pids.push_back(c.pid);
    pids.push_back(cluster.status().gateway->pid);
    cluster.stop();  // returns when run() has returned
    const ClusterStatus s = cluster.status();
    EXPECT_TRUE(s.stopped);
    for (const ChildStatus& c : s.replicas) EXPECT_EQ(c.state, ChildState::Stopped) << c.name;
    EXPECT_EQ(s.replicas[0].last_exit, "exit code 0");
    EXPECT_EQ(s.replicas[1].last_exit, "signal 9 (SIGKILL)");
    EXPECT_EQ(s.gateway->last_exit, "exit code 0");
    EXPECT_NE(cluster.metrics().find(
                  R"(glmserve_cluster_kills_total{child="replica-1",reason="drain_timeout"} 1)"),
              std::string::npos);
    for (const pid_t pid : pids) EXPECT_FALSE(pid_alive(pid)) << pid;
}

TEST(Supervisor, ASecondStopKillsWithoutWaitingForTheDrain) {
    TempDir dir;
    ClusterConfig config = fake_cluster(dir, 1, /*with_gateway=*/false);
    config.drain_timeout = std::chrono::seconds(30);
    config.replicas.args = {"--ignore-sigterm"};
    RunningCluster cluster(config);
    ASSERT_TRUE(cluster.wait_all_ready());
    const pid_t pid = cluster.status().replicas[0].pid;
    cluster.supervisor().stop();
    ASSERT_TRUE(wait_until([&] { return cluster.status().stopping; }, kWait));
    EXPECT_TRUE(pid_alive(pid));  // ignoring SIGTERM, within its 30 s drain
    const auto start = std::chrono::steady_clock::now();
    cluster.stop();  // the second stop(), then join
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    EXPECT_FALSE(pid_alive(pid));
    EXPECT_EQ(cluster.status().replicas[0].last_exit, "signal 9 (SIGKILL)");
}

TEST(Supervisor, ABinaryThatCannotStartEndsFailed) {
    TempDir dir;
    ClusterConfig config = fake_cluster(dir, 1, /*with_gateway=*/false);
    config.replicas.command = {"/nonexistent/glmserve", "serve"};
    RunningCluster cluster(config);
    ASSERT_TRUE(wait_until([&] { return cluster.status().replicas[0].state == ChildState::Failed; },
                           kWait));
    EXPECT_NE(cluster.status().replicas[0].last_exit.find("/nonexistent/glmserve"),
              std::string::npos);
}

TEST(Supervisor, CreateRejectsAnInvalidConfig) {
    TempDir dir;
    ClusterConfig config = fake_cluster(dir, 1);
    config.health.failures = 0;
    const Result<std::unique_ptr<Supervisor>> created = Supervisor::create(config);
    ASSERT_FALSE(created.ok());
    EXPECT_NE(created.status().message().find("health.failures"), std::string::npos);
}

}  // namespace
}  // namespace glmserve::supervisor
