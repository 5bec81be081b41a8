// Session and its ResponseWriter (see server_session.h): one accepted connection, reading with
// Beast's request_parser and writing responses it formats itself from a queue of strings.
//
// A Session is in one of four states. Reading: waiting for the next request (an idle wait with
// read_some, then Beast's header and body reads). Busy: the handler owns a request, or an error
// answer is being written; a read_some stays pending (the "monitor") so a disconnect is seen at
// once, and its bytes stay in `buffer_` for the next parse. Lingering: a `Connection: close`
// answer is out; the write side is shut and input is discarded for a moment, so a client still
// sending its body reads our answer instead of a reset. Closed.
//
// A TLS connection first completes its handshake (Phase::Handshake, under header_timeout); only
// then is it Reading, or answering 503 when it was accepted over max_connections.
//
// Deadlines use one timer per Session, re-waited lazily (arm() only moves `deadline_` when the
// timer already waits for an earlier time). A header or body deadline cancels the pending read
// and the read handler answers 408; the cancel is repeated until that handler ran, because a
// composed Beast read may sit between two of its reads when the cancel comes.
// Thread: everything in Session runs on its strand (close_now() also from stop() once the io
// threads are joined); Writer methods from any thread.
#include "http/server_session.h"

// g++ 12 with -fsanitize=address reports a false -Wmaybe-uninitialized inside Beast's request
// parser (basic_parser.hpp, a boost::optional content length); see fake_openai_server.cpp.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <exception>
#include <limits>

#include "obs/logging.h"

namespace glmserve::http::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kReadChunkBytes = 16 << 10;
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr size_t kMaxLingerBytes = 1 << 20;
constexpr std::chrono::milliseconds kCancelRetry{50};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

std::shared_ptr<spdlog::logger> http_log() {
    static const std::shared_ptr<spdlog::logger> log = obs::logger("http");
    return log;
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
    return ascii_iequals(name, "Content-Length") || ascii_iequals(name, "Transfer-Encoding") ||
           ascii_iequals(name, "Connection");
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
        if (!content_type.empty() && ascii_iequals(name, "Content-Type")) continue;
        out += fmt::format("{}: {}\r\n", name, value);
    }
    if (framing.content_length) {
        out += fmt::format("Content-Length: {}\r\n", *framing.content_length);
    }
    if (framing.chunked) out += "Transfer-Encoding: chunked\r\n";
    out += framing.keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
    return out;
}

bool is_http_error(const beast::error_code& ec) {
    return ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category();
}

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
}  // namespace

Session::Session(ServerCore& core, Strand strand, tcp::socket socket,
                 std::shared_ptr<TlsContext> tls)
    : strand_(std::move(strand)),
      tls_(std::move(tls)),
      stream_(std::move(socket), tls_.get()),
      core_(core),
      limits_(core.config.limits),
      timer_(strand_) {}

void Session::start() {
    beast::error_code ec;
    tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_address_ = peer.address().to_string();
    stream_.socket().set_option(tcp::no_delay(true), ec);
    if (stream_.is_tls()) return handshake();
    begin();
}

void Session::handshake() {
    arm(limits_.header_timeout, Phase::Handshake);
    stream_.tls().async_handshake(
        asio::ssl::stream_base::server,
        [self = shared_from_this()](const beast::error_code& ec) { self->on_handshake(ec); });
}

void Session::on_handshake(const beast::error_code& ec) {
    if (state_ == SessionState::Closed) return;
    if (ec) {
        core_.counters.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
        http_log()->debug("TLS handshake with {} failed: {}", remote_address_, ec.message());
        return close_now();
    }
    phase_ = Phase::None;
    begin();
}

// The connection can carry HTTP now.
void Session::begin() {
    if (!admitted_) {
        return respond_error(503, fmt::format("the server is at its limit of {} connections",
                                              limits_.max_connections));
    }
    if (core_.draining.load()) return close_now();
    next_request();
}

// A fresh connection, or one with bytes already buffered, starts its header clock now; an
// empty kept-alive connection first waits idle_timeout for a byte (counted as idle, not slow).
void Session::next_request() {
    if (buffer_.size() > 0 || n_requests_ == 0) return read_header();
    if (core_.draining.load()) return close_now();
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
        stream_, buffer_, *parser_,
        [self = shared_from_this()](const beast::error_code& ec, size_t) { self->on_header(ec); });
}

