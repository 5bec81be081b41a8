// run_cluster as a process (cluster_runner, fake_replica children): SIGHUP rolls the replicas,
// SIGTERM drains and exits 0, and a supervisor killed with SIGKILL takes its children with it.
#include <gtest/gtest.h>

#include <charconv>
#include <csignal>
#include <fstream>

#include "supervisor/child_process.h"
#include "supervisor/health_probe.h"
#include "supervisor/process_test_util.h"

namespace glmserve::supervisor {
namespace {

using std::chrono::milliseconds;
using testing::pid_alive;
using testing::read_text_file;
using testing::TempDir;
using testing::wait_until;

constexpr milliseconds kWait{8000};

struct Cluster {
    TempDir dir;
    uint16_t base_port = testing::find_free_ports(4);  // gateway, 2 replicas, status
    std::optional<ChildProcess> runner;

    std::string log(const std::string& child) const {
        return read_text_file(dir.path() + "/logs/" + child + ".log");
    }

    void start() {
        const std::string yaml = dir.path() + "/cluster.yaml";
        std::ofstream(yaml) << "glmserve: " << GLMSERVE_FAKE_REPLICA << "\n"
                            << "log_dir: " << dir.path() << "/logs\n"
                            << "drain_timeout: 2s\n"
                            << "status_listen: 127.0.0.1:" << base_port + 3 << "\n"
                            << "gateway:\n"
                            << "  listen: 127.0.0.1:" << base_port << "\n"
                            << "  command: ['{glmserve}', '--listen', '{listen}']\n"
                            << "replicas:\n"
                            << "  count: 2\n"
                            << "  base_port: " << base_port + 1 << "\n"
                            << "  command: ['{glmserve}', '--host', '{host}', '--port', '{port}']\n"
                            << "  args: [--drain-ms, '100']\n"
                            << "health: {interval: 100ms, timeout: 200ms, failures: 2}\n"
                            << "restart: {initial: 100ms, max: 400ms}\n";
        Result<ChildProcess> spawned = ChildProcess::spawn(
            {.argv = {GLMSERVE_CLUSTER_RUNNER, yaml}, .log_path = dir.path() + "/runner.log"});
        ASSERT_TRUE(spawned.ok()) << spawned.status().to_string();
        runner.emplace(std::move(spawned).value());
    }

    bool all_ready() const {
        for (int i = 0; i < 3; ++i) {
            const ProbeTarget target{.host = "127.0.0.1",
                                     .port = static_cast<uint16_t>(base_port + i),
                                     .path = "/ready"};
            if (!probe_blocking(target, milliseconds(300)).passed) return false;
        }
        return true;
    }

    // The pids fake_replica printed in a child's log ("fake_replica <pid>: listening ...").
    std::vector<pid_t> pids_in(const std::string& child) const {
        std::vector<pid_t> pids;
        const std::string text = log(child);
        constexpr std::string_view kPrefix = "fake_replica ";
        for (size_t pos = text.find(kPrefix); pos != std::string::npos;
             pos = text.find(kPrefix, pos + 1)) {
            const char* begin = text.data() + pos + kPrefix.size();
            pid_t pid = 0;
            std::from_chars(begin, text.data() + text.size(), pid);
            if (pids.empty() || pids.back() != pid) pids.push_back(pid);
        }
        return pids;
    }

