// Chaos tests of `glmserve cluster` (issue #6): the real binary runs a gateway and three
// replicas of the demo model on loopback while client threads keep it under steady load, and
// the test breaks a replica:
//   - kill -9: every non-streamed request still succeeds (the gateway retries elsewhere before
//     any byte reached the client), every stream ends with [DONE] or an SSE error event (none
//     hangs or is cut silently), the supervisor restarts the replica and the gateway sends it
//     traffic again;
//   - SIGSTOP: the gateway marks the replica unhealthy within its health settings, no request
//     waits past the gateway's first-byte timeout, and the supervisor replaces the process;
//   - a slow replica (frozen most of the time): least-connections routes most traffic away;
//   - SIGHUP: a rolling restart under load fails no request.
// Finally SIGTERM must drain and exit 0 with no child left. Each test takes a few seconds.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "supervisor/process_test_util.h"
#include "support/raw_http_client.h"

namespace glmserve {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;
namespace st = supervisor::testing;

constexpr int kReplicas = 3;
// The gateway gives up on an upstream's first byte after this (and retries elsewhere).
constexpr milliseconds kFirstByteTimeout{2000};

struct Ports {
    uint16_t gateway, status, first_replica;
};

// The cluster process: started in the constructor, SIGTERMed (then SIGKILLed) in the
// destructor if the test did not stop it.
class ClusterProcess {
public:
    ClusterProcess(const std::string& dir, const Ports& ports) : ports_(ports) {
        write_file(dir + "/gateway.yaml",
                   "health: {interval: 250ms, timeout: 200ms, rise: 1, fall: 2}\n"
                   "outlier: {consecutive_gateway_errors: 2, base_ejection: 1s}\n"
                   "retries: {max_attempts: 3, budget_ratio: 1.0, min_retries: 1000}\n"
                   "timeouts: {connect: 500ms, first_byte: 2s, between_chunks: 2s, total: 20s}\n");
        write_file(dir + "/cluster.yaml",
                   "log_dir: " + dir +
                       "/logs\n"
                       "drain_timeout: 5s\n"
                       "status_listen: 127.0.0.1:" +
                       std::to_string(ports.status) +
                       "\n"
                       "gateway:\n"
                       "  listen: 127.0.0.1:" +
                       std::to_string(ports.gateway) +
                       "\n"
                       "  policy: least_connections\n"
                       "  config: " +
                       dir +
                       "/gateway.yaml\n"
                       "replicas:\n"
                       "  count: " +
                       std::to_string(kReplicas) +
                       "\n"
                       "  base_port: " +
                       std::to_string(ports.first_replica) +
                       "\n"
                       "  threads: 1\n"
                       "health: {interval: 200ms, timeout: 500ms, failures: 3}\n"
                       "restart: {initial: 200ms, max: 2s}\n");
        const std::string config = dir + "/cluster.yaml";
        pid_ = st::spawn_logged({GLMSERVE_BINARY, "cluster", "-c", config}, dir + "/cluster.log");
        EXPECT_GT(pid_, 0);
    }

    ~ClusterProcess() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        if (!wait_exit(seconds(20))) {
            ::kill(pid_, SIGKILL);
            wait_exit(seconds(5));
        }
    }

    // Waits for the process to exit; its exit code, or -1 after a signal or the timeout.
    bool wait_exit(Clock::duration timeout) {
        return st::wait_until(
            [&] {
                int status = 0;
                const pid_t r = ::waitpid(pid_, &status, WNOHANG);
                if (r != pid_) return false;
                exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                pid_ = 0;
                return true;
            },
            std::chrono::duration_cast<milliseconds>(timeout));
    }

    pid_t pid() const { return pid_; }
    int exit_code() const { return exit_code_; }

    json status() const {
        const st::HttpReply r = st::http_get(ports_.status, "/status");
        if (r.status != 200) return json();
        return json::parse(r.body, nullptr, false);
    }

    json replica(int i) const {
        const json s = status();
        if (!s.is_object() || !s.contains("replicas")) return json();
        return s["replicas"][static_cast<size_t>(i)];
    }

    bool all_ready() const {
        const json s = status();
        if (!s.is_object() || !s.contains("replicas")) return false;
        for (const json& r : s["replicas"]) {
            if (r.value("state", "") != "ready") return false;
        }
        return s.contains("gateway") && s["gateway"].is_object() &&
               s["gateway"].value("state", "") == "ready" &&
               st::http_get(ports_.gateway, "/ready").status == 200;
    }

private:
    static void write_file(const std::string& path, const std::string& text) {
        std::ofstream(path) << text;
    }

