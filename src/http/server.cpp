// Server (see server.h): one Session per accepted TCP connection, each on its own strand, reading
// with Beast's request_parser and writing responses it formats itself from a queue of strings.
//
// A Session is in one of four states. Reading: waiting for the next request (an idle wait with
// read_some, then Beast's header and body reads). Busy: the handler owns a request, or an error
// answer is being written; a read_some stays pending (the "monitor") so a disconnect is seen at
// once, and its bytes stay in `buffer_` for the next parse. Lingering: a `Connection: close`
// answer is out; the write side is shut and input is discarded for a moment, so a client still
// sending its body reads our answer instead of a reset. Closed.
//
// Deadlines use one timer per Session, re-waited lazily (arm() only moves `deadline_` when the
// timer already waits for an earlier time). A header or body deadline cancels the pending read
// and the read handler answers 408; the cancel is repeated until that handler ran, because a
// composed Beast read may sit between two of its reads when the cancel comes.
//
// Lifetime: the registry in Server::Impl holds every live Session strongly until close_now();
// handlers and posted work hold it too. ResponseWriters hold only a weak_ptr, plus a Gate that
// stop() closes under a lock before it stops the io_context, so no writer posts afterwards and
// no Session outlives the io_context (io is declared after what sessions touch).
// Thread: Session state on its strand; acceptor state on acceptor_strand; Exchange atomics and
// its `mu` from any thread; the registry under registry_mu.
#include "http/server.h"

// g++ 12 with -fsanitize=address reports a false -Wmaybe-uninitialized inside Beast's request
// parser (basic_parser.hpp, a boost::optional content length); see fake_openai_server.cpp.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <exception>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "common/check.h"
#include "obs/logging.h"

namespace glmserve::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using Strand = asio::strand<asio::io_context::executor_type>;

namespace {

constexpr size_t kReadChunkBytes = 16 << 10;
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr size_t kMaxLingerBytes = 1 << 20;
constexpr std::chrono::milliseconds kAcceptRetry{50};
constexpr std::chrono::milliseconds kCancelRetry{50};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::shared_ptr<spdlog::logger> http_log() {
    static const std::shared_ptr<spdlog::logger> log = obs::logger("http");
    return log;
}

char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_lower(x) == ascii_lower(y);
           });
}

// RFC 9110 §5.6.2 token characters.
bool is_token(std::string_view s) {
    constexpr std::string_view kSeparators = "()<>@,;:\\\"/[]?={} \t";
    return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
        return c > 0x20 && c < 0x7f && kSeparators.find(c) == std::string_view::npos;
    });
}

bool is_field_value(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Framing headers the server owns; the application's copies are dropped.
bool is_framing_header(std::string_view name) {
    return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
           iequals(name, "Connection");
}

bool has_no_body(int status) {
    return status == 204 || status == 304;
}

int checked_status(int status) {
    if (status >= 200 && status <= 599) return status;
    http_log()->warn("handler answered with HTTP status {}; sending 500 instead", status);
    return 500;
}

struct Framing {
    std::optional<size_t> content_length;
    bool chunked = false;
    bool keep_alive = false;
};

std::string format_head(int status, std::string_view content_type, const Headers& headers,
                        const Framing& framing) {
    beast::string_view reason = bhttp::obsolete_reason(bhttp::int_to_status(status));
    std::string out =
        fmt::format("HTTP/1.1 {} {}\r\n", status, std::string_view(reason.data(), reason.size()));
    if (!content_type.empty() && is_field_value(content_type)) {
        out += fmt::format("Content-Type: {}\r\n", content_type);
    }
    for (const auto& [name, value] : headers) {
        if (!is_token(name) || !is_field_value(value)) {
            http_log()->warn("dropped response header '{}': bad name or CR/LF in the value",
                             name.substr(0, 40));
            continue;
        }
        if (is_framing_header(name)) continue;
        if (!content_type.empty() && iequals(name, "Content-Type")) continue;
        out += fmt::format("{}: {}\r\n", name, value);
    }
    if (framing.content_length)
        out += fmt::format("Content-Length: {}\r\n", *framing.content_length);
    if (framing.chunked) out += "Transfer-Encoding: chunked\r\n";
    out += framing.keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    return out;
}

bool is_http_error(const beast::error_code& ec) {
    return ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category();
}

// Closed by stop(): writers check it under a shared lock before posting to a strand.
struct Gate {
    std::shared_mutex mu;
    bool open = true;  // guarded by mu
};

// One request handed to the handler, shared by its ResponseWriter and the Session.
struct Exchange {
    std::atomic<bool> closed{false};       // the client went away before the response ended
    std::atomic<bool> slow_reader{false};  // write() found the queue over its bound
    std::atomic<size_t> queued_bytes{0};   // write() payload not yet on the socket
    std::mutex mu;
    std::function<void()> on_close;  // guarded by mu
    bool close_fired = false;        // guarded by mu
    // Strand only:
    bool started = false;    // send() or start_stream() took effect
    bool streaming = false;  // start_stream() took effect
    bool ended = false;      // response written, or connection closed; n_active_requests counted
};
using ExchangePtr = std::shared_ptr<Exchange>;

// Marks `ex` closed and runs its on_close callback if one is set and has not run.
void notify_closed(Exchange& ex) {
    ex.closed.store(true, std::memory_order_release);
    std::function<void()> callback;
    {
        std::lock_guard lock(ex.mu);
        if (ex.close_fired || !ex.on_close) return;
        ex.close_fired = true;
        callback = std::move(ex.on_close);
    }
    callback();
}

class Session;

}  // namespace

