// TLS on http::Server and http::Connection: a listener with a certificate, a client that
// verifies it (CA file, server name, system store), mutual TLS with the right, a foreign and no
// client certificate, a plain-HTTP or silent client on a TLS port (the server stays healthy),
// certificate reload, and TlsContext's configuration errors.
// Synchronisation: each request runs the client's io_context on the test thread until it is
// done; server counters bumped on an io thread are polled with a deadline.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "http/client.h"
#include "http/server.h"
#include "http/tls_context.h"
#include "support/raw_http_client.h"
#include "support/test_certs.h"

namespace glmserve::http {
namespace {

using glmserve::testing::RawClient;
using glmserve::testing::TestPki;
using std::chrono::milliseconds;
using ::testing::HasSubstr;

struct Outcome {
    Status status;
    int http_status = 0;
    std::string body;
};

// Answers GET /hello with "hello" and GET /stream with three chunks.
void hello_handler(Request request, std::shared_ptr<ResponseWriter> writer) {
    if (request.path() == "/stream") {
        writer->start_stream(200, "text/plain", {});
        for (int i = 0; i < 3; ++i) writer->write("chunk" + std::to_string(i) + ";");
        writer->finish();
        return;
    }
    writer->send({.status = 200, .content_type = "text/plain", .body = "hello"});
}

// True once pred() holds, polling for up to 5 s.
template <typename Pred>
bool eventually(Pred pred) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!pred()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(milliseconds(5));
    }
    return true;
}

class TlsTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        scoped_ = new glmserve::testing::ScopedTestPki();
        dir_ = &scoped_->dir();
        pki_ = &scoped_->pki();
    }
    static void TearDownTestSuite() { delete scoped_; }

    std::unique_ptr<Server> start_server(TlsServerOptions tls, ServerLimits limits = {}) {
        ServerConfig config;
        config.tls = std::move(tls);
        config.limits = limits;
        auto server = Server::start(std::move(config), hello_handler);
        EXPECT_TRUE(server.ok()) << server.status().to_string();
        if (!server.ok()) return nullptr;
        return std::move(server).value();
    }

    TlsServerOptions server_tls(std::string client_ca = "") const {
        return {.cert_file = pki_->server.cert,
                .key_file = pki_->server.key,
                .client_ca_file = std::move(client_ca)};
    }

    std::shared_ptr<TlsContext> client_tls(TlsClientOptions options) {
        auto tls = TlsContext::for_client(options);
        EXPECT_TRUE(tls.ok()) << tls.status().to_string();
        return tls.ok() ? *tls : nullptr;
    }

    std::shared_ptr<Connection> connect(uint16_t port, std::shared_ptr<TlsContext> tls,
                                        std::string scheme = "https") {
        auto url = parse_url(scheme + "://127.0.0.1:" + std::to_string(port));
        EXPECT_TRUE(url.ok());
        ClientTimeouts timeouts;
        timeouts.connect = milliseconds(3000);
        timeouts.first_byte = milliseconds(3000);
        return Connection::create(io_, *url, timeouts, {}, std::move(tls));
    }

    Outcome get(Connection& conn, std::string target = "/hello") {
        Outcome out;
        ClientCallbacks cb;
        cb.on_head = [&out](const ResponseHead& head) { out.http_status = head.status; };
        cb.on_body = [&out](std::string_view chunk) { out.body.append(chunk); };
        cb.on_done = [&out](const Status& s) { out.status = s; };
        conn.async_request({.method = "GET", .target = std::move(target)}, std::move(cb));
        io_.restart();
        io_.run();
        return out;
    }

    static glmserve::testing::ScopedTestPki* scoped_;
    static const std::string* dir_;
    static const TestPki* pki_;
    boost::asio::io_context io_;
};

glmserve::testing::ScopedTestPki* TlsTest::scoped_ = nullptr;
const std::string* TlsTest::dir_ = nullptr;
const TestPki* TlsTest::pki_ = nullptr;

TEST_F(TlsTest, VerifiedClientGetsAnswersAndKeepsTheConnection) {
    auto server = start_server(server_tls());
    ASSERT_TRUE(server);
    auto conn = connect(server->port(), client_tls({.ca_file = pki_->ca_cert}));
    for (int i = 0; i < 3; ++i) {
        Outcome out = get(*conn);
        ASSERT_TRUE(out.status.ok()) << out.status.to_string();
        EXPECT_EQ(out.http_status, 200);
        EXPECT_EQ(out.body, "hello");
    }
    Outcome streamed = get(*conn, "/stream");
    ASSERT_TRUE(streamed.status.ok()) << streamed.status.to_string();
    EXPECT_EQ(streamed.body, "chunk0;chunk1;chunk2;");
    EXPECT_EQ(conn->n_connects(), 1u);  // keep-alive works over TLS
    EXPECT_EQ(server->counters().tls_handshake_failures.load(), 0u);
}