    Ports ports_;
    pid_t pid_ = -1;
    int exit_code_ = -1;
};

// One request through the gateway on a fresh connection; the reply or nullopt (no answer in
// `limit`).
std::optional<testing::Reply> post(uint16_t port, const std::string& body,
                                   milliseconds limit = milliseconds(15000)) {
    testing::RawClient client(port);
    if (!client.connected()) return std::nullopt;
    client.send(testing::raw_post("/v1/completions", body));
    return client.read_reply(false, limit);
}

// Client threads that keep the gateway busy and record how every request ended.
class SteadyLoad {
public:
    SteadyLoad(uint16_t port, int plain_threads, int stream_threads) {
        for (int i = 0; i < plain_threads; ++i) {
            threads_.emplace_back([this, port, i] { plain_loop(port, i); });
        }
        for (int i = 0; i < stream_threads; ++i) {
            threads_.emplace_back([this, port, i] { stream_loop(port, i); });
        }
    }
    ~SteadyLoad() { stop(); }

    void stop() {
        running_ = false;
        for (std::thread& t : threads_) {
            if (t.joinable()) t.join();
        }
    }

    int plain_ok() const { return plain_ok_; }
    int streams_done() const { return streams_done_; }
    int streams_with_error_event() const { return streams_error_event_; }
    std::vector<std::string> failures() const {
        std::lock_guard lock(mu_);
        return failures_;
    }
    milliseconds slowest_plain() const { return milliseconds(slowest_ms_.load()); }

private:
    void fail(std::string what) {
        std::lock_guard lock(mu_);
        failures_.push_back(std::move(what));
    }

    void plain_loop(uint16_t port, int id) {
        for (int n = 0; running_; ++n) {
            const std::string body = R"({"prompt":"plain )" + std::to_string(id) + " " +
                                     std::to_string(n) + R"(","max_tokens":12})";
            const Clock::time_point start = Clock::now();
            const auto reply = post(port, body);
            const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
            int64_t prev = slowest_ms_.load();
            while (took.count() > prev && !slowest_ms_.compare_exchange_weak(prev, took.count())) {
            }
            if (!reply) {
                fail("plain request: no complete answer");
            } else if (reply->status != 200) {
                fail("plain request: status " + std::to_string(reply->status) + " " + reply->body);
            } else {
                ++plain_ok_;
            }
        }
    }

    void stream_loop(uint16_t port, int id) {
        for (int n = 0; running_; ++n) {
            const std::string body = R"({"prompt":"stream )" + std::to_string(id) + " " +
                                     std::to_string(n) + R"(","max_tokens":400,"stream":true})";
            const auto reply = post(port, body);
            if (!reply) {
                fail("stream: hung or cut without an error event");
                continue;
            }
            if (reply->status != 200) {
                // Refused before the stream started: a clean error answer, which is allowed.
                if (reply->status < 500) fail("stream: status " + std::to_string(reply->status));
                continue;
            }
            ++streams_done_;
            if (reply->body.find("data: [DONE]") != std::string::npos) continue;
            if (reply->body.find("\"error\"") != std::string::npos) {
                ++streams_error_event_;
                continue;
            }
            fail("stream ended without [DONE] or an error event: " + reply->body.substr(0, 200));
        }
    }

    std::atomic<bool> running_{true};
    std::atomic<int> plain_ok_{0}, streams_done_{0}, streams_error_event_{0};
    std::atomic<int64_t> slowest_ms_{0};
    mutable std::mutex mu_;
    std::vector<std::string> failures_;
    std::vector<std::thread> threads_;
};

// The value of a Prometheus sample whose line starts with `prefix` (name and labels), or -1.
double metric(uint16_t port, const std::string& prefix) {
    const st::HttpReply r = st::http_get(port, "/metrics");
    size_t pos = 0;
    while ((pos = r.body.find(prefix, pos)) != std::string::npos) {
        if (pos == 0 || r.body[pos - 1] == '\n') {
            const size_t space = r.body.find(' ', pos + prefix.size());
            if (space != std::string::npos) return std::stod(r.body.substr(space + 1));
        }
        pos += prefix.size();
    }
    return -1.0;
}

class ClusterChaosTest : public ::testing::Test {
protected:
    void SetUp() override {
        const uint16_t base = st::find_free_ports(kReplicas + 2);
        ports_ = {.gateway = base,
                  .status = static_cast<uint16_t>(base + 1),
                  .first_replica = static_cast<uint16_t>(base + 2)};
        cluster_ = std::make_unique<ClusterProcess>(dir_.path(), ports_);
        ASSERT_TRUE(st::wait_until([&] { return cluster_->all_ready(); }, milliseconds(60000)))
            << "cluster not ready; log:\n"
            << st::read_text_file(dir_.path() + "/cluster.log");
    }

