// Server: an HTTP/1.1 server on Boost.Beast that protects itself from its clients, shared by
// `glmserve serve` and the gateway.
//
// What it guarantees, whatever the client sends:
// - Limits: request headers over max_header_bytes get 431, a body over max_body_bytes 413
//   (from Content-Length before reading it, or as it streams in for chunked bodies), anything
//   unparsable 400; each answered with `Connection: close` and the connection closed (after a
//   short lingering read that discards what the client still sends, so it reads the answer
//   rather than a reset). Garbage after a complete request is read as the next request and
//   gets its 400. `Expect: 100-continue` is answered with `100 Continue` before the body is read.
// - Time: the whole header must arrive within header_timeout and the body within body_timeout
//   of the header (slowloris defence: the clock is not reset by each trickled byte); an idle
//   keep-alive connection is closed after idle_timeout; a client that stops reading while a
//   response is written is dropped after write_timeout. Expired reads are answered with 408
//   when nothing of the response has been sent yet.
//   Which clock runs: a fresh connection's header_timeout starts at accept; a kept-alive one
//   waits idle_timeout for its next first byte (an idle_timeouts count), then header_timeout
//   starts (read_timeouts). Bytes already buffered (pipelined) start header_timeout at once.
// - Connections: past max_connections a new connection is answered with 503 and closed, so the
//   listener never stalls and established connections are unaffected. While as many 503s are
//   already in flight as max_connections, further ones are closed without an answer.
// - Pipelining: requests on one connection are answered in order, one at a time; bytes of the
//   next request that arrive early stay buffered.
// - Disconnects: while a handler owns a request, the connection keeps a read pending, so a
//   client that goes away is noticed at once (not only at the next write); the writer's
//   on_close callback fires and closed() turns true. The handler should then cancel its work.
//   Bytes that arrive there (a pipelined request) are kept for the next parse, up to
//   max(max_header_bytes, 16 KiB); past that the read pauses and a disconnect shows up only as
//   a failed write. Simplification: EOF counts as gone, even a half-close after sending.
// - Slow readers: a ResponseWriter buffers at most max_queued_write_bytes not yet written to the
//   socket; past that the connection is closed as a slow client (on_close fires). The bound
//   covers stream chunks from write(), counted when write() is called (so a producer thread
//   that outruns the socket is caught too), so one chunk larger than the bound closes too; a
//   send() body is sized by the application and only write_timeout applies to it.
//
// Handlers run on the connection's strand and must not block: they either answer at once with
// send(), or keep the writer and answer later from any thread (the engine's scheduler does).
// Errors the server produces itself (400/408/413/431/503) get bodies from
// ServerConfig::error_body, so the application decides their JSON shape. A handler that throws,
// or drops its writer without answering, gets a 500 sent for it; a stream dropped before
// finish() is cut (connection closed) so the client sees it incomplete. Responses always carry
// Content-Length (send) or chunked encoding (streams); HTTP/1.0 clients get a stream as raw
// bytes ended by closing. A HEAD request's response has its head and no body.
//
// TLS: with ServerConfig::tls set, every connection starts with a TLS handshake (TLS 1.2+),
// which must finish within header_timeout (counted as a read timeout otherwise) and happens
// before anything else, a 503 over max_connections included; a failed handshake (a plain-HTTP
// client, an unknown or missing client certificate under mutual TLS) closes the connection
// and counts tls_handshake_failures. reload_tls() swaps the certificate for connections
// accepted afterwards (certificate rotation without a restart).
// Simplification: closing a TLS connection closes TCP without a close_notify alert; every
// response has its length or chunked framing, so clients still detect truncation.
//
// Draining: begin_drain() closes the listener and idle connections; a connection busy with a
// request finishes it, answers with `Connection: close` and closes. n_active_requests() tells
// the caller when everything is done. stop() closes every connection and joins the io threads.
// begin_drain() is asynchronous: the listener closes on its strand shortly after it returns.
// Thread: start/begin_drain/stop/counters from any thread (stop not from an io thread: that is
// a GS_CHECK); ResponseWriter methods from any thread (they post to the connection's strand),
// also after stop() and after the Server is destroyed, when they do nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "http/tls_options.h"

