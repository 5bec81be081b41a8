// Tests for http/server.h: a Server on 127.0.0.1 port 0 with small limits, driven by raw TCP
// clients that send exactly the bytes under test (malformed, trickled, pipelined, never read).
// Synchronisation: requests a test holds reach it through an Inbox (condition variable), closes
// through on_close promises (shared, since a callback may run after a failed assertion
// returned); every client operation runs on the client's own io_context with a
// generous deadline, so a server bug fails the test instead of hanging it. The short timeouts
// (header, body, idle) are what is under test; nothing asserts a tight upper bound on time.
#include "http/server.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <thread>

#include "support/raw_http_client.h"

namespace glmserve::http {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;

using testing::RawClient;
using testing::Reply;
constexpr milliseconds kWait = testing::kClientWait;  // bound on anything the server should do soon

// Requests the test answers itself, handed over from the io thread.
class Inbox {
public:
    void push(Request req, std::shared_ptr<ResponseWriter> writer) {
        {
            std::lock_guard lock(mu_);
            items_.emplace_back(std::move(req), std::move(writer));
        }
        cv_.notify_all();
    }

    std::pair<Request, std::shared_ptr<ResponseWriter>> pop() {
        std::unique_lock lock(mu_);
        if (!cv_.wait_for(lock, kWait, [&] { return !items_.empty(); })) return {};
        auto item = std::move(items_.front());
        items_.pop_front();
        return item;
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::pair<Request, std::shared_ptr<ResponseWriter>>> items_;
};

// /hold*: given to the test; /drop: no answer; /throw: throws; /inject: a CR/LF header;
// anything else: "METHOD target body" echoed with 200.
Handler test_handler(Inbox* inbox) {
    return [inbox](Request req, std::shared_ptr<ResponseWriter> writer) {
        std::string_view path = req.path();
        if (path.starts_with("/hold")) return inbox->push(std::move(req), std::move(writer));
        if (path == "/drop") return;
        if (path == "/throw") throw std::runtime_error("handler bug");
        Response r;
        r.content_type = "text/plain";
        if (path == "/inject") {
            r.headers = {{"X-Good", "1"}, {"X-Bad", "a\r\nSet-Cookie: evil=1"}};
        }
        r.body = req.method + " " + req.target + " " + req.body;
        writer->send(std::move(r));
    };
}

ServerLimits small_limits() {
    ServerLimits limits;
    limits.max_header_bytes = 1024;
    limits.max_body_bytes = 1024;
    limits.header_timeout = milliseconds(5000);
    limits.body_timeout = milliseconds(5000);
    limits.idle_timeout = milliseconds(30000);
    limits.write_timeout = milliseconds(30000);
    limits.max_connections = 16;
    limits.max_queued_write_bytes = 64 << 10;
    return limits;
}

class ServerTest : public ::testing::Test {
protected:
    void start(ServerLimits limits = small_limits(), int io_threads = 1) {
        ServerConfig config;
        config.limits = limits;
        config.io_threads = io_threads;
        config.error_body = [](int status, std::string message) {
            Response r;
            r.body = json{{"error", {{"message", message}, {"code", status}}}}.dump();
            return r;
        };
        auto started = Server::start(std::move(config), test_handler(&inbox_));
        ASSERT_TRUE(started.ok()) << started.status().to_string();
        server_ = std::move(started).value();
    }

    uint16_t port() const { return server_->port(); }
    const ServerCounters& counters() const { return server_->counters(); }

    static int error_code_in(const Reply& r) {
        json body = json::parse(r.body, nullptr, false);
        if (!body.is_object() || !body.contains("error")) return 0;
        return body["error"].value("code", 0);
    }

    Inbox inbox_;
    std::unique_ptr<Server> server_;
};

std::string get(std::string_view target) {
    return testing::raw_get(target);
}

std::string post(std::string_view target, std::string_view body) {
    return testing::raw_post(target, body);
}

TEST_F(ServerTest, AnswersGetAndEchoesPostBody) {
    start();
    RawClient c(port());
    ASSERT_TRUE(c.connected());
    ASSERT_FALSE(c.send(get("/v1/models?x=1")));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "GET /v1/models?x=1 ");
    EXPECT_EQ(r->header("Content-Length"), "19");
    EXPECT_EQ(r->header("Content-Type"), "text/plain");
    ASSERT_FALSE(c.send(post("/echo", "hello body")));
    r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "POST /echo hello body");
    EXPECT_EQ(counters().requests.load(), 2u);
}

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
    start();
    RawClient c(port());
    for (int i = 0; i < 2; ++i) {
        ASSERT_FALSE(c.send(get("/echo")));
        auto r = c.read_reply();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200);
        EXPECT_TRUE(r->keep_alive);
    }
    EXPECT_EQ(counters().connections_accepted.load(), 1u);
    EXPECT_EQ(server_->n_connections(), 1u);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
    start();
    RawClient c(port());
    ASSERT_FALSE(c.send(post("/first", "1") + get("/second") + post("/third", "3")));
    for (const char* expected : {"POST /first 1", "GET /second ", "POST /third 3"}) {
        auto r = c.read_reply();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->body, expected);
    }
}