struct Server::Impl {
    Impl(ServerConfig config_in, Handler handler_in)
        : config(std::move(config_in)),
          handler(std::move(handler_in)),
          work(io.get_executor()),
          acceptor_strand(asio::make_strand(io)),
          acceptor(acceptor_strand),
          accept_timer(acceptor_strand) {}

    Status listen(const tcp::endpoint& endpoint);
    void accept();
    void on_accept(const std::shared_ptr<Session>& session, const beast::error_code& ec);
    bool enroll(const std::shared_ptr<Session>& session, bool admitted);
    void release(Session* session, bool admitted);
    std::vector<std::shared_ptr<Session>> snapshot();
    Response error_response(int status, std::string message) const;
    void begin_drain();
    void stop();

    const ServerConfig config;
    const Handler handler;
    const std::shared_ptr<Gate> gate = std::make_shared<Gate>();
    ServerCounters counters;
    std::atomic<size_t> n_connections{0};
    std::atomic<size_t> n_rejecting{0};  // sessions answering 503, bounded by max_connections
    std::atomic<size_t> n_active_requests{0};
    std::atomic<bool> draining{false};
    uint16_t port = 0;
    std::mutex registry_mu;
    bool stopping = false;                                            // guarded by registry_mu
    std::unordered_map<Session*, std::shared_ptr<Session>> sessions;  // guarded by registry_mu
    std::mutex stop_mu;
    bool stopped = false;  // guarded by stop_mu
    // Declared after everything a Session touches: ~io_context frees the sessions that pending
    // handlers still hold, and they must find the members above alive.
    asio::io_context io;
    asio::executor_work_guard<asio::io_context::executor_type> work;
    Strand acceptor_strand;
    tcp::acceptor acceptor;
    asio::steady_timer accept_timer;
    std::vector<std::thread> threads;
};

namespace {

enum class State { Reading, Busy, Lingering, Closed };
enum class Phase { None, Idle, Header, Body, Write, Linger };

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(Server::Impl& server, Strand strand)
        : strand_(std::move(strand)),
          socket_(strand_),
          server_(server),
          limits_(server.config.limits),
          timer_(strand_) {}

    void start();
    void on_drain();
    void close_now();

    // Posted by Writer; `ex` is checked against the request in flight.
    void do_send(const ExchangePtr& ex, Response response);
    void do_start_stream(const ExchangePtr& ex, int status, std::string content_type,
                         Headers headers);
    void do_write(const ExchangePtr& ex, std::string data, size_t counted);
    void do_finish(const ExchangePtr& ex);
    void do_release(const ExchangePtr& ex);
    void do_slow_reader(const ExchangePtr& ex);

    const Strand strand_;
    tcp::socket socket_;
    bool admitted_ = false;    // set by the acceptor before start() is posted
    bool registered_ = false;  // in the registry; set by the acceptor before start() is posted

private:
    struct Pending {
        std::string bytes;
        size_t counted = 0;  // part of Exchange::queued_bytes
    };