TEST_F(TlsTest, ServerNameIsCheckedAgainstTheCertificate) {
    auto server = start_server(server_tls());
    ASSERT_TRUE(server);
    // The certificate names 127.0.0.1 and localhost.
    auto by_name =
        connect(server->port(), client_tls({.ca_file = pki_->ca_cert, .server_name = "localhost"}));
    Outcome ok = get(*by_name);
    EXPECT_TRUE(ok.status.ok()) << ok.status.to_string();

    auto wrong = connect(server->port(),
                         client_tls({.ca_file = pki_->ca_cert, .server_name = "api.example.com"}));
    Outcome refused = get(*wrong);
    EXPECT_EQ(refused.status.code(), StatusCode::Unavailable);
    EXPECT_THAT(refused.status.message(), HasSubstr("TLS handshake"));
    EXPECT_EQ(refused.http_status, 0);
}

TEST_F(TlsTest, UntrustedCertificateIsRefusedUnlessVerificationIsOff) {
    auto server = start_server(server_tls());
    ASSERT_TRUE(server);
    auto wrong_ca = connect(server->port(), client_tls({.ca_file = pki_->other_ca_cert}));
    Outcome refused = get(*wrong_ca);
    EXPECT_EQ(refused.status.code(), StatusCode::Unavailable);
    EXPECT_THAT(refused.status.message(), HasSubstr("certificate verify failed"));

    // No context given: the system trust store, which does not know the test CA.
    auto system_store = connect(server->port(), nullptr);
    EXPECT_EQ(get(*system_store).status.code(), StatusCode::Unavailable);

    auto unverified = connect(server->port(), client_tls({.verify = false}));
    Outcome out = get(*unverified);
    EXPECT_TRUE(out.status.ok()) << out.status.to_string();
    EXPECT_EQ(out.body, "hello");
}

TEST_F(TlsTest, MutualTlsAdmitsOnlyClientsTheCaSigned) {
    auto server = start_server(server_tls(pki_->ca_cert));
    ASSERT_TRUE(server);
    auto trusted = connect(server->port(), client_tls({.ca_file = pki_->ca_cert,
                                                       .cert_file = pki_->client.cert,
                                                       .key_file = pki_->client.key}));
    Outcome out = get(*trusted);
    ASSERT_TRUE(out.status.ok()) << out.status.to_string();
    EXPECT_EQ(out.body, "hello");

    auto anonymous = connect(server->port(), client_tls({.ca_file = pki_->ca_cert}));
    Outcome no_cert = get(*anonymous);
    EXPECT_FALSE(no_cert.status.ok());
    EXPECT_EQ(no_cert.http_status, 0);

    auto intruder = connect(server->port(), client_tls({.ca_file = pki_->ca_cert,
                                                        .cert_file = pki_->other_client.cert,
                                                        .key_file = pki_->other_client.key}));
    Outcome foreign = get(*intruder);
    EXPECT_FALSE(foreign.status.ok());
    EXPECT_EQ(foreign.http_status, 0);

    EXPECT_TRUE(eventually([&] { return server->counters().tls_handshake_failures.load() >= 2; }));
    EXPECT_EQ(server->counters().requests.load(), 1u);
    // The refusals left the server healthy.
    EXPECT_TRUE(get(*trusted).status.ok());
}

TEST_F(TlsTest, PlainHttpClientOnATlsPortIsClosedAndTheServerCarriesOn) {
    auto server = start_server(server_tls());
    ASSERT_TRUE(server);
    RawClient raw(server->port());
    ASSERT_TRUE(raw.connected());
    raw.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_FALSE(raw.read_reply().has_value());
    EXPECT_TRUE(eventually([&] { return server->counters().tls_handshake_failures.load() == 1; }));

    auto plain = connect(server->port(), nullptr, "http");
    EXPECT_FALSE(get(*plain).status.ok());

    auto conn = connect(server->port(), client_tls({.ca_file = pki_->ca_cert}));
    EXPECT_TRUE(get(*conn).status.ok());
}

