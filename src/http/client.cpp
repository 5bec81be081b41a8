// Connection (see client.h): Beast's response_parser<buffer_body> read loop over a TCP
// connection (TLS for https URLs: a handshake follows the connect), so chunked and Content-Length
// bodies are both decoded and handed to on_body as they arrive, with Beast's header/body limits.
//
// Per-request state lives in an Exchange and per-socket state in a Link, both shared with the
// handlers of their pending operations. Ending a request (success, error, timeout, close())
// marks its Exchange done and, on errors, closes and drops the Link; handlers that complete
// later see `done` and return, and their captured Link keeps the socket and buffer they were
// given alive until then. So a new request can start on a fresh Link at once.
//
// Timeouts use one timer per Connection, waited on lazily: arm() only moves the Exchange's
// phase deadline, and the timer re-waits when it fires early, so a token stream does not cost
// a timer cancel per chunk.
// Thread: every member of Impl is touched only on `strand`.
#include "http/client.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <optional>

#include "http/stream.h"

namespace glmserve::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using Strand = asio::strand<asio::io_context::executor_type>;

namespace {

constexpr size_t kReadChunkBytes = 16 << 10;

// One connection and the bytes read from it but not yet parsed.
struct Link {
    Link(const Strand& strand, TlsContext* tls) : stream(tcp::socket(strand), tls) {}
    detail::Stream stream;
    beast::flat_buffer buffer;
};

// One request in flight.
struct Exchange {
    ClientCallbacks cb;
    bhttp::request<bhttp::string_body> wire;
    std::optional<bhttp::response_parser<bhttp::buffer_body>> parser;
    std::array<char, kReadChunkBytes> chunk;
    SteadyClock::time_point total_deadline;
    SteadyClock::time_point phase_deadline;
    const char* phase = "connect";  // the timeout that phase_deadline enforces
    std::chrono::milliseconds phase_limit{0};
    bool reused = false;   // written on a connection kept alive from an earlier request
    bool retried = false;  // already retried once on a fresh connection
    bool got_body = false;
    bool done = false;
};

using ExchangePtr = std::shared_ptr<Exchange>;
using LinkPtr = std::shared_ptr<Link>;

bool is_parse_error(const beast::error_code& ec) {
    return ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category();
}

// stream_truncated: the TLS peer closed TCP without a close_notify alert first.
bool is_closed_by_peer(const beast::error_code& ec) {
    return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::ssl::error::stream_truncated;
}

bool has_crlf(std::string_view s) {
    return s.find_first_of("\r\n") != std::string_view::npos;
}

}  // namespace

struct Connection::Impl {
    Impl(Connection& owner_in, asio::io_context& io, Url endpoint_in, ClientTimeouts timeouts_in,
         ClientLimits limits_in, std::shared_ptr<TlsContext> tls_in)
        : owner(owner_in),
          endpoint(std::move(endpoint_in)),
          timeouts(timeouts_in),
          limits(limits_in),
          tls(std::move(tls_in)),
          strand(asio::make_strand(io)),
          resolver(strand),
          timer(strand) {}

    std::shared_ptr<Connection> keep() { return owner.shared_from_this(); }

    void start(ClientRequest request, ClientCallbacks cb);
    Status build_wire(Exchange& e, ClientRequest request) const;
    void connect(const ExchangePtr& e);
    void on_connected(const ExchangePtr& e, const LinkPtr& l, const beast::error_code& ec);
    void handshake(const ExchangePtr& e, const LinkPtr& l);
    void write(const ExchangePtr& e, const LinkPtr& l);
    void on_written(const ExchangePtr& e, const LinkPtr& l, const beast::error_code& ec);
    void on_header(const ExchangePtr& e, const LinkPtr& l, const beast::error_code& ec);
    void read_body(const ExchangePtr& e, const LinkPtr& l);
    void on_body_read(const ExchangePtr& e, const LinkPtr& l, beast::error_code ec);
    bool retry_if_stale(const ExchangePtr& e, const beast::error_code& ec);
    void arm(const ExchangePtr& e, std::chrono::milliseconds limit, const char* phase);
    void wait_timer(const ExchangePtr& e, SteadyClock::time_point at);
    void on_timer(const ExchangePtr& e, uint64_t seq, const beast::error_code& ec);
    void finish(ExchangePtr e, const Status& status);
    void close_link();
    void cancel();