    void next_request();
    void read_header();
    void on_header(const beast::error_code& ec);
    void read_body();
    void on_read_error(const beast::error_code& ec);
    void dispatch();
    Request take_request();
    void read_some();
    void on_read_some(const beast::error_code& ec, size_t n_bytes);
    void monitor();
    void respond_error(int status, std::string message);
    bool current(const ExchangePtr& ex) const;
    void enqueue(std::string bytes, size_t counted);
    void write_next();
    void on_written(const beast::error_code& ec);
    void response_done();
    void linger_close();
    void client_gone();
    void arm(std::chrono::milliseconds limit, Phase phase);
    void wait_timer();
    void on_timer(const beast::error_code& ec, uint64_t seq);
    void on_deadline();

    Server::Impl& server_;
    const ServerLimits& limits_;  // owned by server_.config
    asio::steady_timer timer_;
    beast::flat_buffer buffer_;  // bytes read and not yet parsed
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::string remote_address_;
    State state_ = State::Reading;
    Phase phase_ = Phase::None;
    SteadyClock::time_point deadline_;
    bool timer_waiting_ = false;
    uint64_t timer_seq_ = 0;  // bumps on every wait, so a superseded timer handler knows it
    bool reading_ = false;    // a read_some() is pending
    bool restart_after_cancel_ = false;  // it was cancelled to parse the next request
    bool read_timed_out_ = false;
    Phase timed_out_phase_ = Phase::None;
    size_t n_requests_ = 0;
    size_t linger_bytes_ = 0;
    // The request in flight (Busy) and its response.
    ExchangePtr ex_;
    SteadyClock::time_point received_at_;
    unsigned version_ = 11;
    bool keep_alive_ = false;
    bool head_only_ = false;  // a HEAD request: the head is written, the body is not
    bool chunked_ = false;
    bool last_queued_ = false;  // the response's last bytes are in queue_
    bool writing_ = false;
    std::deque<Pending> queue_;
};

// The handler's side of a request. Every call is checked, then posted to the Session's strand.
class Writer final : public ResponseWriter {
public:
    Writer(std::shared_ptr<Gate> gate, std::weak_ptr<Session> session, ExchangePtr ex,
           size_t max_queued_bytes)
        : gate_(std::move(gate)),
          session_(std::move(session)),
          ex_(std::move(ex)),
          max_queued_bytes_(max_queued_bytes) {}

    // A writer dropped before its response ended: the Session answers 500 or cuts the stream.
    ~Writer() override {
        try {
            post([](Session& s, const ExchangePtr& ex) { s.do_release(ex); });
        } catch (...) {  // NOLINT(bugprone-empty-catch): allocation failure; the stop() path
        }
    }

    void send(Response response) override {
        if (ended_.exchange(true) || closed()) return;
        post([r = std::move(response)](Session& s, const ExchangePtr& ex) mutable {
            s.do_send(ex, std::move(r));
        });
    }

    void start_stream(int status, std::string content_type, Headers headers) override {
        if (ended_.load() || closed()) return;
        post([status, ct = std::move(content_type), h = std::move(headers)](
                 Session& s, const ExchangePtr& ex) mutable {
            s.do_start_stream(ex, status, std::move(ct), std::move(h));
        });
    }

    void write(std::string data) override {
        if (data.empty() || ended_.load() || closed() || ex_->slow_reader.load()) return;
        size_t n = data.size();
        if (ex_->queued_bytes.fetch_add(n) + n > max_queued_bytes_) {
            if (!ex_->slow_reader.exchange(true)) {
                post([](Session& s, const ExchangePtr& ex) { s.do_slow_reader(ex); });
            }
            return;
        }
        post([d = std::move(data), n](Session& s, const ExchangePtr& ex) mutable {
            s.do_write(ex, std::move(d), n);
        });
    }

    void finish() override {
        if (ended_.exchange(true) || closed()) return;
        post([](Session& s, const ExchangePtr& ex) { s.do_finish(ex); });
    }

    bool closed() const override { return ex_->closed.load(std::memory_order_acquire); }

    void on_close(std::function<void()> callback) override {
        if (!callback) return;
        {
            std::lock_guard lock(ex_->mu);
            if (ex_->close_fired) return;
            if (!ex_->closed.load(std::memory_order_acquire)) {
                ex_->on_close = std::move(callback);
                return;
            }
            ex_->close_fired = true;
        }
        callback();
    }

private:
    template <typename F>
    void post(F&& f) {
        std::shared_lock lock(gate_->mu);
        if (!gate_->open) return;
        std::shared_ptr<Session> s = session_.lock();
        if (!s) return;
        asio::post(s->strand_, [s, ex = ex_, f = std::forward<F>(f)]() mutable { f(*s, ex); });
    }

