#include "support/raw_http_client.h"

#include <fmt/format.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <functional>

namespace glmserve::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

std::string Reply::header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (beast::iequals(k, beast::string_view(name.data(), name.size()))) return v;
    }
    return "";
}

struct RawClient::Impl {
    template <typename Start>
    beast::error_code run(Start start, milliseconds limit) {
        std::optional<beast::error_code> result;
        start([&result](const beast::error_code& ec, auto&&...) { result = ec; });
        finish_run(limit, [&] { return result.has_value(); });
        return result.value_or(asio::error::timed_out);
    }

    // Runs io until done() or `limit`; then cancels what is left and lets it finish.
    template <typename Done>
    void finish_run(milliseconds limit, Done done, asio::steady_timer* timer = nullptr) {
        io.restart();
        const auto until = std::chrono::steady_clock::now() + limit;
        while (!done() && std::chrono::steady_clock::now() < until) {
            if (io.run_one_until(until) == 0) break;
        }
        beast::error_code ignored;
        socket.cancel(ignored);
        if (timer) timer->cancel();
        io.restart();
        io.run();
    }

    asio::io_context io;
    tcp::socket socket{io};
    beast::flat_buffer buffer;
    beast::error_code connect_error;
};

RawClient::RawClient(uint16_t port, int receive_buffer_bytes) : impl_(std::make_unique<Impl>()) {
    beast::error_code ec;
    impl_->socket.open(tcp::v4(), ec);
    if (receive_buffer_bytes > 0) {
        impl_->socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer_bytes), ec);
    }
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    impl_->connect_error =
        impl_->run([&](auto done) { impl_->socket.async_connect(ep, done); }, kClientWait);
}

RawClient::~RawClient() = default;

bool RawClient::connected() const {
    return !impl_->connect_error;
}

beast::error_code RawClient::send(std::string_view bytes) {
    return impl_->run(
        [&](auto done) { asio::async_write(impl_->socket, asio::buffer(bytes), done); },
        kClientWait);
}

std::optional<Reply> RawClient::read_reply(bool head_request, milliseconds limit) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(uint64_t{1} << 30);
    if (head_request) parser.skip(true);
    beast::error_code ec = impl_->run(
        [&](auto done) { bhttp::async_read(impl_->socket, impl_->buffer, parser, done); }, limit);
    if (ec) return std::nullopt;
    const auto& msg = parser.get();
    Reply r;
    r.status = static_cast<int>(msg.result_int());
    for (const auto& f : msg) {
        r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    r.body = msg.body();
    r.chunked = msg.chunked();
    r.keep_alive = msg.keep_alive();
    return r;
}

bool RawClient::read_until(std::string_view needle) {
    const beast::error_code ec = impl_->run(
        [&](auto done) {
            asio::async_read_until(impl_->socket, impl_->buffer, std::string(needle), done);
        },
        kClientWait);
    return !ec;
}

bool RawClient::wait_closed() {
    std::array<char, 4096> scratch{};
    std::optional<beast::error_code> result;
    std::function<void()> read = [&] {
        impl_->socket.async_read_some(asio::buffer(scratch),
                                      [&](const beast::error_code& ec, size_t) {
                                          if (ec) {
                                              result = ec;
                                          } else {
                                              read();
                                          }
                                      });
    };
    read();
    impl_->finish_run(kClientWait, [&] { return result.has_value(); });
    return result && (*result == asio::error::eof || *result == asio::error::connection_reset);
}

std::pair<std::optional<Reply>, size_t> RawClient::trickle(const std::string& bytes,
                                                           milliseconds interval) {
    bhttp::response_parser<bhttp::string_body> parser;
    std::optional<beast::error_code> read_result;
    bhttp::async_read(impl_->socket, impl_->buffer, parser,
                      [&](const beast::error_code& ec, size_t) { read_result = ec; });
    asio::steady_timer timer(impl_->io);
    size_t n_sent = 0;
    std::function<void()> tick = [&] {
        if (read_result || n_sent == bytes.size()) return;
        timer.expires_after(interval);
        timer.async_wait([&](const beast::error_code& ec) {
            if (ec || read_result) return;
            asio::async_write(impl_->socket, asio::buffer(&bytes[n_sent], 1),
                              [&](const beast::error_code& wec, size_t) {
                                  if (wec) return;
                                  ++n_sent;
                                  tick();
                              });
        });
    };
    tick();
    impl_->finish_run(
        milliseconds(interval * (bytes.size() + 1)) + kClientWait,
        [&] { return read_result.has_value(); }, &timer);
    std::optional<Reply> reply;
    if (read_result && !*read_result) {
        reply = Reply{.status = static_cast<int>(parser.get().result_int())};
    }
    return {reply, n_sent};
}

void RawClient::close() {
    beast::error_code ignored;
    impl_->socket.close(ignored);
}

std::string raw_get(std::string_view target) {
    return fmt::format("GET {} HTTP/1.1\r\nHost: test\r\n\r\n", target);
}

std::string raw_post(std::string_view target, std::string_view body) {
    return fmt::format("POST {} HTTP/1.1\r\nHost: test\r\nContent-Length: {}\r\n\r\n{}", target,
                       body.size(), body);
}

}  // namespace glmserve::testing