    Connection& owner;
    const Url endpoint;
    const ClientTimeouts timeouts;
    const ClientLimits limits;
    std::shared_ptr<TlsContext> tls;  // https only; null until the first request (see start())
    Strand strand;
    tcp::resolver resolver;
    asio::steady_timer timer;
    bool timer_waiting = false;
    uint64_t timer_seq = 0;  // bumps on every wait, so a stale timer handler knows it is stale
    LinkPtr link;            // the open connection, or null
    ExchangePtr active;      // the request in flight, or null
};

void Connection::Impl::start(ClientRequest request, ClientCallbacks cb) {
    auto e = std::make_shared<Exchange>();
    e->cb = std::move(cb);
    if (active) {
        e->done = true;
        e->cb.on_done(failed_precondition(fmt::format(
            "a request to {} is still in flight on this connection", endpoint.to_string())));
        return;
    }
    Status built = build_wire(*e, std::move(request));
    if (!built.ok()) {
        e->done = true;
        e->cb.on_done(built);
        return;
    }
    if (endpoint.is_https() && !tls) {  // the caller chose no trust settings: the system's
        auto shared = TlsContext::default_client();
        if (!shared.ok()) {
            e->done = true;
            e->cb.on_done(shared.status());
            return;
        }
        tls = std::move(shared).value();
    }
    active = e;
    e->total_deadline = SteadyClock::now() + timeouts.total;
    if (link && link->stream.socket().is_open()) {
        e->reused = true;
        write(e, link);
    } else {
        connect(e);
    }
}

Status Connection::Impl::build_wire(Exchange& e, ClientRequest request) const {
    if (request.method.empty() || has_crlf(request.method) || has_crlf(request.target)) {
        return invalid_argument("HTTP request: method or target is empty or contains CR/LF");
    }
    auto& w = e.wire;
    w.version(11);
    w.method_string(request.method);
    w.target(endpoint.path_prefix + request.target);
    for (auto& [name, value] : request.headers) {
        if (name.empty() || has_crlf(name) || has_crlf(value)) {
            return invalid_argument(
                fmt::format("HTTP request header '{}': empty or has CR/LF", name.substr(0, 40)));
        }
        w.insert(name, value);
    }
    if (w.find(bhttp::field::host) == w.end()) w.set(bhttp::field::host, endpoint.authority());
    if (w.find(bhttp::field::user_agent) == w.end()) {
        w.set(bhttp::field::user_agent, "glmserve-bench");
    }
    w.body() = std::move(request.body);
    // HTTP/1.1 is keep-alive by default; a caller's "Connection: close" is kept as given.
    if (w.find(bhttp::field::connection) == w.end()) w.keep_alive(true);
    w.prepare_payload();
    return ok_status();
}

void Connection::Impl::connect(const ExchangePtr& e) {
    arm(e, timeouts.connect, "connect");
    close_link();
    link = std::make_shared<Link>(strand, endpoint.is_https() ? tls.get() : nullptr);
    owner.n_connects_.fetch_add(1, std::memory_order_relaxed);
    LinkPtr l = link;
    auto on_connect = [this, self = keep(), e, l](const beast::error_code& ec, const auto&) {
        on_connected(e, l, ec);
    };
    beast::error_code addr_ec;
    auto address = asio::ip::make_address(endpoint.host, addr_ec);
    if (!addr_ec) {
        std::array<tcp::endpoint, 1> eps{tcp::endpoint(address, endpoint.port)};
        asio::async_connect(l->stream.socket(), eps, std::move(on_connect));
        return;
    }
    resolver.async_resolve(
        endpoint.host, std::to_string(endpoint.port),
        [this, self = keep(), e, l, on_connect = std::move(on_connect)](
            const beast::error_code& ec, tcp::resolver::results_type results) mutable {
            if (e->done) return;
            if (ec) {
                return finish(
                    e, unavailable(fmt::format("resolve {}: {}", endpoint.host, ec.message())));
            }
            asio::async_connect(l->stream.socket(), results, std::move(on_connect));
        });
}

void Connection::Impl::on_connected(const ExchangePtr& e, const LinkPtr& l,
                                    const beast::error_code& ec) {
    if (e->done) return;
    if (ec) {
        return finish(
            e, unavailable(fmt::format("connect to {}: {}", endpoint.authority(), ec.message())));
    }
    beast::error_code ignored;
    l->stream.socket().set_option(tcp::no_delay(true), ignored);
    if (l->stream.is_tls()) return handshake(e, l);
    write(e, l);
}

