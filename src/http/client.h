// Connection: one HTTP/1.1 keep-alive client connection on a caller's io_context, streaming
// the response body to callbacks as it arrives (the load generator measures time to first
// token and inter-token gaps from on_body).
//
// One request at a time per Connection. The TCP connection is opened lazily by the first
// request, kept open while the server allows keep-alive, and reopened by a later request when
// the previous one ended it. A request written on a reused connection that the server had
// already closed (no response byte came back) is retried once on a fresh connection.
//
// https URLs speak TLS: the handshake follows the TCP connect, under the connect timeout, with
// the TlsContext given to create() (its CA file, client certificate, server name) or, when none
// is, the system's trust store with full verification. A failed handshake (untrusted or
// misnamed certificate, a server demanding a client certificate) ends the request Unavailable,
// naming OpenSSL's reason. http URLs ignore the context.
//
// Callback contract: on_head at most once, then on_body zero or more times with decoded body
// bytes (chunked or Content-Length), then on_done exactly once; nothing is called after
// on_done, including after timeouts and close(). on_done's status:
//   OK                the whole body arrived (any HTTP status: 4xx/5xx are delivered, not errors)
//   Unavailable       resolve/connect/TLS handshake failed or refused, or the server closed
//                     before answering
//   DeadlineExceeded  a ClientTimeouts limit passed (the message names which)
//   DataLoss          connection closed mid-response, malformed HTTP, or a header/body limit
//   Cancelled         close() was called while the request was in flight
//   FailedPrecondition async_request while another request is still in flight
// Callbacks may call async_request() or close() on this Connection (e.g. the next request
// from on_done). A request's callbacks (and what they capture) are released once on_done has
// returned and the request's last pending I/O handler has run. If the io_context is stopped
// or destroyed with a request in flight, on_done is never called: run it until done.
//
// Simplification: Beast stays out of this header (pimpl); the request target is appended to
// the endpoint's path_prefix; no proxies, no pipelining, no TLS session resumption.
// Thread: all I/O, timers and callbacks run on an internal strand of the io_context, so the
// io_context may be run by several threads. async_request() and close() may be called from
// any thread; n_connects() is an atomic read.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "http/url.h"

namespace glmserve::http {

class TlsContext;

struct ClientRequest {
    std::string method = "POST";
    std::string target;  // "/v1/completions"; appended to the endpoint's path_prefix
    // Extra headers ("Authorization", "Content-Type", ...). Host, Content-Length and
    // User-Agent are set by the client unless given here.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

struct ResponseHead {
    int status = 0;
    // In the order received; names as the server spelled them (compare case-insensitively).
    std::vector<std::pair<std::string, std::string>> headers;
};

struct ClientCallbacks {
    std::function<void(const ResponseHead&)> on_head;     // once, status line + headers
    std::function<void(std::string_view chunk)> on_body;  // decoded body bytes, as they arrive
    std::function<void(const Status&)> on_done;           // exactly once (see file comment)
};

struct ClientTimeouts {
    std::chrono::milliseconds connect{5000};  // resolve + TCP connect
    // From starting to write the request until the first body byte (or the end of a bodiless
    // response): covers a server's queueing and prefill before the first token.
    std::chrono::milliseconds first_byte{60000};
    std::chrono::milliseconds idle_between_chunks{60000};  // between body reads after the first
    std::chrono::milliseconds total{600000};               // the whole request, connect included
};

struct ClientLimits {
    size_t max_header_bytes = size_t{64} << 10;
    uint64_t max_body_bytes = uint64_t{64} << 20;
};

class Connection : public std::enable_shared_from_this<Connection> {
public:
    static std::shared_ptr<Connection> create(boost::asio::io_context& io, Url endpoint,
                                              ClientTimeouts timeouts, ClientLimits limits = {},
                                              std::shared_ptr<TlsContext> tls = nullptr);
    ~Connection();

    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    void async_request(ClientRequest request, ClientCallbacks callbacks);

    // Ends the request in flight (on_done gets Cancelled) and closes the socket. Idempotent;
    // a later async_request reconnects.
    void close();

    // How many TCP connections this Connection has opened so far (keep-alive reuse check).
    uint64_t n_connects() const { return n_connects_.load(std::memory_order_relaxed); }

    const Url& endpoint() const;

    // Use create(): only it can make a Passkey.
    class Passkey {
        friend class Connection;
        Passkey() = default;
    };
    Connection(Passkey, boost::asio::io_context& io, Url endpoint, ClientTimeouts timeouts,
               ClientLimits limits, std::shared_ptr<TlsContext> tls);

private:
    struct Impl;

    std::unique_ptr<Impl> impl_;
    std::atomic<uint64_t> n_connects_{0};
};

}  // namespace glmserve::http
