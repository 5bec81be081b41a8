// The supervisor's health probes against a child serving https (cluster.yaml probe_tls): with
// the probe's TLS context a 200 passes; a plain-http probe, or one that does not trust the
// child's certificate, fails with the reason, within the probe timeout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http/server.h"
#include "http/tls_context.h"
#include "supervisor/health_probe.h"
#include "support/test_certs.h"

namespace glmserve::supervisor {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

TEST(HealthProbeTls, ProbesSpeakHttpsWhenGivenAContext) {
    const glmserve::testing::ScopedTestPki scoped;
    const glmserve::testing::TestPki& pki = scoped.pki();
    http::ServerConfig config;
    config.tls = {.cert_file = pki.server.cert, .key_file = pki.server.key};
    auto server = http::Server::start(std::move(config),
                                      [](http::Request, std::shared_ptr<http::ResponseWriter> w) {
                                          w->send({.status = 200, .body = "{}"});
                                      });
    ASSERT_TRUE(server.ok()) << server.status().to_string();
    const uint16_t port = (*server)->port();

    auto trusted = http::TlsContext::for_client({.ca_file = pki.ca_cert});
    ASSERT_TRUE(trusted.ok());
    ProbeResult ok =
        probe_blocking({.host = "127.0.0.1", .port = port, .path = "/health", .tls = *trusted},
                       milliseconds(2000));
    EXPECT_TRUE(ok.passed) << ok.error;

    ProbeResult plain =
        probe_blocking({.host = "127.0.0.1", .port = port, .path = "/health"}, milliseconds(2000));
    EXPECT_FALSE(plain.passed);

    auto stranger = http::TlsContext::for_client({.ca_file = pki.other_ca_cert});
    ASSERT_TRUE(stranger.ok());
    ProbeResult untrusted =
        probe_blocking({.host = "127.0.0.1", .port = port, .path = "/health", .tls = *stranger},
                       milliseconds(2000));
    EXPECT_FALSE(untrusted.passed);
    EXPECT_THAT(untrusted.error, HasSubstr("certificate verify failed"));
}

}  // namespace
}  // namespace glmserve::supervisor