// Still under the connect timeout. The certificate must name the configured server name, else
// the URL's host; SNI carries a name but never an address (RFC 6066 §3).
void Connection::Impl::handshake(const ExchangePtr& e, const LinkPtr& l) {
    const std::string& name = tls->server_name().empty() ? endpoint.host : tls->server_name();
    auto& stream = l->stream.tls();
    beast::error_code not_address;
    asio::ip::make_address(name, not_address);
    if (not_address && SSL_set_tlsext_host_name(stream.native_handle(), name.c_str()) != 1) {
        return finish(e, invalid_argument(fmt::format("TLS server name '{}' is not valid", name)));
    }
    if (tls->verifies_peer()) stream.set_verify_callback(asio::ssl::host_name_verification(name));
    stream.async_handshake(
        asio::ssl::stream_base::client, [this, self = keep(), e, l](const beast::error_code& ec) {
            if (e->done) return;
            if (ec) {
                return finish(e, unavailable(fmt::format("TLS handshake with {}: {}",
                                                         endpoint.authority(), ec.message())));
            }
            write(e, l);
        });
}

void Connection::Impl::write(const ExchangePtr& e, const LinkPtr& l) {
    arm(e, timeouts.first_byte, "first_byte");
    bhttp::async_write(
        l->stream, e->wire,
        [this, self = keep(), e, l](const beast::error_code& ec, size_t) { on_written(e, l, ec); });
}

void Connection::Impl::on_written(const ExchangePtr& e, const LinkPtr& l,
                                  const beast::error_code& ec) {
    if (e->done) return;
    if (ec) {
        if (retry_if_stale(e, ec)) return;
        return finish(e, unavailable(fmt::format("send request to {}: {}", endpoint.authority(),
                                                 ec.message())));
    }
    e->parser.emplace();
    e->parser->header_limit(static_cast<uint32_t>(limits.max_header_bytes));
    e->parser->body_limit(limits.max_body_bytes);
    if (e->wire.method() == bhttp::verb::head) e->parser->skip(true);  // no body follows
    bhttp::async_read_header(l->stream, l->buffer, *e->parser,
                             [this, self = keep(), e, l](const beast::error_code& rec, size_t) {
                                 on_header(e, l, rec);
                             });
}