    const std::shared_ptr<Gate> gate_;
    const std::weak_ptr<Session> session_;
    const ExchangePtr ex_;
    const size_t max_queued_bytes_;
    std::atomic<bool> ended_{false};  // send() or finish() was called; later calls are ignored
};

void Session::start() {
    beast::error_code ec;
    tcp::endpoint peer = socket_.remote_endpoint(ec);
    if (!ec) remote_address_ = peer.address().to_string();
    socket_.set_option(tcp::no_delay(true), ec);
    if (!admitted_) {
        return respond_error(503, fmt::format("the server is at its limit of {} connections",
                                              limits_.max_connections));
    }
    if (server_.draining.load()) return close_now();
    next_request();
}

// A fresh connection, or one with bytes already buffered, starts its header clock now; an
// empty kept-alive connection first waits idle_timeout for a byte (counted as idle, not slow).
void Session::next_request() {
    if (buffer_.size() > 0 || n_requests_ == 0) return read_header();
    if (server_.draining.load()) return close_now();
    arm(limits_.idle_timeout, Phase::Idle);
    read_some();
}

void Session::read_header() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(
        std::min<size_t>(limits_.max_header_bytes, std::numeric_limits<uint32_t>::max())));
    parser_->body_limit(uint64_t{limits_.max_body_bytes});
    read_timed_out_ = false;
    arm(limits_.header_timeout, Phase::Header);
    bhttp::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](const beast::error_code& ec, size_t) { self->on_header(ec); });
}

// Expect: 100-continue gets its interim response before the body is read (curl waits a second
// for it otherwise); a body over the limit by Content-Length was refused before this point.
void Session::on_header(const beast::error_code& ec) {
    if (state_ == State::Closed) return;
    if (ec) return on_read_error(ec);
    received_at_ = SteadyClock::now();
    if (parser_->is_done()) return dispatch();
    arm(limits_.body_timeout, Phase::Body);
    const auto& msg = parser_->get();
    auto expect = msg.find(bhttp::field::expect);
    if (expect != msg.end() && msg.version() >= 11 &&
        iequals(std::string_view(expect->value().data(), expect->value().size()), "100-continue")) {
        asio::async_write(socket_, asio::buffer(kContinue.data(), kContinue.size()),
                          [self = shared_from_this()](const beast::error_code& wec, size_t) {
                              if (self->state_ == State::Closed) return;
                              if (wec) return self->close_now();
                              self->read_body();
                          });
        return;
    }
    read_body();
}

void Session::read_body() {
    read_timed_out_ = false;
    bhttp::async_read(socket_, buffer_, *parser_,
                      [self = shared_from_this()](const beast::error_code& ec, size_t) {
                          if (self->state_ == State::Closed) return;
                          if (ec) return self->on_read_error(ec);
                          self->dispatch();
                      });
}

void Session::on_read_error(const beast::error_code& ec) {
    ServerCounters& counters = server_.counters;
    if (read_timed_out_) {
        counters.read_timeouts.fetch_add(1, std::memory_order_relaxed);
        bool header = timed_out_phase_ == Phase::Header;
        return respond_error(
            408,
            fmt::format("request {} not complete within {} ms", header ? "headers" : "body",
                        header ? limits_.header_timeout.count() : limits_.body_timeout.count()));
    }
    if (ec == bhttp::error::header_limit) {
        counters.headers_too_large.fetch_add(1, std::memory_order_relaxed);
        return respond_error(
            431, fmt::format("request headers exceed {} bytes", limits_.max_header_bytes));
    }
    if (ec == bhttp::error::body_limit) {
        counters.bodies_too_large.fetch_add(1, std::memory_order_relaxed);
        return respond_error(413,
                             fmt::format("request body exceeds {} bytes", limits_.max_body_bytes));
    }
    // The client closed (before or inside a request), or the socket failed: no one to answer.
    if (!is_http_error(ec) || ec == bhttp::error::end_of_stream ||
        ec == bhttp::error::partial_message) {
        return close_now();
    }
    counters.bad_requests.fetch_add(1, std::memory_order_relaxed);
    respond_error(400, fmt::format("malformed HTTP request: {}", ec.message()));
}

