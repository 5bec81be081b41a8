// Internals of http::Server (server.h), shared by server.cpp (listener, registry, start/stop)
// and server_session.cpp (one Session per connection). Not a public header: nothing outside
// src/http includes it.
//
// ServerCore is what every Session shares with its Server: the configuration, the handler, the
// counters, the registry of live sessions and the Gate that stop() closes.
// Lifetime: the registry holds every live Session strongly until Session::close_now(); pending
// handlers and posted work hold it too. ResponseWriters hold only a weak_ptr plus the Gate, so
// after stop() no writer posts to a strand and no Session outlives the io_context.
// Thread: ServerCore atomics from any thread, the registry under registry_mu; a Session's state
// on its strand (see server_session.cpp); Exchange atomics and its `mu` from any thread.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/server.h"
#include "http/stream.h"
#include "http/tls_context.h"

namespace glmserve::http::detail {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
using SteadyClock = std::chrono::steady_clock;

// ASCII case-insensitive equality (header names).
bool ascii_iequals(std::string_view a, std::string_view b);

// Closed by stop(): writers check it under a shared lock before posting to a strand, and
// stop() closes it under the exclusive lock before it stops the io_context.
struct Gate {
    std::shared_mutex mu;
    bool open = true;  // guarded by mu
};

// One request handed to the handler, shared by its ResponseWriter and its Session.
// `closed` is stored with release and read with acquire so a thread that sees it true also sees
// the Session's n_active_requests drop made before it; the on_close hand-off is ordered by `mu`.
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

class Session;

struct ServerCore {
    ServerCore(ServerConfig config_in, Handler handler_in)
        : config(std::move(config_in)), handler(std::move(handler_in)) {}

    // Adds a just-accepted session unless stop() has begun; counts it as a connection
    // (admitted) or as a 503 answer in progress.
    bool enroll(const std::shared_ptr<Session>& session, bool admitted);
    void release(Session* session, bool admitted);
    std::vector<std::shared_ptr<Session>> snapshot();
    // Empties the registry for good (stop()).
    std::unordered_map<Session*, std::shared_ptr<Session>> take_all();
    // The body of an error the server answers by itself (config.error_body or plain text).
    Response error_response(int status, std::string message) const;
    // The TLS context for a connection accepted now (null: plain HTTP); replaced by reload_tls.
    std::shared_ptr<TlsContext> tls_context() const;
    void set_tls_context(std::shared_ptr<TlsContext> tls);

    const ServerConfig config;
    const Handler handler;
    const std::shared_ptr<Gate> gate = std::make_shared<Gate>();
    ServerCounters counters;
    std::atomic<size_t> n_connections{0};
    std::atomic<size_t> n_rejecting{0};  // sessions answering 503, bounded by max_connections
    std::atomic<size_t> n_active_requests{0};
    std::atomic<bool> draining{false};

private:
    mutable std::mutex tls_mu_;
    std::shared_ptr<TlsContext> tls_;  // guarded by tls_mu_
    std::mutex registry_mu_;
    bool stopping_ = false;                                            // guarded by registry_mu_
    std::unordered_map<Session*, std::shared_ptr<Session>> sessions_;  // guarded by registry_mu_
};

enum class SessionState { Reading, Busy, Lingering, Closed };
// What the timer enforces.
enum class Phase { None, Handshake, Idle, Header, Body, Write, Linger };

// One accepted connection (see server_session.cpp for the state machine).
class Session : public std::enable_shared_from_this<Session> {
public:
    // `socket`: just accepted, on `strand`. tls null: plain HTTP. The session keeps its
    // context alive across reload_tls().
    Session(ServerCore& core, Strand strand, boost::asio::ip::tcp::socket socket,
            std::shared_ptr<TlsContext> tls);

    void start();
    void on_drain();
    void close_now();

    // Posted by the ResponseWriter; `ex` is checked against the request in flight.
    void do_send(const ExchangePtr& ex, Response response);
    void do_start_stream(const ExchangePtr& ex, int status, std::string content_type,
                         Headers headers);
    void do_write(const ExchangePtr& ex, std::string data, size_t counted);
    void do_finish(const ExchangePtr& ex);
    void do_release(const ExchangePtr& ex);
    void do_slow_reader(const ExchangePtr& ex);

    const Strand strand_;
    const std::shared_ptr<TlsContext> tls_;  // before stream_, which uses it
    Stream stream_;
    bool admitted_ = false;    // set by ServerCore::enroll before start() is posted
    bool registered_ = false;  // set by ServerCore::enroll before start() is posted

private:
    struct Pending {
        std::string bytes;
        size_t counted = 0;  // part of Exchange::queued_bytes
    };
    using ErrorCode = boost::system::error_code;

    void handshake();
    void on_handshake(const ErrorCode& ec);
    void begin();
    void next_request();
    void read_header();
    void on_header(const ErrorCode& ec);
    void read_body();
    void on_read_error(const ErrorCode& ec);
    void dispatch();
    Request take_request();
    void read_some();
    void on_read_some(const ErrorCode& ec, size_t n_bytes);
    void monitor();
    void respond_error(int status, std::string message);
    bool current(const ExchangePtr& ex) const;
    void enqueue(std::string bytes, size_t counted);
    void write_next();
    void on_written(const ErrorCode& ec);
    void response_done();
    void linger_close();
    void client_gone();
    void arm(std::chrono::milliseconds limit, Phase phase);
    void wait_timer();
    void on_timer(const ErrorCode& ec, uint64_t seq);
    void on_deadline();

    ServerCore& core_;
    const ServerLimits& limits_;  // owned by core_.config
    boost::asio::steady_timer timer_;
    boost::beast::flat_buffer buffer_;  // bytes read and not yet parsed
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    std::string remote_address_;
    SessionState state_ = SessionState::Reading;
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

}  // namespace glmserve::http::detail