void Connection::Impl::on_header(const ExchangePtr& e, const LinkPtr& l,
                                 const beast::error_code& ec) {
    if (e->done) return;
    if (ec) {
        if (retry_if_stale(e, ec)) return;
        if (ec == bhttp::error::end_of_stream || is_closed_by_peer(ec)) {
            return finish(e, unavailable(fmt::format("{} closed the connection without a "
                                                     "response: {}",
                                                     endpoint.authority(), ec.message())));
        }
        if (is_parse_error(ec)) {
            return finish(e, data_loss(fmt::format("malformed response header from {}: {}",
                                                   endpoint.authority(), ec.message())));
        }
        return finish(e, unavailable(fmt::format("read response from {}: {}", endpoint.authority(),
                                                 ec.message())));
    }
    const auto& msg = e->parser->get();
    ResponseHead head;
    head.status = static_cast<int>(msg.result_int());
    for (const auto& field : msg) {
        head.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    if (e->cb.on_head) e->cb.on_head(head);
    if (e->done) return;
    read_body(e, l);
}

void Connection::Impl::read_body(const ExchangePtr& e, const LinkPtr& l) {
    if (e->parser->is_done()) {
        if (!e->parser->keep_alive()) close_link();
        return finish(e, ok_status());
    }
    auto& body = e->parser->get().body();
    body.data = e->chunk.data();
    body.size = e->chunk.size();
    bhttp::async_read_some(l->stream, l->buffer, *e->parser,
                           [this, self = keep(), e, l](const beast::error_code& ec, size_t) {
                               on_body_read(e, l, ec);
                           });
}

void Connection::Impl::on_body_read(const ExchangePtr& e, const LinkPtr& l, beast::error_code ec) {
    if (e->done) return;
    if (ec == bhttp::error::need_buffer) ec = {};
    if (ec) {
        const char* what =
            is_parse_error(ec) && !is_closed_by_peer(ec) && ec != bhttp::error::partial_message
                ? "malformed response body"
                : "connection closed mid-body";
        return finish(
            e, data_loss(fmt::format("{} from {}: {}", what, endpoint.authority(), ec.message())));
    }
    size_t n_bytes = e->chunk.size() - e->parser->get().body().size;
    if (n_bytes > 0) {
        e->got_body = true;
        arm(e, timeouts.idle_between_chunks, "idle_between_chunks");
        if (e->cb.on_body) e->cb.on_body(std::string_view(e->chunk.data(), n_bytes));
        if (e->done) return;
    }
    read_body(e, l);
}

// A keep-alive connection the server closed while idle shows up as EOF/reset on the first
// write or before any response byte. Retrying once on a new connection is what browsers and
// HTTP libraries do; the server never saw the request.
bool Connection::Impl::retry_if_stale(const ExchangePtr& e, const beast::error_code& ec) {
    if (!e->reused || e->retried || !is_closed_by_peer(ec)) return false;
    e->retried = true;
    e->reused = false;
    connect(e);
    return true;
}

void Connection::Impl::arm(const ExchangePtr& e, std::chrono::milliseconds limit,
                           const char* phase) {
    auto at = SteadyClock::now() + limit;
    e->phase = phase;
    e->phase_limit = limit;
    if (at >= e->total_deadline) {
        at = e->total_deadline;
        e->phase = "total";
        e->phase_limit = timeouts.total;
    }
    e->phase_deadline = at;
    if (!timer_waiting || timer.expiry() > at) wait_timer(e, at);
}

void Connection::Impl::wait_timer(const ExchangePtr& e, SteadyClock::time_point at) {
    timer_waiting = true;
    uint64_t seq = ++timer_seq;
    timer.expires_at(at);
    timer.async_wait(
        [this, self = keep(), e, seq](const beast::error_code& ec) { on_timer(e, seq, ec); });
}

void Connection::Impl::on_timer(const ExchangePtr& e, uint64_t seq, const beast::error_code& ec) {
    if (ec || seq != timer_seq) return;
    timer_waiting = false;
    if (e->done) return;
    if (SteadyClock::now() < e->phase_deadline) return wait_timer(e, e->phase_deadline);
    finish(e, deadline_exceeded(fmt::format("{} timeout ({} ms) talking to {}", e->phase,
                                            e->phase_limit.count(), endpoint.authority())));
}

// Ends `e` once: on errors the connection is closed first, so a request started from on_done
// reconnects. The callbacks stay in the Exchange (one may be running further up this stack)
// and are released with it when its last handler returns.
void Connection::Impl::finish(ExchangePtr e, const Status& status) {
    if (e->done) return;
    e->done = true;
    if (active == e) active.reset();
    ++timer_seq;
    timer_waiting = false;
    timer.cancel();
    if (!status.ok()) close_link();
    if (e->cb.on_done) e->cb.on_done(status);
}

void Connection::Impl::close_link() {
    resolver.cancel();
    if (!link) return;
    beast::error_code ignored;
    link->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    link->stream.socket().close(ignored);
    link.reset();
}

void Connection::Impl::cancel() {
    if (active) {
        finish(active,
               cancelled(fmt::format("request to {} cancelled by close()", endpoint.authority())));
    }
    close_link();
}

Connection::Connection(Passkey, asio::io_context& io, Url endpoint, ClientTimeouts timeouts,
                       ClientLimits limits, std::shared_ptr<TlsContext> tls)
    : impl_(std::make_unique<Impl>(*this, io, std::move(endpoint), timeouts, limits,
                                   std::move(tls))) {}

Connection::~Connection() = default;

std::shared_ptr<Connection> Connection::create(asio::io_context& io, Url endpoint,
                                               ClientTimeouts timeouts, ClientLimits limits,
                                               std::shared_ptr<TlsContext> tls) {
    return std::make_shared<Connection>(Passkey(), io, std::move(endpoint), timeouts, limits,
                                        std::move(tls));
}

void Connection::async_request(ClientRequest request, ClientCallbacks callbacks) {
    asio::post(impl_->strand, [self = shared_from_this(), request = std::move(request),
                               callbacks = std::move(callbacks)]() mutable {
        self->impl_->start(std::move(request), std::move(callbacks));
    });
}

void Connection::close() {
    asio::dispatch(impl_->strand, [self = shared_from_this()] { self->impl_->cancel(); });
}

const Url& Connection::endpoint() const {
    return impl_->endpoint;
}

}  // namespace glmserve::http