    // SIGTERM: drain, exit 0, no child process left.
    void expect_clean_stop() {
        std::vector<pid_t> children;
        const json s = cluster_->status();
        for (const json& r : s["replicas"]) children.push_back(r.value("pid", 0));
        children.push_back(s["gateway"].value("pid", 0));
        ASSERT_EQ(::kill(cluster_->pid(), SIGTERM), 0);
        ASSERT_TRUE(cluster_->wait_exit(seconds(30)));
        EXPECT_EQ(cluster_->exit_code(), 0);
        for (const pid_t p : children) {
            if (p > 0) {
                EXPECT_FALSE(st::pid_alive(p)) << "child " << p << " outlived the cluster";
            }
        }
    }

    std::string upstream_label(int replica) const {
        return "{upstream=\"127.0.0.1:" + std::to_string(ports_.first_replica + replica) + "\"}";
    }

    st::TempDir dir_;
    Ports ports_{};
    std::unique_ptr<ClusterProcess> cluster_;
};

TEST_F(ClusterChaosTest, KillNineLosesNoPlainRequestAndTheReplicaComesBack) {
    // Two plain loops and six long streams: least-connections spreads the eight requests over
    // the three replicas, so a replica running three of them has at least one stream in flight
    // (two plain requests at most). That one is the victim.
    SteadyLoad load(ports_.gateway, 2, 6);
    int victim = -1;
    ASSERT_TRUE(st::wait_until(
        [&] {
            for (int i = 0; i < kReplicas; ++i) {
                const auto port = static_cast<uint16_t>(ports_.first_replica + i);
                if (metric(port, "glmserve_requests_running") >= 3) {
                    victim = i;
                    return true;
                }
            }
            return false;
        },
        milliseconds(15000)))
        << "no replica ever ran three requests";
    const pid_t old_pid = cluster_->replica(victim).value("pid", 0);
    ASSERT_GT(old_pid, 0);
    ASSERT_EQ(::kill(old_pid, SIGKILL), 0);
    std::this_thread::sleep_for(milliseconds(2500));

    // The supervisor restarts it: a new pid, ready, one restart, the exit cause recorded.
    ASSERT_TRUE(st::wait_until(
        [&] {
            const json r = cluster_->replica(victim);
            return r.value("state", "") == "ready" && r.value("pid", 0) != old_pid &&
                   r.value("restarts", 0) == 1;
        },
        milliseconds(20000)))
        << cluster_->status().dump();
    EXPECT_NE(cluster_->replica(victim).value("last_exit", "").find("SIGKILL"), std::string::npos)
        << cluster_->replica(victim).dump();

    // And the gateway sends it traffic again.
    const std::string requests =
        "glmserve_gateway_upstream_requests_total" + upstream_label(victim);
    const double before = metric(ports_.gateway, requests);
    ASSERT_TRUE(st::wait_until([&] { return metric(ports_.gateway, requests) > before + 2; },
                               milliseconds(15000)))
        << "replica " << victim << " gets no requests after its restart";
    load.stop();

    EXPECT_TRUE(load.failures().empty())
        << load.failures().size() << " failures, first: " << load.failures().front();
    EXPECT_GT(load.plain_ok(), 20);
    EXPECT_GT(load.streams_done(), 2);
    EXPECT_GE(load.streams_with_error_event(), 1) << "no stream was cut by the kill";
    RecordProperty("plain_ok", load.plain_ok());
    RecordProperty("streams_with_error_event", load.streams_with_error_event());
    expect_clean_stop();
}

