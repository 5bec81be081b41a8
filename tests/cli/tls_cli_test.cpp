// TLS end to end with the real binary, as an operator deploys it: `glmserve serve` with
// --tls-cert/--tls-key/--tls-client-ca (a replica that only talks to holders of a client
// certificate) behind `glmserve gateway -c gateway.yaml` with an https listener and
// upstream_tls carrying the gateway's client certificate. A completion from the demo model goes
// through both TLS hops; the replica refuses a client without a certificate; SIGHUP after
// replacing the certificate files makes new connections use the new certificate (the replica
// reloads its own on SIGHUP too); SIGTERM exits both processes with 0.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http/client.h"
#include "http/tls_context.h"
#include "supervisor/process_test_util.h"
#include "support/http_fetch.h"
#include "support/subprocess.h"
#include "support/test_certs.h"

namespace glmserve {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using ::testing::HasSubstr;
namespace st = supervisor::testing;

// A glmserve process with its output in `log`; SIGTERMed (then SIGKILLed) when destroyed.
class Child {
public:
    Child(std::vector<std::string> args, const std::string& log) : log_(log) {
        args.insert(args.begin(), GLMSERVE_BINARY);
        pid_ = st::spawn_logged(args, log);
        EXPECT_GT(pid_, 0);
    }
    ~Child() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        if (stop_code(milliseconds(15000)) == -2) {
            ::kill(pid_, SIGKILL);
            stop_code(milliseconds(5000));
        }
    }

    void signal(int sig) const { ::kill(pid_, sig); }
    // Waits for the exit: its code, -1 after a signal, -2 when `limit` passed first.
    int stop_code(milliseconds limit) {
        int code = -2;
        st::wait_until(
            [&] {
                int status = 0;
                if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
                code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                pid_ = 0;
                return true;
            },
            limit);
        return code;
    }
    std::string log() const { return st::read_text_file(log_); }

private:
    pid_t pid_ = 0;
    std::string log_;
};

using Reply = testing::FetchReply;

Reply https_request(uint16_t port, const std::shared_ptr<http::TlsContext>& tls, std::string method,
                    std::string target, std::string body = "") {
    return testing::fetch("https://127.0.0.1:" + std::to_string(port),
                          {.method = std::move(method),
                           .target = std::move(target),
                           .headers = {{"Content-Type", "application/json"}},
                           .body = std::move(body)},
                          tls);
}