// Expect: 100-continue gets its interim response before the body is read (curl waits a second
// for it otherwise); a body over the limit by Content-Length was refused before this point.
void Session::on_header(const beast::error_code& ec) {
    if (state_ == SessionState::Closed) return;
    if (ec) return on_read_error(ec);
    received_at_ = SteadyClock::now();
    if (parser_->is_done()) return dispatch();
    arm(limits_.body_timeout, Phase::Body);
    const auto& msg = parser_->get();
    auto expect = msg.find(bhttp::field::expect);
    if (expect != msg.end() && msg.version() >= 11 &&
        ascii_iequals(std::string_view(expect->value().data(), expect->value().size()),
                      "100-continue")) {
        asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                          [self = shared_from_this()](const beast::error_code& wec, size_t) {
                              if (self->state_ == SessionState::Closed) return;
                              if (wec) return self->close_now();
                              self->read_body();
                          });
        return;
    }
    read_body();
}

void Session::read_body() {
    read_timed_out_ = false;
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](const beast::error_code& ec, size_t) {
                          if (self->state_ == SessionState::Closed) return;
                          if (ec) return self->on_read_error(ec);
                          self->dispatch();
                      });
}

void Session::on_read_error(const beast::error_code& ec) {
    ServerCounters& counters = core_.counters;
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
    state_ = SessionState::Busy;
    chunked_ = false;
    last_queued_ = false;
    ex_ = std::make_shared<Exchange>();
    ExchangePtr ex = ex_;
    core_.counters.requests.fetch_add(1, std::memory_order_relaxed);
    core_.n_active_requests.fetch_add(1, std::memory_order_relaxed);
    monitor();
    auto writer =
        std::make_shared<Writer>(core_.gate, weak_from_this(), ex, limits_.max_queued_write_bytes);
    try {
        core_.handler(std::move(req), std::move(writer));
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
    stream_.async_read_some(buffer_.prepare(kReadChunkBytes),
                            [self = shared_from_this()](const beast::error_code& ec, size_t n) {
                                self->on_read_some(ec, n);
                            });
}

// Keeps a read pending while Busy, up to a buffered next header (or one read chunk): beyond
// that the bytes wait in the kernel and a disconnect is only seen by a failing write.
void Session::monitor() {
    if (reading_ || state_ != SessionState::Busy) return;
    if (buffer_.size() >= std::max(limits_.max_header_bytes, kReadChunkBytes)) return;
    read_some();
}

void Session::on_read_some(const beast::error_code& ec, size_t n_bytes) {
    reading_ = false;
    buffer_.commit(n_bytes);
    switch (state_) {
        case SessionState::Closed: return;
        case SessionState::Lingering:
            linger_bytes_ += buffer_.size();
            buffer_.consume(buffer_.size());
            if (ec || linger_bytes_ > kMaxLingerBytes) return close_now();
            return read_some();
        case SessionState::Busy:
            // EOF counts as gone even if only the client's write side closed: HTTP/1.1 clients
            // that want an answer keep the connection open, and a generation must not run on.
            if (ec) return client_gone();
            return monitor();
        case SessionState::Reading: {
            bool restart = std::exchange(restart_after_cancel_, false);
            if (ec && !(restart && ec == asio::error::operation_aborted)) return close_now();
            return next_request();
        }
    }
}

void Session::respond_error(int status, std::string message) {
    phase_ = Phase::None;
    state_ = SessionState::Busy;
    keep_alive_ = false;
    head_only_ = false;
    Response r = core_.error_response(status, std::move(message));
    last_queued_ = true;
    enqueue(format_head(status, r.content_type, r.headers,
                        Framing{.content_length = r.body.size(), .keep_alive = false}) +
                r.body,
            0);
}

bool Session::current(const ExchangePtr& ex) const {
    return ex && ex == ex_ && state_ == SessionState::Busy && !last_queued_ && !ex->ended;
}

void Session::do_send(const ExchangePtr& ex, Response response) {
    if (!current(ex) || ex->started) return;
    ex->started = true;
    int status = checked_status(response.status);
    keep_alive_ = keep_alive_ && !core_.draining.load();
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
    keep_alive_ = keep_alive_ && chunked_ && !core_.draining.load();
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
        return do_send(ex, core_.error_response(500, "the request handler did not answer"));
    }
    http_log()->warn("HTTP handler released a stream without finishing it; closing");
    close_now();
}