TEST_F(TlsTest, HttpsClientOnAPlainPortFailsTheHandshake) {
    auto server = start_server({});
    ASSERT_TRUE(server);
    auto conn = connect(server->port(), client_tls({.ca_file = pki_->ca_cert}));
    Outcome out = get(*conn);
    EXPECT_EQ(out.status.code(), StatusCode::Unavailable);
    EXPECT_THAT(out.status.message(), HasSubstr("TLS handshake"));
}

TEST_F(TlsTest, SilentClientIsDroppedAfterTheHeaderTimeout) {
    ServerLimits limits;
    limits.header_timeout = milliseconds(200);
    auto server = start_server(server_tls(), limits);
    ASSERT_TRUE(server);
    RawClient silent(server->port());
    ASSERT_TRUE(silent.connected());
    EXPECT_TRUE(silent.wait_closed());  // within kClientWait (5 s), not never
    EXPECT_TRUE(eventually([&] { return server->counters().read_timeouts.load() == 1; }));
    EXPECT_TRUE(eventually([&] { return server->n_connections() == 0; }));
}

TEST_F(TlsTest, ReloadSwapsTheCertificateForNewConnections) {
    auto server = start_server(server_tls());
    ASSERT_TRUE(server);
    auto old_trust = connect(server->port(), client_tls({.ca_file = pki_->ca_cert}));
    ASSERT_TRUE(get(*old_trust).status.ok());

    Status bad = server->reload_tls({.cert_file = *dir_ + "/missing.crt", .key_file = "x.key"});
    EXPECT_EQ(bad.code(), StatusCode::InvalidArgument);
    EXPECT_THAT(bad.message(), HasSubstr("missing.crt"));
    auto still_old = connect(server->port(), client_tls({.ca_file = pki_->ca_cert}));
    EXPECT_TRUE(get(*still_old).status.ok());

    ASSERT_TRUE(
        server
            ->reload_tls({.cert_file = pki_->other_server.cert, .key_file = pki_->other_server.key})
            .ok());
    auto new_trust = connect(server->port(), client_tls({.ca_file = pki_->other_ca_cert}));
    EXPECT_TRUE(get(*new_trust).status.ok());
    auto stale_trust = connect(server->port(), client_tls({.ca_file = pki_->ca_cert}));
    EXPECT_EQ(get(*stale_trust).status.code(), StatusCode::Unavailable);
    // The connection made before the reload goes on with the certificate it was made with.
    EXPECT_TRUE(get(*old_trust).status.ok());
    EXPECT_EQ(old_trust->n_connects(), 1u);
}

TEST_F(TlsTest, ReloadOnAPlainServerIsRefused) {
    auto server = start_server({});
    ASSERT_TRUE(server);
    Status s = server->reload_tls(server_tls());
    EXPECT_EQ(s.code(), StatusCode::FailedPrecondition);
}

TEST_F(TlsTest, ConfigurationErrorsNameTheFile) {
    auto missing = TlsContext::for_server({.cert_file = *dir_ + "/nope.crt", .key_file = "k"});
    ASSERT_FALSE(missing.ok());
    EXPECT_THAT(missing.status().message(), HasSubstr("nope.crt"));

    auto mismatched =
        TlsContext::for_server({.cert_file = pki_->server.cert, .key_file = pki_->client.key});
    ASSERT_FALSE(mismatched.ok());
    EXPECT_THAT(mismatched.status().message(), HasSubstr("client.key"));
    EXPECT_THAT(mismatched.status().message(), HasSubstr("mismatch"));

    auto half = TlsContext::for_server({.cert_file = pki_->server.cert});
    EXPECT_FALSE(half.ok());
    auto client_half = TlsContext::for_client({.cert_file = pki_->client.cert});
    ASSERT_FALSE(client_half.ok());
    EXPECT_THAT(client_half.status().message(), HasSubstr("needs its key"));

    std::string empty_ca = *dir_ + "/empty-ca.pem";
    std::ofstream(empty_ca) << "no certificates here\n";
    auto empty = TlsContext::for_client({.ca_file = empty_ca});
    ASSERT_FALSE(empty.ok());
    EXPECT_THAT(empty.status().message(), HasSubstr("empty-ca.pem"));

    ServerConfig config;
    config.tls = {.cert_file = pki_->server.cert, .key_file = *dir_ + "/absent.key"};
    auto server = Server::start(std::move(config), hello_handler);
    ASSERT_FALSE(server.ok());
    EXPECT_THAT(server.status().message(), HasSubstr("absent.key"));
}

}  // namespace
}  // namespace glmserve::http