TEST_F(ServerTest, HeadersOverTheLimitGet431AndClose) {
    start();
    RawClient c(port());
    ASSERT_FALSE(
        c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n"));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 431);
    EXPECT_EQ(error_code_in(*r), 431);
    EXPECT_FALSE(r->keep_alive);
    EXPECT_TRUE(c.wait_closed());
    EXPECT_EQ(counters().headers_too_large.load(), 1u);
    EXPECT_EQ(counters().requests.load(), 0u);
}

TEST_F(ServerTest, BodyOverTheLimitByContentLengthGets413BeforeItIsSent) {
    start();
    RawClient c(port());
    ASSERT_FALSE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n"));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_EQ(r->header("Connection"), "close");
    EXPECT_TRUE(c.wait_closed());
    EXPECT_EQ(counters().bodies_too_large.load(), 1u);
    EXPECT_EQ(counters().requests.load(), 0u);
}

TEST_F(ServerTest, ChunkedBodyOverTheLimitGets413) {
    start();
    RawClient c(port());
    std::string req = "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 4; ++i) req += "200\r\n" + std::string(512, 'x') + "\r\n";
    req += "0\r\n\r\n";
    ASSERT_FALSE(c.send(req));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_TRUE(c.wait_closed());
    EXPECT_EQ(counters().bodies_too_large.load(), 1u);
}

TEST_F(ServerTest, ChunkedBodyWithinTheLimitIsDecoded) {
    start();
    RawClient c(port());
    ASSERT_FALSE(
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
               "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "POST /echo abcde");
}

TEST_F(ServerTest, MalformedRequestLineGets400) {
    start();
    RawClient c(port());
    ASSERT_FALSE(c.send("NOT A REQUEST\r\n\r\n"));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_EQ(error_code_in(*r), 400);
    EXPECT_TRUE(c.wait_closed());
    EXPECT_EQ(counters().bad_requests.load(), 1u);
}

TEST_F(ServerTest, GarbageAfterACompleteRequestGets400AfterTheFirstAnswer) {
    start();
    RawClient c(port());
    ASSERT_FALSE(c.send(get("/echo") + "\x01\x02 garbage\r\n\r\n"));
    auto first = c.read_reply();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 200);
    auto second = c.read_reply();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->status, 400);
    EXPECT_TRUE(c.wait_closed());
    EXPECT_EQ(counters().requests.load(), 1u);
    EXPECT_EQ(counters().bad_requests.load(), 1u);
}

// Slowloris: each byte arrives well within header_timeout of the previous one, but the whole
// header would take seconds; the server must answer at its header deadline, long before.
TEST_F(ServerTest, HeaderTrickledPastTheHeaderTimeoutGets408) {
    ServerLimits limits = small_limits();
    limits.header_timeout = milliseconds(200);
    start(limits);
    RawClient c(port());
    std::string header =
        "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: " + std::string(250, 's') + "\r\n\r\n";
    auto [reply, n_sent] = c.trickle(header, milliseconds(20));
    if (reply) {
        EXPECT_EQ(reply->status, 408);
    }
    EXPECT_LT(n_sent, header.size()) << "the server waited for the whole trickled header";
    EXPECT_TRUE(c.wait_closed());
    EXPECT_EQ(counters().read_timeouts.load(), 1u);
    EXPECT_EQ(counters().requests.load(), 0u);
}