void Session::do_slow_reader(const ExchangePtr& ex) {
    if (!ex || ex != ex_ || ex->ended || state_ == SessionState::Closed) return;
    core_.counters.slow_readers.fetch_add(1, std::memory_order_relaxed);
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
        stream_, asio::buffer(bytes.data(), bytes.size()),
        [self = shared_from_this()](const beast::error_code& ec, size_t) { self->on_written(ec); });
}

void Session::on_written(const beast::error_code& ec) {
    if (state_ == SessionState::Closed) return;
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
        core_.n_active_requests.fetch_sub(1, std::memory_order_relaxed);
    }
    ex_.reset();
    if (!keep_alive_ || core_.draining.load()) return linger_close();
    state_ = SessionState::Reading;
    if (reading_) {  // the monitor: its completion starts the next request
        restart_after_cancel_ = true;
        beast::error_code ignored;
        stream_.socket().cancel(ignored);
        return;
    }
    next_request();
}

void Session::linger_close() {
    state_ = SessionState::Lingering;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    linger_bytes_ = buffer_.size();
    buffer_.consume(buffer_.size());
    arm(kLingerTime, Phase::Linger);
    if (!reading_) read_some();
}

void Session::client_gone() {
    if (ex_ && !ex_->ended) {
        core_.counters.client_disconnects.fetch_add(1, std::memory_order_relaxed);
    }
    close_now();
}

// Ends the connection at once. A request in flight ends too (n_active_requests drops before
// its on_close callback runs, so a waiting caller sees both).
void Session::close_now() {
    if (state_ == SessionState::Closed) return;
    state_ = SessionState::Closed;
    phase_ = Phase::None;
    ++timer_seq_;
    timer_waiting_ = false;
    timer_.cancel();
    beast::error_code ignored;
    stream_.socket().close(ignored);
    queue_.clear();
    ExchangePtr ex = std::move(ex_);
    bool in_flight = ex && !ex->ended;
    if (in_flight) {
        ex->ended = true;
        core_.n_active_requests.fetch_sub(1, std::memory_order_relaxed);
    }
    if (registered_) {
        registered_ = false;
        core_.release(this, admitted_);  // drops the registry's reference; callers hold one
    }
    if (in_flight) notify_closed(*ex);
}

// Idle connections go now: waiting between requests, or fresh with nothing received yet (a TLS
// handshake in progress included).
void Session::on_drain() {
    if (state_ != SessionState::Reading) return;
    if (phase_ == Phase::Idle || phase_ == Phase::Handshake ||
        (phase_ == Phase::Header && buffer_.size() == 0)) {
        close_now();
    }
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
    if (ec || state_ == SessionState::Closed || phase_ == Phase::None) return;
    if (SteadyClock::now() < deadline_) return wait_timer();
    on_deadline();
}

void Session::on_deadline() {
    switch (phase_) {
        case Phase::Handshake:  // nothing can be answered before TLS is up
            core_.counters.read_timeouts.fetch_add(1, std::memory_order_relaxed);
            return close_now();
        case Phase::Idle:
            core_.counters.idle_timeouts.fetch_add(1, std::memory_order_relaxed);
            return close_now();
        case Phase::Header:
        case Phase::Body: {
            // The read handler answers 408; cancel again shortly in case the cancel fell
            // between two reads of Beast's composed operation.
            read_timed_out_ = true;
            timed_out_phase_ = phase_;
            beast::error_code ignored;
            stream_.socket().cancel(ignored);
            return arm(kCancelRetry, phase_);
        }
        case Phase::Write:
            core_.counters.write_timeouts.fetch_add(1, std::memory_order_relaxed);
            http_log()->debug("client {} stopped reading for {} ms; closing", remote_address_,
                              limits_.write_timeout.count());
            return close_now();
        case Phase::Linger: return close_now();
        case Phase::None: return;
    }
}

bool ascii_iequals(std::string_view a, std::string_view b) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [&](char x, char y) { return lower(x) == lower(y); });
}

}  // namespace glmserve::http::detail
