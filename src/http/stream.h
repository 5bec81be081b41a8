// Stream: a TCP connection that speaks either plain bytes or TLS, chosen per connection at run
// time, with the AsyncReadStream / AsyncWriteStream interface Beast's and Asio's composed
// operations use. The server's sessions and the client's links hold one, so a listener or an
// upstream switches to TLS by configuration without a second copy of the HTTP code.
//
// Cancelling or closing socket() (the TCP layer under TLS too) ends pending operations with
// operation_aborted, as for a plain socket. A TLS connection may have one read and one write
// pending at the same time (Asio's ssl::stream is full duplex), as the server's monitor read
// during a response needs.
// Internal to src/http. Thread: like the socket under it: use it from one strand.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <utility>
#include <variant>

#include "http/tls_context.h"

namespace glmserve::http::detail {

class Stream {
public:
    using Socket = boost::asio::ip::tcp::socket;
    using TlsStream = boost::asio::ssl::stream<Socket>;
    using executor_type = Socket::executor_type;

    // Over `socket` (connected or not); tls null: plain TCP.
    Stream(Socket socket, TlsContext* tls) : stream_(make(std::move(socket), tls)) {}

    bool is_tls() const { return std::holds_alternative<TlsStream>(stream_); }
    // The TCP socket (under TLS, its lowest layer): accept, connect, options, cancel, close.
    Socket& socket() {
        if (auto* tls = std::get_if<TlsStream>(&stream_)) return tls->next_layer();
        return std::get<Socket>(stream_);
    }
    // Only when is_tls().
    TlsStream& tls() { return std::get<TlsStream>(stream_); }

    executor_type get_executor() { return socket().get_executor(); }

    template <typename MutableBuffers, typename Handler>
    void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
        if (auto* tls = std::get_if<TlsStream>(&stream_)) {
            tls->async_read_some(buffers, std::forward<Handler>(handler));
        } else {
            std::get<Socket>(stream_).async_read_some(buffers, std::forward<Handler>(handler));
        }
    }

    template <typename ConstBuffers, typename Handler>
    void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
        if (auto* tls = std::get_if<TlsStream>(&stream_)) {
            tls->async_write_some(buffers, std::forward<Handler>(handler));
        } else {
            std::get<Socket>(stream_).async_write_some(buffers, std::forward<Handler>(handler));
        }
    }

private:
    static std::variant<Socket, TlsStream> make(Socket socket, TlsContext* tls) {
        using Variant = std::variant<Socket, TlsStream>;
        if (tls == nullptr) return Variant(std::in_place_type<Socket>, std::move(socket));
        return Variant(std::in_place_type<TlsStream>, std::move(socket), tls->native());
    }

    std::variant<Socket, TlsStream> stream_;
};

}  // namespace glmserve::http::detail
