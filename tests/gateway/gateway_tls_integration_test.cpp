// The gateway with TLS on both sides, on loopback: an https listener (with and without client
// certificates), https upstreams that demand the gateway's client certificate, streams through
// both, health checks over https, and SIGHUP-style reloads that rotate the listener's
// certificate or are refused when a file does not load.
// The upstreams are plain http::Servers with TLS and a tiny OpenAI-shaped handler.
// Synchronisation: each request runs a client io_context on the test thread until it is done;
// health verdicts are polled with a deadline.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "gateway/gateway_server.h"
#include "http/client.h"
#include "http/server.h"
#include "http/tls_context.h"
#include "support/fake_openai_server.h"
#include "support/http_fetch.h"
#include "support/test_certs.h"

namespace glmserve::gateway {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using testing::FakeOpenAiServer;
using ::testing::HasSubstr;
using testing::TestPki;

using Reply = testing::FetchReply;

// POST /v1/completions to `url`; tls null: the client's default for the scheme.
Reply complete(const std::string& url, std::shared_ptr<http::TlsContext> tls, bool stream = false) {
    json body = {{"model", "m"}, {"prompt", "hi"}, {"max_tokens", 3}, {"stream", stream}};
    return testing::fetch(url,
                          {.method = "POST",
                           .target = "/v1/completions",
                           .headers = {{"Content-Type", "application/json"}},
                           .body = body.dump()},
                          std::move(tls));
}

// An https replica: /ready answers 200, /v1/completions answers "secure" as one JSON body or
// as three SSE events and [DONE].
class TlsReplica {
public:
    explicit TlsReplica(http::TlsServerOptions tls) {
        http::ServerConfig config;
        config.tls = std::move(tls);
        auto server = http::Server::start(
            std::move(config),
            [this](http::Request request, std::shared_ptr<http::ResponseWriter> w) {
                ++requests_;
                if (request.path() == "/ready") {
                    ++ready_checks_;
                    return w->send({.status = 200, .body = R"({"ready":true})"});
                }
                json body = json::parse(request.body, nullptr, false);
                if (body.is_object() && body.value("stream", false)) {
                    w->start_stream(200, "text/event-stream", {});
                    for (const char* piece : {"se", "cu", "re"}) {
                        json chunk = {{"choices", {{{"index", 0}, {"text", piece}}}}};
                        w->write("data: " + chunk.dump() + "\n\n");
                    }
                    w->write("data: [DONE]\n\n");
                    return w->finish();
                }
                json answer = {{"choices", {{{"index", 0}, {"text", "secure"}}}},
                               {"usage", {{"prompt_tokens", 1}, {"completion_tokens", 1}}}};
                w->send({.status = 200, .body = answer.dump()});
            });
        GS_CHECK(server.ok());
        server_ = std::move(server).value();
    }

    uint16_t port() const { return server_->port(); }
    std::string url() const { return "https://127.0.0.1:" + std::to_string(port()); }
    int requests() const { return requests_.load(); }
    int ready_checks() const { return ready_checks_.load(); }
    const http::ServerCounters& counters() const { return server_->counters(); }

private:
    std::atomic<int> requests_{0};
    std::atomic<int> ready_checks_{0};
    std::unique_ptr<http::Server> server_;
};

class GatewayTls : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        scoped_ = new glmserve::testing::ScopedTestPki();
        dir_ = &scoped_->dir();
        pki_ = &scoped_->pki();
    }
    static void TearDownTestSuite() { delete scoped_; }

    static GatewayConfig config_for(const std::string& upstream_url) {
        GatewayConfig c;
        c.host = "127.0.0.1";
        c.port = 0;
        c.io_threads = 1;
        c.upstream_threads = 1;
        c.policy = "round_robin";
        c.health.enabled = false;
        c.health.poll_load = false;
        c.timeouts = {.connect = milliseconds(1000),
                      .first_byte = milliseconds(3000),
                      .between_chunks = milliseconds(2000),
                      .total = milliseconds(8000)};
        auto url = http::parse_url(upstream_url);
        GS_CHECK(url.ok());
        c.upstreams.push_back({.name = "r", .url = *url, .weight = 1, .backup = false});
        return c;
    }

    std::unique_ptr<GatewayServer> start(GatewayConfig c) {
        auto gw = GatewayServer::start(std::move(c));
        EXPECT_TRUE(gw.ok()) << gw.status().to_string();
        if (!gw.ok()) return nullptr;
        return std::move(gw).value();
    }

    static std::shared_ptr<http::TlsContext> client_tls(const http::TlsClientOptions& options) {
        auto tls = http::TlsContext::for_client(options);
        GS_CHECK(tls.ok());
        return std::move(tls).value();
    }

    static std::string https_url(const GatewayServer& gw) {
        return "https://127.0.0.1:" + std::to_string(gw.port());
    }

    static http::TlsServerOptions listener(std::string client_ca = "") {
        return {.cert_file = pki_->server.cert,
                .key_file = pki_->server.key,
                .client_ca_file = std::move(client_ca)};
    }

    // The gateway's identity towards replicas that demand client certificates.
    static http::TlsClientOptions gateway_identity() {
        return {
            .ca_file = pki_->ca_cert, .cert_file = pki_->client.cert, .key_file = pki_->client.key};
    }

    static glmserve::testing::ScopedTestPki* scoped_;
    static const std::string* dir_;
    static const TestPki* pki_;
};