Request Session::take_request() {
    auto& msg = parser_->get();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& field : msg) {
        req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    req.body = std::move(msg.body());
    req.remote_address = remote_address_;
    req.received_at = received_at_;
    version_ = msg.version();
    keep_alive_ = msg.keep_alive();
    head_only_ = msg.method() == bhttp::verb::head;
    parser_.reset();
    return req;
}

// Hands the request to the handler. The catch is a safety net for a throwing handler (it gets
// a 500 through do_release); errors are meant to travel as responses.
void Session::dispatch() {
    phase_ = Phase::None;
    ++n_requests_;
    Request req = take_request();
    state_ = State::Busy;
    chunked_ = false;
    last_queued_ = false;
    ex_ = std::make_shared<Exchange>();
    ExchangePtr ex = ex_;
    server_.counters.requests.fetch_add(1, std::memory_order_relaxed);
    server_.n_active_requests.fetch_add(1, std::memory_order_relaxed);
    monitor();
    auto writer = std::make_shared<Writer>(server_.gate, weak_from_this(), ex,
                                           limits_.max_queued_write_bytes);
    try {
        server_.handler(std::move(req), std::move(writer));
    } catch (const std::exception& e) {
        http_log()->error("HTTP handler threw: {}", e.what());
        do_release(ex);
    } catch (...) {
        http_log()->error("HTTP handler threw a non-exception");
        do_release(ex);
    }
}

void Session::read_some() {
    reading_ = true;
    socket_.async_read_some(buffer_.prepare(kReadChunkBytes),
                            [self = shared_from_this()](const beast::error_code& ec, size_t n) {
                                self->on_read_some(ec, n);
                            });
}

// Keeps a read pending while Busy, up to a buffered next header (or one read chunk): beyond
// that the bytes wait in the kernel and a disconnect is only seen by a failing write.
void Session::monitor() {
    if (reading_ || state_ != State::Busy) return;
    if (buffer_.size() >= std::max(limits_.max_header_bytes, kReadChunkBytes)) return;
    read_some();
}

void Session::on_read_some(const beast::error_code& ec, size_t n_bytes) {
    reading_ = false;
    buffer_.commit(n_bytes);
    switch (state_) {
        case State::Closed: return;
        case State::Lingering:
            linger_bytes_ += buffer_.size();
            buffer_.consume(buffer_.size());
            if (ec || linger_bytes_ > kMaxLingerBytes) return close_now();
            return read_some();
        case State::Busy:
            // EOF counts as gone even if only the client's write side closed: HTTP/1.1 clients
            // that want an answer keep the connection open, and a generation must not run on.
            if (ec) return client_gone();
            return monitor();
        case State::Reading: {
            bool restart = std::exchange(restart_after_cancel_, false);
            if (ec && !(restart && ec == asio::error::operation_aborted)) return close_now();
            return next_request();
        }
    }
}

void Session::respond_error(int status, std::string message) {
    phase_ = Phase::None;
    state_ = State::Busy;
    keep_alive_ = false;
    head_only_ = false;
    Response r = server_.error_response(status, std::move(message));
    last_queued_ = true;
    enqueue(format_head(status, r.content_type, r.headers,
                        Framing{.content_length = r.body.size(), .keep_alive = false}) +
                r.body,
            0);
}

bool Session::current(const ExchangePtr& ex) const {
    return ex && ex == ex_ && state_ == State::Busy && !last_queued_ && !ex->ended;
}

void Session::do_send(const ExchangePtr& ex, Response response) {
    if (!current(ex) || ex->started) return;
    ex->started = true;
    int status = checked_status(response.status);
    keep_alive_ = keep_alive_ && !server_.draining.load();
    bool no_body = has_no_body(status);
    Framing framing{.keep_alive = keep_alive_};
    if (!no_body) framing.content_length = response.body.size();
    std::string out = format_head(status, response.content_type, response.headers, framing);
    if (!no_body && !head_only_) out += response.body;
    last_queued_ = true;
    enqueue(std::move(out), 0);
}

// HTTP/1.0 has no chunked encoding: its stream is the raw bytes, ended by closing.
void Session::do_start_stream(const ExchangePtr& ex, int status, std::string content_type,
                              Headers headers) {
    if (!current(ex) || ex->started) return;
    ex->started = true;
    ex->streaming = true;
    chunked_ = version_ >= 11;
    keep_alive_ = keep_alive_ && chunked_ && !server_.draining.load();
    enqueue(format_head(checked_status(status), content_type, headers,
                        Framing{.chunked = chunked_, .keep_alive = keep_alive_}),
            0);
}

