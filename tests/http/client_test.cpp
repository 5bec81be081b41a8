// Tests for http/client.h against the in-process FakeOpenAiServer: bodies whole and streamed,
// keep-alive reuse, error statuses, refused connections, every timeout, cut streams, limits,
// close(), and 100 concurrent connections on one io_context thread.
// Synchronisation: each test runs the client's io_context on the test thread until it has no
// work left (every request finished); nothing sleeps.
#include "http/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/sse_parser.h"
#include "support/fake_openai_server.h"

namespace glmserve::http {
namespace {

using glmserve::testing::FakeBehavior;
using glmserve::testing::FakeOpenAiServer;
using ::testing::HasSubstr;
using json = nlohmann::json;
using std::chrono::milliseconds;

struct Outcome {
    int n_done = 0;
    Status status;
    int http_status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    int n_body_calls = 0;
    bool callback_after_done = false;
};

ClientCallbacks record(Outcome& out) {
    ClientCallbacks cb;
    cb.on_head = [&out](const ResponseHead& h) {
        if (out.n_done) out.callback_after_done = true;
        out.http_status = h.status;
        out.headers = h.headers;
    };
    cb.on_body = [&out](std::string_view chunk) {
        if (out.n_done) out.callback_after_done = true;
        out.body.append(chunk);
        ++out.n_body_calls;
    };
    cb.on_done = [&out](const Status& s) {
        ++out.n_done;
        out.status = s;
    };
    return cb;
}

ClientRequest completion(json body, std::string target = "/v1/completions") {
    ClientRequest req;
    req.target = std::move(target);
    req.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer sk-test"}};
    req.body = body.dump();
    return req;
}

std::string header(const Outcome& out, std::string_view name) {
    for (const auto& [k, v] : out.headers) {
        if (k == name) return v;
    }
    return "";
}

std::vector<std::string> sse_data(const std::string& body, Status* status = nullptr) {
    SseParser parser;
    std::vector<std::string> data;
    Status s = parser.feed(body, [&](const SseEvent& e) { data.push_back(e.data); });
    if (status) *status = s;
    return data;
}

class ClientTest : public ::testing::Test {
protected:
    void SetUp() override { server_ = FakeOpenAiServer::start(); }

    std::shared_ptr<Connection> connect(ClientTimeouts timeouts = {}, ClientLimits limits = {}) {
        auto url = parse_url(server_->url());
        EXPECT_TRUE(url.ok());
        return Connection::create(io_, *url, timeouts, limits);
    }

    // Sends one request and runs the io_context until it (and everything else) is done.
    Outcome run_one(Connection& conn, ClientRequest req) {
        Outcome out;
        conn.async_request(std::move(req), record(out));
        run();
        EXPECT_EQ(out.n_done, 1);
        EXPECT_FALSE(out.callback_after_done);
        return out;
    }

    void run() {
        io_.restart();
        io_.run();
    }

