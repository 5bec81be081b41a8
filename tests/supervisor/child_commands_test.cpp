#include "supervisor/child_commands.h"

#include <gtest/gtest.h>

namespace glmserve::supervisor {
namespace {

using Argv = std::vector<std::string>;

ClusterConfig two_replicas() {
    ClusterConfig config;
    config.glmserve_path = "/bin/glmserve";
    config.replicas.count = 2;
    config.replicas.base_port = 9001;
    config.replicas.model = "m.gguf";
    config.gateway.listen_port = 9000;
    config.gateway.policy = "p2c";
    return config;
}

TEST(ChildCommands, DefaultReplicaArgvAddsArgsThenPerReplicaArgs) {
    ClusterConfig config = two_replicas();
    config.replicas.threads = 3;
    config.replicas.args = {"--max-queue", "8"};
    config.replicas.per_replica_args = {{}, {"--seed", "1"}};
    EXPECT_EQ(replica_argv(config, 0),
              (Argv{"/bin/glmserve", "serve", "-m", "m.gguf", "--host", "127.0.0.1", "--port",
                    "9001", "--threads", "3", "--max-queue", "8"}));
    EXPECT_EQ(replica_argv(config, 1),
              (Argv{"/bin/glmserve", "serve", "-m", "m.gguf", "--host", "127.0.0.1", "--port",
                    "9002", "--threads", "3", "--max-queue", "8", "--seed", "1"}));
}

TEST(ChildCommands, ThreadsAreLeftOutWhenZero) {
    const Argv argv = replica_argv(two_replicas(), 0);
    EXPECT_EQ(std::find(argv.begin(), argv.end(), "--threads"), argv.end());
}

TEST(ChildCommands, WithoutAModelServeUsesItsDemoModel) {
    ClusterConfig config = two_replicas();
    config.replicas.model.clear();
    EXPECT_EQ(replica_argv(config, 0),
              (Argv{"/bin/glmserve", "serve", "--host", "127.0.0.1", "--port", "9001"}));
}

TEST(ChildCommands, DefaultGatewayArgvListsEveryReplica) {
    ClusterConfig config = two_replicas();
    config.gateway.config_path = "gw.yaml";
    config.gateway.args = {"--verbose"};
    EXPECT_EQ(gateway_argv(config),
              (Argv{"/bin/glmserve", "gateway", "--listen", "127.0.0.1:9000", "--policy", "p2c",
                    "--upstream", "http://127.0.0.1:9001", "--upstream", "http://127.0.0.1:9002",
                    "-c", "gw.yaml", "--verbose"}));
}

TEST(ChildCommands, TemplatesSubstituteInsideElements) {
    ClusterConfig config = two_replicas();
    config.replicas.command = {"/usr/bin/fake", "--listen={host}:{port}", "--name=r{index}",
                               "{unknown}"};
    EXPECT_EQ(replica_argv(config, 1),
              (Argv{"/usr/bin/fake", "--listen=127.0.0.1:9002", "--name=r1", "{unknown}"}));
    config.gateway.command = {"{glmserve}", "gw", "{listen}"};
    EXPECT_EQ(gateway_argv(config),
              (Argv{"/bin/glmserve", "gw", "127.0.0.1:9000", "--upstream", "http://127.0.0.1:9001",
                    "--upstream", "http://127.0.0.1:9002"}));
}

TEST(ChildCommands, WildcardAndIpv6Hosts) {
    ClusterConfig config = two_replicas();
    config.replicas.host = "0.0.0.0";
    EXPECT_EQ(replica_url(config, 0), "http://127.0.0.1:9001");
    config.replicas.host = "::";
    EXPECT_EQ(replica_url(config, 1), "http://[::1]:9002");
    config.gateway.listen_host = "::1";
    EXPECT_EQ(gateway_argv(config)[3], "[::1]:9000");
}

TEST(ChildCommands, ReplicasServingHttpsAreHttpsUpstreams) {
    ClusterConfig config = two_replicas();
    config.replicas.probe_tls = http::TlsClientOptions{.ca_file = "ca.pem"};
    EXPECT_EQ(replica_url(config, 0), "https://127.0.0.1:9001");
}

TEST(ChildCommands, TemplateCheckNamesFieldAndPlaceholder) {
    const Status unknown = check_command_template("replicas.command", {"x", "{prot}"}, {"port"});
    EXPECT_NE(unknown.message().find("replicas.command"), std::string::npos);
    EXPECT_NE(unknown.message().find("{prot}"), std::string::npos);
    EXPECT_FALSE(check_command_template("f", {"x", "{port"}, {"port"}).ok());
    EXPECT_FALSE(check_command_template("f", {}, {"port"}).ok());
    EXPECT_TRUE(check_command_template("f", {"x", "a{port}b{port}"}, {"port"}).ok());
}

}  // namespace
}  // namespace glmserve::supervisor