std::shared_ptr<http::TlsContext> trusting(const http::TlsClientOptions& options) {
    auto tls = http::TlsContext::for_client(options);
    GS_CHECK(tls.ok());
    return std::move(tls).value();
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

TEST(TlsCli, GatewayAndReplicaSpeakMutualTlsAndRotateOnSighup) {
    st::TempDir dir;
    const testing::TestPki pki = testing::make_test_pki(dir.path() + "/pki");
    const uint16_t base = st::find_free_ports(2);
    const uint16_t replica_port = base, gateway_port = base + 1;

    Child replica({"serve", "--port", std::to_string(replica_port), "-t", "1", "--tls-cert",
                   pki.server.cert, "--tls-key", pki.server.key, "--tls-client-ca", pki.ca_cert},
                  dir.path() + "/replica.log");

    // The listener's certificate files are copies, so the test can replace them and SIGHUP.
    const std::string cert = dir.path() + "/gateway.crt", key = dir.path() + "/gateway.key";
    std::filesystem::copy_file(pki.server.cert, cert);
    std::filesystem::copy_file(pki.server.key, key);
    const std::string config = dir.path() + "/gateway.yaml";
    write_file(
        config,
        "listen: 127.0.0.1:" + std::to_string(gateway_port) +
            "\nupstreams: [{name: r0, url: 'https://127.0.0.1:" + std::to_string(replica_port) +
            "'}]\n"
            "health: {interval: 200ms, timeout: 150ms, rise: 1}\n"
            "tls: {cert: " +
            cert + ", key: " + key +
            "}\n"
            "upstream_tls: {ca: " +
            pki.ca_cert + ", cert: " + pki.client.cert + ", key: " + pki.client.key + "}\n");
    Child gateway({"gateway", "-c", config}, dir.path() + "/gateway.log");

    const auto client = trusting({.ca_file = pki.ca_cert});
    const bool ready = st::wait_until(
        [&] { return https_request(gateway_port, client, "GET", "/ready").http_status == 200; },
        milliseconds(60000));
    ASSERT_TRUE(ready) << "gateway log:\n" << gateway.log() << "\nreplica log:\n" << replica.log();

    const std::string completion =
        json{{"prompt", "hello"}, {"max_tokens", 4}, {"temperature", 0}}.dump();
    Reply answer = https_request(gateway_port, client, "POST", "/v1/completions", completion);
    ASSERT_TRUE(answer.status.ok()) << answer.status.to_string();
    ASSERT_EQ(answer.http_status, 200) << answer.body;
    EXPECT_EQ(json::parse(answer.body)["usage"]["completion_tokens"], 4);

    // The load generator measures an https endpoint that a private CA signed.
    const std::string report = dir.path() + "/bench.json";
    const Reply models = https_request(gateway_port, client, "GET", "/v1/models");
    ASSERT_EQ(models.http_status, 200) << models.body;
    const std::string model = json::parse(models.body)["data"][0]["id"];
    const testing::CommandResult bench = testing::run_command(
        std::string(GLMSERVE_BINARY) + " bench serve --url https://127.0.0.1:" +
        std::to_string(gateway_port) + " --ca " + pki.ca_cert + " --model " + model +
        " -N 4 -c 2 --prompt-tokens 8 --output-tokens 4 --json " + report);
    ASSERT_EQ(bench.exit_code, 0) << bench.output;
    EXPECT_EQ(json::parse(st::read_text_file(report)).at("outcomes").at("ok"), 4) << bench.output;

    // The replica itself admits only holders of a certificate from its client CA.
    Reply anonymous = https_request(replica_port, client, "GET", "/health");
    EXPECT_FALSE(anonymous.status.ok());
    Reply holder = https_request(
        replica_port,
        trusting(
            {.ca_file = pki.ca_cert, .cert_file = pki.client.cert, .key_file = pki.client.key}),
        "GET", "/health");
    EXPECT_EQ(holder.http_status, 200) << holder.status.to_string();

    // A replica re-reads its certificate on SIGHUP (and keeps serving).
    replica.signal(SIGHUP);
    EXPECT_TRUE(st::wait_until(
        [&] { return replica.log().find("TLS certificate reloaded") != std::string::npos; },
        milliseconds(5000)))
        << replica.log();
    EXPECT_EQ(
        https_request(gateway_port, client, "POST", "/v1/completions", completion).http_status,
        200);

    // Rotation: new files in place, SIGHUP, and new connections see the new certificate.
    std::filesystem::copy_file(pki.other_server.cert, cert,
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(pki.other_server.key, key,
                               std::filesystem::copy_options::overwrite_existing);
    gateway.signal(SIGHUP);
    const auto rotated_client = trusting({.ca_file = pki.other_ca_cert});
    EXPECT_TRUE(st::wait_until(
        [&] {
            return https_request(gateway_port, rotated_client, "GET", "/health").http_status == 200;
        },
        milliseconds(10000)))
        << gateway.log();
    EXPECT_FALSE(https_request(gateway_port, client, "GET", "/health").status.ok());

    gateway.signal(SIGTERM);
    EXPECT_EQ(gateway.stop_code(milliseconds(15000)), 0) << gateway.log();
    replica.signal(SIGTERM);
    EXPECT_EQ(replica.stop_code(milliseconds(15000)), 0) << replica.log();
    EXPECT_THAT(gateway.log(), HasSubstr("listening on https://"));
}

}  // namespace
}  // namespace glmserve