TEST_F(ServerTest, BodyNeverCompletedGets408) {
    ServerLimits limits = small_limits();
    limits.body_timeout = milliseconds(200);
    start(limits);
    RawClient c(port());
    ASSERT_FALSE(c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n0123456789"));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 408);
    EXPECT_TRUE(c.wait_closed());
    EXPECT_EQ(counters().read_timeouts.load(), 1u);
    EXPECT_EQ(counters().requests.load(), 0u);
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
    ServerLimits limits = small_limits();
    limits.idle_timeout = milliseconds(200);
    start(limits);
    RawClient c(port());
    ASSERT_FALSE(c.send(get("/echo")));
    ASSERT_TRUE(c.read_reply());
    EXPECT_TRUE(c.wait_closed());
    EXPECT_EQ(counters().idle_timeouts.load(), 1u);
    EXPECT_EQ(counters().read_timeouts.load(), 0u);
}

TEST_F(ServerTest, ConnectionPastTheLimitGets503AndTheOthersKeepWorking) {
    ServerLimits limits = small_limits();
    limits.max_connections = 2;
    start(limits);
    RawClient c1(port());
    RawClient c2(port());
    for (RawClient* c : {&c1, &c2}) {
        ASSERT_FALSE(c->send(get("/echo")));
        ASSERT_TRUE(c->read_reply());
    }
    RawClient c3(port());
    ASSERT_TRUE(c3.connected());
    auto rejected = c3.read_reply();
    ASSERT_TRUE(rejected);
    EXPECT_EQ(rejected->status, 503);
    EXPECT_EQ(error_code_in(*rejected), 503);
    EXPECT_FALSE(rejected->keep_alive);
    EXPECT_TRUE(c3.wait_closed());
    for (RawClient* c : {&c1, &c2}) {
        ASSERT_FALSE(c->send(get("/again")));
        auto r = c->read_reply();
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200);
    }
    EXPECT_EQ(counters().connections_rejected.load(), 1u);
    EXPECT_EQ(server_->n_connections(), 2u);
}

TEST_F(ServerTest, StreamsChunksWrittenFromAnotherThread) {
    start();
    RawClient c(port());
    ASSERT_FALSE(c.send(get("/hold/stream")));
    auto [req, writer] = inbox_.pop();
    ASSERT_TRUE(writer);
    std::string expected;
    for (int i = 0; i < 5; ++i) expected += fmt::format("data: {}\n\n", i);
    std::thread producer([w = writer] {
        w->start_stream(200, "text/event-stream", {{"Cache-Control", "no-cache"}});
        for (int i = 0; i < 5; ++i) w->write(fmt::format("data: {}\n\n", i));
        w->finish();
        w->write("after finish: ignored");
    });
    producer.join();
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(r->chunked);
    EXPECT_EQ(r->header("Content-Type"), "text/event-stream");
    EXPECT_EQ(r->header("Cache-Control"), "no-cache");
    EXPECT_EQ(r->body, expected);
    ASSERT_FALSE(c.send(get("/echo")));  // the connection is reusable after the stream
    auto next = c.read_reply();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
}

TEST_F(ServerTest, NoticesADisconnectWhileTheHandlerOwnsTheRequest) {
    start();
    RawClient c(port());
    ASSERT_FALSE(c.send(post("/hold", "prompt")));
    auto [req, writer] = inbox_.pop();
    ASSERT_TRUE(writer);
    EXPECT_EQ(req.body, "prompt");
    EXPECT_EQ(req.remote_address, "127.0.0.1");
    auto closed = std::make_shared<std::promise<void>>();
    writer->on_close([closed] { closed->set_value(); });
    EXPECT_FALSE(writer->closed());
    EXPECT_EQ(server_->n_active_requests(), 1u);
    c.close();
    ASSERT_EQ(closed->get_future().wait_for(kWait), std::future_status::ready);
    EXPECT_TRUE(writer->closed());
    EXPECT_EQ(counters().client_disconnects.load(), 1u);
    EXPECT_EQ(server_->n_active_requests(), 0u);
    writer->send(Response{});  // ignored: the client is gone
    writer.reset();
    EXPECT_EQ(server_->n_active_requests(), 0u);
}

TEST_F(ServerTest, SlowReaderIsClosedPastTheQueueBound) {
    start();
    RawClient c(port(), /*receive_buffer_bytes=*/4096);
    ASSERT_FALSE(c.send(get("/hold")));
    auto [req, writer] = inbox_.pop();
    ASSERT_TRUE(writer);
    auto closed = std::make_shared<std::promise<void>>();
    writer->on_close([closed] { closed->set_value(); });
    writer->start_stream(200, "text/plain", {});
    const std::string chunk(64 << 10, 'z');
    uint64_t n_written = 0;
    // The client never reads: once the kernel buffers are full the queue must hit its bound.
    while (!writer->closed() && n_written < (uint64_t{1} << 30)) {
        writer->write(chunk);
        n_written += chunk.size();
    }
    ASSERT_EQ(closed->get_future().wait_for(kWait), std::future_status::ready);
    EXPECT_TRUE(writer->closed());
    EXPECT_EQ(counters().slow_readers.load(), 1u);
    EXPECT_EQ(server_->n_active_requests(), 0u);
}