namespace glmserve::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct ServerLimits {
    size_t max_header_bytes = 16 * 1024;
    size_t max_body_bytes = 4 * 1024 * 1024;
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds body_timeout{30'000};
    std::chrono::milliseconds idle_timeout{60'000};
    std::chrono::milliseconds write_timeout{30'000};
    size_t max_connections = 1024;
    size_t max_queued_write_bytes = 8 * 1024 * 1024;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    Headers headers;  // extra headers (Retry-After, X-Request-Id, ...)
    std::string body;
};

struct ServerConfig {
    std::string host = "127.0.0.1";  // an IPv4 or IPv6 address, not a name
    uint16_t port = 0;               // 0: an ephemeral port (see Server::port())
    int io_threads = 1;
    ServerLimits limits;
    TlsServerOptions tls;  // not enabled(): plain HTTP
    // Builds the body of an error the server answers by itself (status, message).
    std::function<Response(int status, std::string message)> error_body;
};

struct Request {
    std::string method;  // "GET", "POST", ...
    std::string target;  // path and query, as sent
    Headers headers;     // names as sent
    std::string body;
    std::string remote_address;                         // "127.0.0.1"
    std::chrono::steady_clock::time_point received_at;  // when the header was complete

    // Case-insensitive lookup; the first match.
    std::optional<std::string_view> header(std::string_view name) const;
    // target without the query string.
    std::string_view path() const;
};

// One per request. Exactly one of send() or start_stream()..finish() is used; calls after the
// response ended, or after the client went away, are ignored.
class ResponseWriter {
public:
    virtual ~ResponseWriter() = default;

    virtual void send(Response response) = 0;
    // A chunked response (SSE: content_type "text/event-stream"); the head is written at once.
    virtual void start_stream(int status, std::string content_type, Headers headers) = 0;
    virtual void write(std::string data) = 0;  // one chunk
    virtual void finish() = 0;                 // the last chunk

    // True once the client is gone (disconnect, write error or timeout, slow reader, stop()).
    virtual bool closed() const = 0;
    // Called once, on an io thread, when the client goes away before the response ended
    // (immediately, on the calling thread, if it already has; on the thread calling
    // Server::stop() for requests that stop() cuts). Keep it short: set a flag, cancel a request.
    virtual void on_close(std::function<void()> callback) = 0;
};

using Handler = std::function<void(Request request, std::shared_ptr<ResponseWriter> writer)>;

struct ServerCounters {
    std::atomic<uint64_t> connections_accepted{0};    // every TCP accept, rejected ones too
    std::atomic<uint64_t> connections_rejected{0};    // over max_connections
    std::atomic<uint64_t> requests{0};                // complete requests handed to the handler
    std::atomic<uint64_t> bad_requests{0};            // unparsable: 400
    std::atomic<uint64_t> headers_too_large{0};       // 431
    std::atomic<uint64_t> bodies_too_large{0};        // 413
    std::atomic<uint64_t> read_timeouts{0};           // header or body too slow: 408
    std::atomic<uint64_t> idle_timeouts{0};           // keep-alive connection closed when idle
    std::atomic<uint64_t> write_timeouts{0};          // client stopped reading
    std::atomic<uint64_t> slow_readers{0};            // max_queued_write_bytes exceeded
    std::atomic<uint64_t> client_disconnects{0};      // gone while a request was in flight
    std::atomic<uint64_t> accept_errors{0};           // accept() failed (EMFILE...): retried
    std::atomic<uint64_t> tls_handshake_failures{0};  // bad certificate, not TLS, ...
};

class Server {
public:
    // Binds, listens and starts config.io_threads threads. Unavailable naming the address when
    // it cannot bind; InvalidArgument for a bad host, zero threads or TLS files that do not
    // load (naming the file).
    static Result<std::unique_ptr<Server>> start(ServerConfig config, Handler handler);
    ~Server();  // stop()

    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    uint16_t port() const;
    size_t n_connections() const;
    // Handed to the handler and not yet ended: the response's last byte is on the socket, or
    // the connection closed.
    size_t n_active_requests() const;
    const ServerCounters& counters() const;

    // Loads new certificate files for connections accepted from now on; on error (the message
    // names the file) the old ones stay. FailedPrecondition on a server started without TLS.
    Status reload_tls(const TlsServerOptions& options);

    void begin_drain();
    void stop();

    struct Impl;

private:
    explicit Server(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace glmserve::http