glmserve::testing::ScopedTestPki* GatewayTls::scoped_ = nullptr;
const std::string* GatewayTls::dir_ = nullptr;
const TestPki* GatewayTls::pki_ = nullptr;

TEST_F(GatewayTls, HttpsListenerServesVerifiedClientsAndRefusesPlainHttp) {
    auto fake = FakeOpenAiServer::start();
    GatewayConfig c = config_for(fake->url());
    c.tls = listener();
    auto gw = start(c);
    ASSERT_TRUE(gw);

    Reply ok = complete(https_url(*gw), client_tls({.ca_file = pki_->ca_cert}));
    ASSERT_TRUE(ok.status.ok()) << ok.status.to_string();
    EXPECT_EQ(ok.http_status, 200) << ok.body;
    EXPECT_THAT(ok.body, HasSubstr("tok0"));

    Reply plain = complete("http://127.0.0.1:" + std::to_string(gw->port()), nullptr);
    EXPECT_FALSE(plain.status.ok());
    EXPECT_EQ(fake->requests_seen(), 1);

    Reply untrusted = complete(https_url(*gw), client_tls({.ca_file = pki_->other_ca_cert}));
    EXPECT_EQ(untrusted.status.code(), StatusCode::Unavailable);
}

TEST_F(GatewayTls, MutualTlsListenerNeedsAClientCertificateFromItsCa) {
    auto fake = FakeOpenAiServer::start();
    GatewayConfig c = config_for(fake->url());
    c.tls = listener(pki_->ca_cert);
    auto gw = start(c);
    ASSERT_TRUE(gw);

    Reply anonymous = complete(https_url(*gw), client_tls({.ca_file = pki_->ca_cert}));
    EXPECT_FALSE(anonymous.status.ok());
    Reply intruder = complete(https_url(*gw), client_tls({.ca_file = pki_->ca_cert,
                                                          .cert_file = pki_->other_client.cert,
                                                          .key_file = pki_->other_client.key}));
    EXPECT_FALSE(intruder.status.ok());
    EXPECT_EQ(fake->requests_seen(), 0);

    Reply member = complete(https_url(*gw), client_tls(gateway_identity()));
    ASSERT_TRUE(member.status.ok()) << member.status.to_string();
    EXPECT_EQ(member.http_status, 200);
    EXPECT_EQ(fake->requests_seen(), 1);
}

TEST_F(GatewayTls, HttpsUpstreamWithMutualTlsCarriesBodiesAndStreams) {
    TlsReplica replica(listener(pki_->ca_cert));
    GatewayConfig c = config_for(replica.url());
    c.upstream_tls = gateway_identity();
    auto gw = start(c);
    ASSERT_TRUE(gw);
    const std::string gateway = "http://127.0.0.1:" + std::to_string(gw->port());

    Reply whole = complete(gateway, nullptr);
    ASSERT_TRUE(whole.status.ok()) << whole.status.to_string();
    EXPECT_EQ(whole.http_status, 200) << whole.body;
    EXPECT_THAT(whole.body, HasSubstr("secure"));

    Reply streamed = complete(gateway, nullptr, /*stream=*/true);
    ASSERT_TRUE(streamed.status.ok()) << streamed.status.to_string();
    EXPECT_EQ(streamed.http_status, 200);
    EXPECT_THAT(streamed.body, HasSubstr(R"("text":"se")"));
    EXPECT_THAT(streamed.body, HasSubstr("data: [DONE]"));
    EXPECT_EQ(replica.requests(), 2);
    EXPECT_EQ(replica.counters().tls_handshake_failures.load(), 0u);
}