    std::vector<pid_t> all_child_pids() const {
        std::vector<pid_t> pids;
        for (const char* child : {"gateway", "replica-0", "replica-1"}) {
            for (const pid_t pid : pids_in(child)) pids.push_back(pid);
        }
        return pids;
    }
};

TEST(RunCluster, SighupAndPostRollTheReplicasAndSigtermExitsZeroLeavingNothing) {
    Cluster cluster;
    cluster.start();
    ASSERT_TRUE(wait_until([&] { return cluster.all_ready(); }, kWait)) << cluster.log("replica-0");

    // The supervisor's own view may trail the test's probes by one health interval.
    testing::HttpReply status;
    EXPECT_TRUE(wait_until(
        [&] {
            status = testing::http_get(cluster.base_port + 3, "/status");
            return status.body.find(R"("replicas_ready":2)") != std::string::npos;
        },
        kWait))
        << status.status << " " << status.body;
    EXPECT_NE(status.body.find(R"("name":"gateway")"), std::string::npos) << status.body;

    cluster.runner->signal_group(SIGHUP);
    ASSERT_TRUE(wait_until(
        [&] {
            return cluster.pids_in("replica-0").size() == 2 &&
                   cluster.pids_in("replica-1").size() == 2 && cluster.all_ready();
        },
        kWait))
        << read_text_file(cluster.dir.path() + "/runner.log");
    EXPECT_EQ(cluster.pids_in("gateway").size(), 1u);
    const testing::HttpReply metrics = testing::http_get(cluster.base_port + 3, "/metrics");
    EXPECT_EQ(metrics.status, 200);
    // Each replica's planned exit after SIGTERM is counted, none as a restart.
    EXPECT_NE(
        metrics.body.find(R"(glmserve_cluster_exits_total{child="replica-1",cause="exit_0"} 1)"),
        std::string::npos)
        << metrics.body;
    EXPECT_NE(metrics.body.find(R"(glmserve_cluster_restarts_total{child="replica-0"} 0)"),
              std::string::npos);
    EXPECT_EQ(testing::http_get(cluster.base_port + 3, "/nope").status, 404);

    // The command form of SIGHUP, once the first rolling restart has finished (a request
    // during one is ignored).
    ASSERT_TRUE(wait_until(
        [&] {
            return testing::http_get(cluster.base_port + 3, "/status")
                       .body.find(R"("rolling_restart":false)") != std::string::npos;
        },
        kWait));
    EXPECT_EQ(testing::http_get(cluster.base_port + 3, "/rolling-restart").status, 405);
    EXPECT_EQ(testing::http_request("POST", cluster.base_port + 3, "/rolling-restart").status, 202);
    ASSERT_TRUE(wait_until(
        [&] {
            return cluster.pids_in("replica-0").size() == 3 &&
                   cluster.pids_in("replica-1").size() == 3 && cluster.all_ready();
        },
        kWait))
        << read_text_file(cluster.dir.path() + "/runner.log");

    const std::vector<pid_t> pids = cluster.all_child_pids();
    // To the runner alone, as an init system would send it (not to the whole group).
    ASSERT_EQ(::kill(cluster.runner->pid(), SIGTERM), 0);
    std::optional<ExitCause> exit;
    ASSERT_TRUE(wait_until([&] { return (exit = cluster.runner->try_reap()).has_value(); }, kWait));
    EXPECT_EQ(exit->label(), "exit_0") << read_text_file(cluster.dir.path() + "/runner.log");
    for (const pid_t pid : pids) EXPECT_FALSE(pid_alive(pid)) << pid;
}

TEST(RunCluster, ChildrenDieWithAKilledSupervisor) {
    Cluster cluster;
    cluster.start();
    ASSERT_TRUE(wait_until([&] { return cluster.all_ready(); }, kWait));
    const std::vector<pid_t> pids = cluster.all_child_pids();
    ASSERT_EQ(pids.size(), 3u);
    ASSERT_EQ(::kill(cluster.runner->pid(), SIGKILL), 0);
    std::optional<ExitCause> exit;
    ASSERT_TRUE(wait_until([&] { return (exit = cluster.runner->try_reap()).has_value(); }, kWait));
    // PR_SET_PDEATHSIG: the kernel kills the children; nothing else would.
    for (const pid_t pid : pids) {
        EXPECT_TRUE(wait_until([&] { return !pid_alive(pid); }, milliseconds(3000))) << pid;
    }
}

TEST(RunCluster, AnInvalidConfigExitsOne) {
    TempDir dir;
    const std::string yaml = dir.path() + "/bad.yaml";
    std::ofstream(yaml) << "replicas: {count: 0, model: m}\n";
    Result<ChildProcess> runner = ChildProcess::spawn(
        {.argv = {GLMSERVE_CLUSTER_RUNNER, yaml}, .log_path = dir.path() + "/runner.log"});
    ASSERT_TRUE(runner.ok());
    std::optional<ExitCause> exit;
    ASSERT_TRUE(wait_until([&] { return (exit = runner->try_reap()).has_value(); }, kWait));
    EXPECT_EQ(exit->label(), "exit_1");
    EXPECT_NE(read_text_file(dir.path() + "/runner.log").find("replicas.count"), std::string::npos);
}

}  // namespace
}  // namespace glmserve::supervisor