void Session::do_write(const ExchangePtr& ex, std::string data, size_t counted) {
    if (!current(ex) || !ex->streaming || head_only_) {
        ex->queued_bytes.fetch_sub(counted);
        return;
    }
    if (!chunked_) return enqueue(std::move(data), counted);
    std::string framed = fmt::format("{:x}\r\n", data.size());
    framed += data;
    framed += "\r\n";
    enqueue(std::move(framed), counted);
}

void Session::do_finish(const ExchangePtr& ex) {
    if (!current(ex)) return;
    if (!ex->streaming) return do_release(ex);  // finish() without start_stream()
    last_queued_ = true;
    if (chunked_ && !head_only_) return enqueue("0\r\n\r\n", 0);
    if (!writing_) write_next();
}

// The writer is gone (or the handler threw) and the response has not ended: answer 500 if
// nothing was sent; cut a started stream so the client sees it incomplete.
void Session::do_release(const ExchangePtr& ex) {
    if (!current(ex)) return;
    if (!ex->started) {
        http_log()->warn("HTTP handler released a request without answering; sending 500");
        return do_send(ex, server_.error_response(500, "the request handler did not answer"));
    }
    http_log()->warn("HTTP handler released a stream without finishing it; closing");
    close_now();
}

void Session::do_slow_reader(const ExchangePtr& ex) {
    if (!ex || ex != ex_ || ex->ended || state_ == State::Closed) return;
    server_.counters.slow_readers.fetch_add(1, std::memory_order_relaxed);
    http_log()->debug("client {} reads too slowly (over {} bytes queued); closing", remote_address_,
                      limits_.max_queued_write_bytes);
    close_now();
}

void Session::enqueue(std::string bytes, size_t counted) {
    queue_.push_back(Pending{std::move(bytes), counted});
    if (!writing_) write_next();
}

void Session::write_next() {
    if (queue_.empty()) {
        writing_ = false;
        if (last_queued_) return response_done();
        phase_ = Phase::None;  // a stream waiting for its next chunk has no deadline
        return;
    }
    writing_ = true;
    arm(limits_.write_timeout, Phase::Write);
    const std::string& bytes = queue_.front().bytes;
    asio::async_write(
        socket_, asio::buffer(bytes.data(), bytes.size()),
        [self = shared_from_this()](const beast::error_code& ec, size_t) { self->on_written(ec); });
}

void Session::on_written(const beast::error_code& ec) {
    if (state_ == State::Closed) return;
    if (ec) return client_gone();
    if (ex_) ex_->queued_bytes.fetch_sub(queue_.front().counted);
    queue_.pop_front();
    write_next();
}

void Session::response_done() {
    phase_ = Phase::None;
    last_queued_ = false;
    if (ex_ && !ex_->ended) {
        ex_->ended = true;
        server_.n_active_requests.fetch_sub(1, std::memory_order_relaxed);
    }
    ex_.reset();
    if (!keep_alive_ || server_.draining.load()) return linger_close();
    state_ = State::Reading;
    if (reading_) {  // the monitor: its completion starts the next request
        restart_after_cancel_ = true;
        beast::error_code ignored;
        socket_.cancel(ignored);
        return;
    }
    next_request();
}

void Session::linger_close() {
    state_ = State::Lingering;
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    linger_bytes_ = buffer_.size();
    buffer_.consume(buffer_.size());
    arm(kLingerTime, Phase::Linger);
    if (!reading_) read_some();
}

void Session::client_gone() {
    if (ex_ && !ex_->ended) {
        server_.counters.client_disconnects.fetch_add(1, std::memory_order_relaxed);
    }
    close_now();
}

// Ends the connection at once. A request in flight ends too (n_active_requests drops before
// its on_close callback runs, so a waiting caller sees both).
void Session::close_now() {
    if (state_ == State::Closed) return;
    state_ = State::Closed;
    phase_ = Phase::None;
    ++timer_seq_;
    timer_waiting_ = false;
    timer_.cancel();
    beast::error_code ignored;
    socket_.close(ignored);
    queue_.clear();
    ExchangePtr ex = std::move(ex_);
    bool in_flight = ex && !ex->ended;
    if (in_flight) {
        ex->ended = true;
        server_.n_active_requests.fetch_sub(1, std::memory_order_relaxed);
    }
    if (registered_) {
        registered_ = false;
        server_.release(this, admitted_);  // drops the registry's reference; callers hold one
    }
    if (in_flight) notify_closed(*ex);
}