TEST_F(GatewayTls, UpstreamThatRefusesTheGatewayIsAnErrorNotAHang) {
    TlsReplica replica(listener(pki_->ca_cert));
    // Trusts the replica but presents no client certificate.
    GatewayConfig no_identity = config_for(replica.url());
    no_identity.upstream_tls = {.ca_file = pki_->ca_cert};
    auto gw = start(no_identity);
    ASSERT_TRUE(gw);
    Reply refused = complete("http://127.0.0.1:" + std::to_string(gw->port()), nullptr);
    ASSERT_TRUE(refused.status.ok()) << refused.status.to_string();
    EXPECT_GE(refused.http_status, 500) << refused.body;
    EXPECT_EQ(replica.requests(), 0);

    // Does not trust the replica's CA.
    GatewayConfig wrong_ca = config_for(replica.url());
    wrong_ca.upstream_tls = {.ca_file = pki_->other_ca_cert,
                             .cert_file = pki_->client.cert,
                             .key_file = pki_->client.key};
    auto gw2 = start(wrong_ca);
    ASSERT_TRUE(gw2);
    Reply untrusted = complete("http://127.0.0.1:" + std::to_string(gw2->port()), nullptr);
    ASSERT_TRUE(untrusted.status.ok()) << untrusted.status.to_string();
    EXPECT_GE(untrusted.http_status, 500);
    EXPECT_EQ(replica.requests(), 0);
}

TEST_F(GatewayTls, HealthChecksSpeakTlsToo) {
    TlsReplica replica(listener(pki_->ca_cert));
    GatewayConfig c = config_for(replica.url());
    c.upstream_tls = gateway_identity();
    c.health.enabled = true;
    c.health.interval = milliseconds(50);
    c.health.timeout = milliseconds(50);
    auto gw = start(c);
    ASSERT_TRUE(gw);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (replica.ready_checks() < 3 && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(milliseconds(20));
    }
    EXPECT_GE(replica.ready_checks(), 3);
    Reply r = complete("http://127.0.0.1:" + std::to_string(gw->port()), nullptr);
    EXPECT_EQ(r.http_status, 200) << r.body;
}

TEST_F(GatewayTls, ReloadRotatesTheListenerCertificateOrRefusesABadOne) {
    auto fake = FakeOpenAiServer::start();
    GatewayConfig c = config_for(fake->url());
    c.tls = listener();
    auto gw = start(c);
    ASSERT_TRUE(gw);

    GatewayConfig broken = c;
    broken.tls.cert_file = *dir_ + "/not-there.crt";
    Status refused = gw->reload(broken);
    EXPECT_EQ(refused.code(), StatusCode::InvalidArgument);
    EXPECT_THAT(refused.message(), HasSubstr("not-there.crt"));
    EXPECT_EQ(complete(https_url(*gw), client_tls({.ca_file = pki_->ca_cert})).http_status, 200);

    GatewayConfig rotated = c;
    rotated.tls = {.cert_file = pki_->other_server.cert, .key_file = pki_->other_server.key};
    ASSERT_TRUE(gw->reload(rotated).ok());
    EXPECT_EQ(complete(https_url(*gw), client_tls({.ca_file = pki_->other_ca_cert})).http_status,
              200);
    EXPECT_FALSE(complete(https_url(*gw), client_tls({.ca_file = pki_->ca_cert})).status.ok());
}

TEST_F(GatewayTls, BadUpstreamTlsFilesStopTheStart) {
    GatewayConfig c = config_for("https://127.0.0.1:9");
    c.upstream_tls = {.ca_file = *dir_ + "/no-ca.pem"};
    auto gw = GatewayServer::start(c);
    ASSERT_FALSE(gw.ok());
    EXPECT_THAT(gw.status().message(), HasSubstr("no-ca.pem"));
    EXPECT_THAT(gw.status().message(), HasSubstr("upstream_tls"));

    GatewayConfig listener_bad = config_for("http://127.0.0.1:9");
    listener_bad.tls = {.cert_file = pki_->server.cert, .key_file = *dir_ + "/no.key"};
    auto gw2 = GatewayServer::start(listener_bad);
    ASSERT_FALSE(gw2.ok());
    EXPECT_THAT(gw2.status().message(), HasSubstr("no.key"));
}

}  // namespace
}  // namespace glmserve::gateway