TEST_F(ClusterChaosTest, StoppedReplicaIsMarkedDownAndNoRequestHangs) {
    SteadyLoad load(ports_.gateway, 3, 0);
    std::this_thread::sleep_for(milliseconds(1000));
    const pid_t frozen = cluster_->replica(0).value("pid", 0);
    ASSERT_GT(frozen, 0);
    ASSERT_EQ(::kill(frozen, SIGSTOP), 0);
    const Clock::time_point stopped_at = Clock::now();

    // Health checks every 250 ms, two failures with a 200 ms timeout: down within about a
    // second; allow three on a loaded machine.
    const std::string healthy = "glmserve_gateway_upstream_healthy" + upstream_label(0);
    ASSERT_TRUE(
        st::wait_until([&] { return metric(ports_.gateway, healthy) == 0.0; }, milliseconds(3000)))
        << "the gateway still routes to a stopped replica";
    const auto marked_down =
        std::chrono::duration_cast<milliseconds>(Clock::now() - stopped_at).count();
    RecordProperty("marked_down_ms", static_cast<int>(marked_down));

    // The supervisor's /health checks fail too: the stopped process is killed and replaced.
    ASSERT_TRUE(st::wait_until(
        [&] {
            const json r = cluster_->replica(0);
            return r.value("state", "") == "ready" && r.value("pid", 0) != frozen;
        },
        milliseconds(20000)))
        << cluster_->status().dump();
    EXPECT_FALSE(st::pid_alive(frozen));
    load.stop();

    EXPECT_TRUE(load.failures().empty())
        << load.failures().size() << " failures, first: " << load.failures().front();
    // A request that went to the stopped replica waited for the first-byte timeout, then was
    // retried; none waited longer than that plus a generous margin for the retry.
    EXPECT_LT(load.slowest_plain(), kFirstByteTimeout + milliseconds(4000));
    RecordProperty("slowest_plain_ms", static_cast<int>(load.slowest_plain().count()));
    expect_clean_stop();
}

// SIGHUP: a rolling restart under load replaces every replica, one at a time, and not one
// request fails (each replica drains what it runs; the gateway sends new work elsewhere).
TEST_F(ClusterChaosTest, RollingRestartUnderLoadFailsNothing) {
    std::vector<pid_t> old_pids;
    for (int i = 0; i < kReplicas; ++i) old_pids.push_back(cluster_->replica(i).value("pid", 0));
    SteadyLoad load(ports_.gateway, 3, 2);
    std::this_thread::sleep_for(milliseconds(1000));
    ASSERT_EQ(::kill(cluster_->pid(), SIGHUP), 0);
    ASSERT_TRUE(st::wait_until(
        [&] {
            const json s = cluster_->status();
            if (!s.is_object() || s.value("rolling_restart", true)) return false;
            for (int i = 0; i < kReplicas; ++i) {
                const json r = s["replicas"][static_cast<size_t>(i)];
                if (r.value("state", "") != "ready" || r.value("pid", 0) == old_pids[i]) {
                    return false;
                }
            }
            return true;
        },
        milliseconds(60000)))
        << cluster_->status().dump();
    std::this_thread::sleep_for(milliseconds(500));
    load.stop();
    EXPECT_TRUE(load.failures().empty())
        << load.failures().size() << " failures, first: " << load.failures().front();
    EXPECT_EQ(load.streams_with_error_event(), 0) << "a drained replica cut a stream";
    EXPECT_GT(load.plain_ok(), 20);
    expect_clean_stop();
}

// A slow replica: frozen 80 ms out of every 100 (SIGSTOP/SIGCONT), so each request on it
// takes several times longer. Least-connections must send it a small share of the traffic,
// and nothing may fail.
TEST_F(ClusterChaosTest, SlowReplicaGetsLessTraffic) {
    const pid_t slow = cluster_->replica(2).value("pid", 0);
    ASSERT_GT(slow, 0);
    const auto requests = [&](int i) {
        return metric(ports_.gateway,
                      "glmserve_gateway_upstream_requests_total" + upstream_label(i));
    };
    double before[kReplicas];
    for (int i = 0; i < kReplicas; ++i) before[i] = std::max(0.0, requests(i));

    std::atomic<bool> slowing{true};
    std::thread throttle([&] {
        while (slowing) {
            ::kill(slow, SIGSTOP);
            std::this_thread::sleep_for(milliseconds(80));
            ::kill(slow, SIGCONT);
            std::this_thread::sleep_for(milliseconds(20));
        }
    });
    SteadyLoad load(ports_.gateway, 4, 0);
    std::this_thread::sleep_for(milliseconds(4000));
    load.stop();
    slowing = false;
    throttle.join();
    ::kill(slow, SIGCONT);

    double served[kReplicas], total = 0;
    for (int i = 0; i < kReplicas; ++i) {
        served[i] = requests(i) - before[i];
        total += served[i];
    }
    ASSERT_GT(total, 30);
    const double slow_share = served[2] / total;
    RecordProperty("slow_share_percent", static_cast<int>(100 * slow_share));
    EXPECT_LT(slow_share, 0.2) << "requests per replica: " << served[0] << ", " << served[1] << ", "
                               << served[2] << " (replica 2 is the slow one)";
    EXPECT_TRUE(load.failures().empty())
        << load.failures().size() << " failures, first: " << load.failures().front();
    expect_clean_stop();
}

}  // namespace
}  // namespace glmserve