// send() is not bounded by max_queued_write_bytes; a client that stops reading it is dropped by
// write_timeout instead.
TEST_F(ServerTest, ClientThatStopsReadingIsDroppedAfterWriteTimeout) {
    ServerLimits limits = small_limits();
    limits.write_timeout = milliseconds(200);
    start(limits);
    RawClient c(port(), /*receive_buffer_bytes=*/4096);
    ASSERT_FALSE(c.send(get("/hold")));
    auto [req, writer] = inbox_.pop();
    ASSERT_TRUE(writer);
    auto closed = std::make_shared<std::promise<void>>();
    writer->on_close([closed] { closed->set_value(); });
    writer->send(Response{.body = std::string(size_t{64} << 20, 'w')});
    ASSERT_EQ(closed->get_future().wait_for(kWait), std::future_status::ready);
    EXPECT_EQ(counters().write_timeouts.load(), 1u);
    EXPECT_EQ(counters().slow_readers.load(), 0u);
    EXPECT_EQ(server_->n_active_requests(), 0u);
}

TEST_F(ServerTest, DrainFinishesTheRequestInFlightWithConnectionClose) {
    start();
    RawClient idle(port());
    ASSERT_FALSE(idle.send(get("/echo")));
    ASSERT_TRUE(idle.read_reply());
    RawClient busy(port());
    ASSERT_FALSE(busy.send(get("/hold")));
    auto [req, writer] = inbox_.pop();
    ASSERT_TRUE(writer);

    server_->begin_drain();
    EXPECT_TRUE(idle.wait_closed());
    RawClient late(port());
    if (late.connected()) {
        (void)late.send(get("/echo"));
        EXPECT_FALSE(late.read_reply()) << "a connection made while draining was served";
    }

    writer->send(Response{.status = 200, .content_type = "text/plain", .body = "done"});
    auto r = busy.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "done");
    EXPECT_EQ(r->header("Connection"), "close");
    EXPECT_TRUE(busy.wait_closed());
    EXPECT_EQ(server_->n_active_requests(), 0u);
}

TEST_F(ServerTest, WritersHeldPastStopAreNoOps) {
    start();
    RawClient c(port());
    ASSERT_FALSE(c.send(get("/hold")));
    auto [req, writer] = inbox_.pop();
    ASSERT_TRUE(writer);
    auto closed = std::make_shared<std::promise<void>>();
    writer->on_close([closed] { closed->set_value(); });
    server_->stop();
    server_->stop();
    ASSERT_EQ(closed->get_future().wait_for(kWait), std::future_status::ready);
    EXPECT_TRUE(writer->closed());
    EXPECT_TRUE(c.wait_closed());
    writer->start_stream(200, "text/plain", {});
    writer->write("x");
    server_.reset();
    writer->write("y");
    writer->finish();
    writer->send(Response{});
    bool late_callback_ran = false;
    writer->on_close([&] { late_callback_ran = true; });  // at most once per writer
    EXPECT_FALSE(late_callback_ran);
    writer.reset();
}

TEST_F(ServerTest, OnCloseRegisteredAfterTheClientLeftRunsAtOnce) {
    start();
    RawClient c(port());
    ASSERT_FALSE(c.send(get("/hold")));
    auto [req, writer] = inbox_.pop();
    ASSERT_TRUE(writer);
    server_->stop();
    ASSERT_TRUE(writer->closed());
    bool ran = false;
    writer->on_close([&] { ran = true; });
    EXPECT_TRUE(ran);
}