// Idle connections go now: waiting between requests, or fresh with nothing received yet.
void Session::on_drain() {
    if (state_ != State::Reading) return;
    if (phase_ == Phase::Idle || (phase_ == Phase::Header && buffer_.size() == 0)) close_now();
}

void Session::arm(std::chrono::milliseconds limit, Phase phase) {
    phase_ = phase;
    deadline_ = SteadyClock::now() + limit;
    if (!timer_waiting_ || timer_.expiry() > deadline_) wait_timer();
}

void Session::wait_timer() {
    timer_waiting_ = true;
    uint64_t seq = ++timer_seq_;
    timer_.expires_at(deadline_);
    timer_.async_wait(
        [self = shared_from_this(), seq](const beast::error_code& ec) { self->on_timer(ec, seq); });
}

void Session::on_timer(const beast::error_code& ec, uint64_t seq) {
    if (seq != timer_seq_) return;
    timer_waiting_ = false;
    if (ec || state_ == State::Closed || phase_ == Phase::None) return;
    if (SteadyClock::now() < deadline_) return wait_timer();
    on_deadline();
}

void Session::on_deadline() {
    switch (phase_) {
        case Phase::Idle:
            server_.counters.idle_timeouts.fetch_add(1, std::memory_order_relaxed);
            return close_now();
        case Phase::Header:
        case Phase::Body: {
            // The read handler answers 408; cancel again shortly in case the cancel fell
            // between two reads of Beast's composed operation.
            read_timed_out_ = true;
            timed_out_phase_ = phase_;
            beast::error_code ignored;
            socket_.cancel(ignored);
            return arm(kCancelRetry, phase_);
        }
        case Phase::Write:
            server_.counters.write_timeouts.fetch_add(1, std::memory_order_relaxed);
            http_log()->debug("client {} stopped reading for {} ms; closing", remote_address_,
                              limits_.write_timeout.count());
            return close_now();
        case Phase::Linger: return close_now();
        case Phase::None: return;
    }
}

}  // namespace

Status Server::Impl::listen(const tcp::endpoint& endpoint) {
    beast::error_code ec;
    auto fail = [&](const char* what) {
        return unavailable(fmt::format("HTTP server cannot {} {}:{}: {}", what, config.host,
                                       config.port, ec.message()));
    };
    acceptor.open(endpoint.protocol(), ec);
    if (ec) return fail("open a socket for");
    acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) return fail("set SO_REUSEADDR on");
    acceptor.bind(endpoint, ec);
    if (ec) return fail("bind");
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return fail("listen on");
    port = acceptor.local_endpoint(ec).port();
    if (ec) return fail("read the port of");
    return ok_status();
}

void Server::Impl::accept() {
    auto session = std::make_shared<Session>(*this, asio::make_strand(io));
    acceptor.async_accept(session->socket_,
                          [this, session](const beast::error_code& ec) { on_accept(session, ec); });
}

// Past max_connections a Session still answers (503, then closes), so the client learns why;
// past twice the limit the socket is just closed, so a flood costs nothing to hold.
void Server::Impl::on_accept(const std::shared_ptr<Session>& session, const beast::error_code& ec) {
    if (!acceptor.is_open()) return;
    if (ec) {
        if (ec == asio::error::operation_aborted) return;
        counters.accept_errors.fetch_add(1, std::memory_order_relaxed);
        http_log()->warn("HTTP accept on port {}: {}; retrying in {} ms", port, ec.message(),
                         kAcceptRetry.count());
        accept_timer.expires_after(kAcceptRetry);
        accept_timer.async_wait([this](const beast::error_code& wec) {
            if (!wec && acceptor.is_open()) accept();
        });
        return;
    }
    counters.connections_accepted.fetch_add(1, std::memory_order_relaxed);
    const size_t limit = config.limits.max_connections;
    bool admitted = n_connections.load() < limit;
    if (!admitted) counters.connections_rejected.fetch_add(1, std::memory_order_relaxed);
    bool answer = !draining.load() && (admitted || n_rejecting.load() < limit);
    if (answer && enroll(session, admitted)) {
        asio::post(session->strand_, [session] { session->start(); });
    } else {
        beast::error_code ignored;
        session->socket_.close(ignored);
    }
    accept();
}