    boost::asio::io_context io_;
    std::unique_ptr<FakeOpenAiServer> server_;
};

TEST_F(ClientTest, NonStreamedBody) {
    auto conn = connect();
    Outcome out = run_one(*conn, completion({{"prompt", "one two three"}, {"max_tokens", 3}}));
    ASSERT_TRUE(out.status.ok()) << out.status.to_string();
    EXPECT_EQ(out.http_status, 200);
    json body = json::parse(out.body);
    EXPECT_EQ(body["choices"][0]["text"], " tok0 tok1 tok2");
    EXPECT_EQ(body["usage"]["prompt_tokens"], 3);
    EXPECT_EQ(body["usage"]["completion_tokens"], 3);
    EXPECT_EQ(body["usage"]["total_tokens"], 6);
    EXPECT_EQ(server_->last_authorization(), "Bearer sk-test");
    EXPECT_THAT(server_->last_request_body(), HasSubstr("one two three"));
}

TEST_F(ClientTest, StreamedChunksArriveIncrementally) {
    server_->set_behavior({.inter_token = milliseconds(15), .n_tokens = 5});
    auto conn = connect();
    Outcome out = run_one(*conn, completion({{"prompt", "hi"},
                                             {"stream", true},
                                             {"stream_options", {{"include_usage", true}}}},
                                            "/v1/chat/completions"));
    ASSERT_TRUE(out.status.ok()) << out.status.to_string();
    EXPECT_EQ(out.http_status, 200);
    EXPECT_EQ(header(out, "Content-Type"), "text/event-stream");
    EXPECT_GE(out.n_body_calls, 5);  // one read per token at least: nothing was buffered
    Status sse_status;
    auto data = sse_data(out.body, &sse_status);
    ASSERT_TRUE(sse_status.ok()) << sse_status.to_string();
    ASSERT_EQ(data.size(), 7u);  // 5 tokens, usage, [DONE]
    std::string text;
    for (int i = 0; i < 5; ++i) {
        json chunk = json::parse(data[static_cast<size_t>(i)]);
        text += chunk["choices"][0]["delta"]["content"].get<std::string>();
    }
    EXPECT_EQ(text, " tok0 tok1 tok2 tok3 tok4");
    EXPECT_EQ(json::parse(data[5])["usage"]["completion_tokens"], 5);
    EXPECT_EQ(data[6], "[DONE]");
}

TEST_F(ClientTest, KeepAliveReusesTheConnection) {
    auto conn = connect();
    for (int i = 0; i < 3; ++i) {
        json req = {{"prompt", "x"}, {"max_tokens", 2}, {"stream", i % 2 == 1}};
        Outcome out = run_one(*conn, completion(req));
        ASSERT_TRUE(out.status.ok()) << out.status.to_string();
        EXPECT_EQ(out.http_status, 200);
    }
    EXPECT_EQ(server_->requests_seen(), 3);
    EXPECT_EQ(server_->connections_accepted(), 1);
    EXPECT_EQ(conn->n_connects(), 1u);
}

TEST_F(ClientTest, ConnectionCloseMeansReconnect) {
    auto conn = connect();
    for (int i = 0; i < 2; ++i) {
        ClientRequest req = completion({{"prompt", "x"}});
        req.headers.emplace_back("Connection", "close");
        Outcome out = run_one(*conn, std::move(req));
        ASSERT_TRUE(out.status.ok()) << out.status.to_string();
    }
    EXPECT_EQ(conn->n_connects(), 2u);
    EXPECT_EQ(server_->connections_accepted(), 2);
}

TEST_F(ClientTest, StaleKeepAliveConnectionIsRetriedOnce) {
    server_->set_behavior({.close_after_response = true});
    auto conn = connect();
    for (int i = 0; i < 3; ++i) {
        Outcome out = run_one(*conn, completion({{"prompt", "x"}, {"stream", i == 1}}));
        ASSERT_TRUE(out.status.ok()) << i << ": " << out.status.to_string();
        EXPECT_EQ(out.http_status, 200);
    }
    EXPECT_EQ(server_->requests_seen(), 3);
    EXPECT_EQ(conn->n_connects(), 3u);
}

TEST_F(ClientTest, ErrorStatusIsDeliveredWithBody) {
    server_->set_behavior({.status = 503});
    auto conn = connect();
    Outcome out = run_one(*conn, completion({{"prompt", "x"}}));
    ASSERT_TRUE(out.status.ok()) << out.status.to_string();
    EXPECT_EQ(out.http_status, 503);
    EXPECT_EQ(header(out, "Retry-After"), "1");
    json body = json::parse(out.body);
    EXPECT_EQ(body["error"]["code"], 503);
    // The connection stays usable after an error status.
    server_->set_behavior({});
    Outcome next = run_one(*conn, completion({{"prompt", "x"}}));
    EXPECT_EQ(next.http_status, 200);
    EXPECT_EQ(conn->n_connects(), 1u);
}

TEST_F(ClientTest, RefusedConnectionIsUnavailable) {
    uint16_t port = 0;
    {
        boost::asio::ip::tcp::acceptor probe(io_, {boost::asio::ip::make_address("127.0.0.1"), 0});
        port = probe.local_endpoint().port();
    }
    auto url = parse_url("http://127.0.0.1:" + std::to_string(port));
    ASSERT_TRUE(url.ok());
    auto conn = Connection::create(io_, *url, {});
    Outcome out = run_one(*conn, completion({{"prompt", "x"}}));
    EXPECT_EQ(out.status.code(), StatusCode::Unavailable) << out.status.to_string();
    EXPECT_THAT(out.status.message(), HasSubstr("connect to 127.0.0.1"));
    EXPECT_EQ(out.http_status, 0);
}

TEST_F(ClientTest, FirstByteTimeout) {
    server_->set_behavior({.ttft = milliseconds(5000)});
    auto conn = connect({.first_byte = milliseconds(100)});
    for (bool stream : {false, true}) {
        Outcome out = run_one(*conn, completion({{"prompt", "x"}, {"stream", stream}}));
        EXPECT_EQ(out.status.code(), StatusCode::DeadlineExceeded) << out.status.to_string();
        EXPECT_THAT(out.status.message(), HasSubstr("first_byte timeout (100 ms)"));
    }
}

TEST_F(ClientTest, IdleBetweenChunksTimeout) {
    server_->set_behavior({.inter_token = milliseconds(5000), .n_tokens = 3});
    auto conn = connect({.idle_between_chunks = milliseconds(100)});
    Outcome out = run_one(*conn, completion({{"prompt", "x"}, {"stream", true}}));
    EXPECT_EQ(out.status.code(), StatusCode::DeadlineExceeded) << out.status.to_string();
    EXPECT_THAT(out.status.message(), HasSubstr("idle_between_chunks"));
    EXPECT_EQ(sse_data(out.body).size(), 1u);  // the first token arrived
}

TEST_F(ClientTest, TotalTimeout) {
    server_->set_behavior({.inter_token = milliseconds(40), .n_tokens = 100});
    auto conn = connect({.total = milliseconds(150)});
    Outcome out = run_one(*conn, completion({{"prompt", "x"}, {"stream", true}}));
    EXPECT_EQ(out.status.code(), StatusCode::DeadlineExceeded) << out.status.to_string();
    EXPECT_THAT(out.status.message(), HasSubstr("total timeout"));
}

TEST_F(ClientTest, CutStreamIsDataLoss) {
    server_->set_behavior({.cut_stream_after = true, .cut_after_tokens = 2});
    auto conn = connect();
    for (bool stream : {true, false}) {
        Outcome out = run_one(*conn, completion({{"prompt", "x"}, {"stream", stream}}));
        EXPECT_EQ(out.status.code(), StatusCode::DataLoss) << out.status.to_string();
        EXPECT_THAT(out.status.message(), HasSubstr("mid-body"));
        EXPECT_EQ(out.http_status, 200);
    }
    // The next request reconnects and succeeds.
    server_->set_behavior({});
    Outcome out = run_one(*conn, completion({{"prompt", "x"}}));
    EXPECT_TRUE(out.status.ok()) << out.status.to_string();
    EXPECT_EQ(conn->n_connects(), 3u);
}

TEST_F(ClientTest, GarbageSseArrivesAsBytesAndFailsTheParser) {
    server_->set_behavior({.garbage_sse = true});
    auto conn = connect();
    Outcome out = run_one(*conn, completion({{"prompt", "x"}, {"stream", true}}));
    ASSERT_TRUE(out.status.ok()) << out.status.to_string();
    Status sse_status;
    sse_data(out.body, &sse_status);
    EXPECT_EQ(sse_status.code(), StatusCode::DataLoss);
}

TEST_F(ClientTest, BodyLimitIsDataLoss) {
    server_->set_behavior({.n_tokens = 200});
    for (bool stream : {false, true}) {
        auto conn = connect({}, {.max_body_bytes = 256});
        Outcome out = run_one(*conn, completion({{"prompt", "x"}, {"stream", stream}}));
        EXPECT_EQ(out.status.code(), StatusCode::DataLoss) << out.status.to_string();
        EXPECT_THAT(out.status.message(), HasSubstr("body limit"));
    }
}

TEST_F(ClientTest, HeaderLimitIsDataLoss) {
    auto conn = connect({}, {.max_header_bytes = 40});
    Outcome out = run_one(*conn, completion({{"prompt", "x"}}));
    EXPECT_EQ(out.status.code(), StatusCode::DataLoss) << out.status.to_string();
    EXPECT_THAT(out.status.message(), HasSubstr("header limit"));
    EXPECT_EQ(out.http_status, 0);
}

TEST_F(ClientTest, CloseMidStreamIsCancelledAndSilent) {
    server_->set_behavior({.inter_token = milliseconds(20), .n_tokens = 50});
    auto conn = connect();
    Outcome out;
    ClientCallbacks cb = record(out);
    cb.on_body = [&out, &conn](std::string_view chunk) {
        if (out.n_done) out.callback_after_done = true;
        out.body.append(chunk);
        if (++out.n_body_calls == 2) conn->close();
    };
    conn->async_request(completion({{"prompt", "x"}, {"stream", true}}), std::move(cb));
    run();
    EXPECT_EQ(out.n_done, 1);
    EXPECT_EQ(out.status.code(), StatusCode::Cancelled) << out.status.to_string();
    EXPECT_EQ(out.n_body_calls, 2);
    EXPECT_FALSE(out.callback_after_done);
    conn->close();  // idempotent, no second on_done
    run();
    EXPECT_EQ(out.n_done, 1);
}

TEST_F(ClientTest, SecondRequestWhileBusyIsRefused) {
    auto conn = connect();
    Outcome first;
    Outcome second;
    conn->async_request(completion({{"prompt", "x"}}), record(first));
    conn->async_request(completion({{"prompt", "x"}}), record(second));
    run();
    EXPECT_TRUE(first.status.ok()) << first.status.to_string();
    EXPECT_EQ(second.n_done, 1);
    EXPECT_EQ(second.status.code(), StatusCode::FailedPrecondition);
}

TEST_F(ClientTest, NextRequestFromOnDone) {
    auto conn = connect();
    Outcome second;
    Outcome first;
    ClientCallbacks cb = record(first);
    cb.on_done = [&](const Status& s) {
        ++first.n_done;
        first.status = s;
        conn->async_request(completion({{"prompt", "x"}}), record(second));
    };
    conn->async_request(completion({{"prompt", "x"}}), std::move(cb));
    run();
    EXPECT_TRUE(first.status.ok());
    EXPECT_EQ(second.n_done, 1);
    EXPECT_TRUE(second.status.ok()) << second.status.to_string();
    EXPECT_EQ(conn->n_connects(), 1u);
}

TEST_F(ClientTest, HeaderInjectionIsRefused) {
    auto conn = connect();
    ClientRequest req = completion({{"prompt", "x"}});
    req.headers.emplace_back("X-Evil", "a\r\nInjected: yes");
    Outcome out = run_one(*conn, std::move(req));
    EXPECT_EQ(out.status.code(), StatusCode::InvalidArgument);
    EXPECT_EQ(server_->requests_seen(), 0);
}

TEST_F(ClientTest, HundredConcurrentConnectionsOnOneThread) {
    constexpr int kN = 100;
    server_->set_behavior({.inter_token = milliseconds(1), .n_tokens = 4});
    std::vector<std::shared_ptr<Connection>> conns;
    std::vector<Outcome> outs(kN);
    for (int i = 0; i < kN; ++i) {
        conns.push_back(connect());
        conns.back()->async_request(completion({{"prompt", "x"}, {"stream", true}}),
                                    record(outs[static_cast<size_t>(i)]));
    }
    run();
    for (const auto& out : outs) {
        ASSERT_EQ(out.n_done, 1);
        ASSERT_TRUE(out.status.ok()) << out.status.to_string();
        ASSERT_EQ(sse_data(out.body).size(), 5u);
    }
    EXPECT_EQ(server_->requests_seen(), kN);
    EXPECT_EQ(server_->connections_accepted(), kN);
}

TEST_F(ClientTest, ConnectionsShareAMultiThreadedIoContext) {
    constexpr int kN = 20;
    constexpr int kRequestsEach = 3;
    server_->set_behavior({.n_tokens = 3});
    std::vector<std::shared_ptr<Connection>> conns;
    std::vector<std::atomic<int>> n_ok(kN);
    std::atomic<int> n_failed{0};
    // Each connection chains kRequestsEach requests from its own on_done.
    std::function<void(int, int)> send = [&](int ic, int left) {
        ClientCallbacks cb;
        cb.on_done = [&, ic, left](const Status& s) {
            if (!s.ok()) {
                n_failed.fetch_add(1);
                return;
            }
            n_ok[static_cast<size_t>(ic)].fetch_add(1);
            if (left > 1) send(ic, left - 1);
        };
        conns[static_cast<size_t>(ic)]->async_request(
            completion({{"prompt", "x"}, {"stream", true}}), std::move(cb));
    };
    for (int i = 0; i < kN; ++i) conns.push_back(connect());
    for (int i = 0; i < kN; ++i) send(i, kRequestsEach);
    io_.restart();
    std::thread other([this] { io_.run(); });
    io_.run();
    other.join();
    EXPECT_EQ(n_failed.load(), 0);
    for (const auto& n : n_ok) EXPECT_EQ(n.load(), kRequestsEach);
    EXPECT_EQ(server_->connections_accepted(), kN);
}

}  // namespace
}  // namespace glmserve::http