TEST_F(ServerTest, ManyClientThreadsAreAllAnswered) {
    start(small_limits(), /*io_threads=*/4);
    constexpr int kThreads = 8;
    constexpr int kRequests = 100;
    std::atomic<int> n_ok{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < kThreads; ++t) {
        clients.emplace_back([&, t] {
            RawClient c(port());
            for (int i = 0; i < kRequests; ++i) {
                std::string body = fmt::format("{}-{}", t, i);
                if (c.send(post("/echo", body))) return;
                auto r = c.read_reply();
                if (r && r->status == 200 && r->body == "POST /echo " + body) ++n_ok;
            }
        });
    }
    for (auto& t : clients) t.join();
    EXPECT_EQ(n_ok.load(), kThreads * kRequests);
    EXPECT_EQ(counters().requests.load(), uint64_t{kThreads * kRequests});
    EXPECT_EQ(counters().connections_accepted.load(), uint64_t{kThreads});
}

TEST_F(ServerTest, ExpectContinueGets100BeforeTheBodyIsSent) {
    start();
    RawClient c(port());
    ASSERT_FALSE(
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
               "Expect: 100-continue\r\n\r\n"));
    auto interim = c.read_reply();
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, 100);
    ASSERT_FALSE(c.send("hello"));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "POST /echo hello");
}

TEST_F(ServerTest, Http10ConnectionClosesAfterTheResponse) {
    start();
    RawClient c(port());
    ASSERT_FALSE(c.send("GET /echo HTTP/1.0\r\n\r\n"));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_FALSE(r->keep_alive);
    EXPECT_TRUE(c.wait_closed());
}

TEST_F(ServerTest, ConnectionCloseFromAnHttp11ClientIsHonoured) {
    start();
    RawClient c(port());
    ASSERT_FALSE(c.send("GET /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->header("Connection"), "close");
    EXPECT_TRUE(c.wait_closed());
}

TEST_F(ServerTest, HeadResponseHasLengthButNoBody) {
    start();
    RawClient c(port());
    ASSERT_FALSE(c.send("HEAD /echo HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto r = c.read_reply(/*head_request=*/true);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("Content-Length"), "11");  // "HEAD /echo "
    ASSERT_FALSE(c.send(get("/next")));            // no stray body bytes before the next response
    auto next = c.read_reply();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->body, "GET /next ");
}

TEST_F(ServerTest, UnansweredOrThrowingHandlerGets500) {
    start();
    RawClient c(port());
    for (const char* path : {"/drop", "/throw"}) {
        ASSERT_FALSE(c.send(get(path)));
        auto r = c.read_reply();
        ASSERT_TRUE(r) << path;
        EXPECT_EQ(r->status, 500) << path;
        EXPECT_EQ(error_code_in(*r), 500) << path;
    }
    // The connection survives both. The server closes it only after the last request ended,
    // so n_active_requests is read after every count has dropped.
    ASSERT_FALSE(c.send("GET /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_TRUE(c.wait_closed());
    EXPECT_EQ(server_->n_active_requests(), 0u);
}

TEST_F(ServerTest, ResponseHeaderWithCrLfIsDropped) {
    start();
    RawClient c(port());
    ASSERT_FALSE(c.send(get("/inject")));
    auto r = c.read_reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("X-Good"), "1");
    EXPECT_EQ(r->header("X-Bad"), "");
    EXPECT_EQ(r->header("Set-Cookie"), "");
}

TEST_F(ServerTest, StartRejectsBadConfigAndBusyPort) {
    ServerConfig zero_threads;
    zero_threads.io_threads = 0;
    auto a = Server::start(zero_threads, test_handler(&inbox_));
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), StatusCode::InvalidArgument);

    ServerConfig bad_host;
    bad_host.host = "not an address";
    auto b = Server::start(bad_host, test_handler(&inbox_));
    ASSERT_FALSE(b.ok());
    EXPECT_EQ(b.status().code(), StatusCode::InvalidArgument);

    start();
    ServerConfig same_port;
    same_port.port = port();
    auto c = Server::start(same_port, test_handler(&inbox_));
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), StatusCode::Unavailable);
    EXPECT_NE(c.status().message().find(std::to_string(port())), std::string::npos);
}

TEST(ServerRequestTest, HeaderLookupIsCaseInsensitiveAndPathDropsTheQuery) {
    Request req;
    req.headers = {{"Content-Type", "application/json"}, {"X-Request-Id", "abc"}};
    req.target = "/v1/models?limit=2";
    EXPECT_EQ(req.header("content-type"), "application/json");
    EXPECT_EQ(req.header("X-REQUEST-ID"), "abc");
    EXPECT_FALSE(req.header("Authorization"));
    EXPECT_EQ(req.path(), "/v1/models");
    req.target = "/health";
    EXPECT_EQ(req.path(), "/health");
}

}  // namespace
}  // namespace glmserve::http