bool Server::Impl::enroll(const std::shared_ptr<Session>& session, bool admitted) {
    std::lock_guard lock(registry_mu);
    if (stopping) return false;
    sessions.emplace(session.get(), session);
    (admitted ? n_connections : n_rejecting).fetch_add(1);
    session->admitted_ = admitted;
    session->registered_ = true;
    return true;
}

void Server::Impl::release(Session* session, bool admitted) {
    std::shared_ptr<Session> dropped;  // destroyed after the lock is released
    {
        std::lock_guard lock(registry_mu);
        auto it = sessions.find(session);
        if (it != sessions.end()) {
            dropped = std::move(it->second);
            sessions.erase(it);
        }
    }
    (admitted ? n_connections : n_rejecting).fetch_sub(1);
}

std::vector<std::shared_ptr<Session>> Server::Impl::snapshot() {
    std::lock_guard lock(registry_mu);
    std::vector<std::shared_ptr<Session>> out;
    out.reserve(sessions.size());
    for (const auto& [ptr, session] : sessions) out.push_back(session);
    return out;
}

Response Server::Impl::error_response(int status, std::string message) const {
    if (config.error_body) {
        Response r = config.error_body(status, std::move(message));
        r.status = status;
        return r;
    }
    Response r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(message) + "\n";
    return r;
}

void Server::Impl::begin_drain() {
    if (draining.exchange(true)) return;
    asio::post(acceptor_strand, [this] {
        beast::error_code ignored;
        acceptor.close(ignored);
        accept_timer.cancel();
    });
    for (auto& session : snapshot()) {
        asio::post(session->strand_, [session] { session->on_drain(); });
    }
}

// Closes the gate first, so no writer posts into an io_context that is going away, then stops
// and joins the io threads and closes what is left from this thread (on_close callbacks of
// requests still in flight run here).
void Server::Impl::stop() {
    std::lock_guard stop_lock(stop_mu);
    if (stopped) return;
    stopped = true;
    GS_CHECK(!io.get_executor().running_in_this_thread());
    {
        std::unique_lock lock(gate->mu);
        gate->open = false;
    }
    draining.store(true);
    io.stop();
    for (auto& t : threads) t.join();
    threads.clear();
    beast::error_code ignored;
    acceptor.close(ignored);
    accept_timer.cancel();
    std::unordered_map<Session*, std::shared_ptr<Session>> live;
    {
        std::lock_guard lock(registry_mu);
        stopping = true;
        live.swap(sessions);
    }
    for (auto& [ptr, session] : live) session->close_now();
}

std::optional<std::string_view> Request::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) return std::string_view(value);
    }
    return std::nullopt;
}

std::string_view Request::path() const {
    std::string_view t = target;
    return t.substr(0, t.find('?'));
}

Result<std::unique_ptr<Server>> Server::start(ServerConfig config, Handler handler) {
    if (config.io_threads <= 0) {
        return invalid_argument(
            fmt::format("HTTP server io_threads must be positive, got {}", config.io_threads));
    }
    if (!handler) return invalid_argument("HTTP server needs a handler");
    if (config.limits.max_connections == 0) {
        return invalid_argument("HTTP server max_connections must be positive");
    }
    beast::error_code ec;
    auto address = asio::ip::make_address(config.host, ec);
    if (ec) {
        return invalid_argument(
            fmt::format("HTTP server host '{}' is not an IP address", config.host));
    }
    auto impl = std::make_unique<Impl>(std::move(config), std::move(handler));
    Status listening = impl->listen(tcp::endpoint(address, impl->config.port));
    if (!listening.ok()) return listening;
    impl->accept();
    for (int i = 0; i < impl->config.io_threads; ++i) {
        impl->threads.emplace_back([io = &impl->io] { io->run(); });
    }
    return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
    stop();
}

uint16_t Server::port() const {
    return impl_->port;
}

size_t Server::n_connections() const {
    return impl_->n_connections.load();
}

size_t Server::n_active_requests() const {
    return impl_->n_active_requests.load();
}

const ServerCounters& Server::counters() const {
    return impl_->counters;
}

void Server::begin_drain() {
    impl_->begin_drain();
}

void Server::stop() {
    impl_->stop();
}

}  // namespace glmserve::http
