// RawClient: a test client that sends exactly the bytes under test to 127.0.0.1:<port>
// (malformed, trickled, pipelined, never read) and reads what comes back, every operation with
// a deadline (kClientWait) so that a server bug fails a test instead of hanging it.
// Thread: one thread per client (each has its own io_context).
#pragma once

#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace glmserve::testing {

inline constexpr std::chrono::milliseconds kClientWait{5000};

struct Reply {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool chunked = false;
    bool keep_alive = false;

    // Case-insensitive; "" when absent.
    std::string header(std::string_view name) const;
};

class RawClient {
public:
    explicit RawClient(uint16_t port, int receive_buffer_bytes = 0);
    ~RawClient();
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    bool connected() const;
    boost::system::error_code send(std::string_view bytes);

    // The next response, or nullopt when the connection closed, failed or `limit` passed
    // (raise it for long streamed responses).
    std::optional<Reply> read_reply(bool head_request = false,
                                    std::chrono::milliseconds limit = kClientWait);

    // Reads raw bytes until `needle` has arrived (true) or the connection ends or the wait
    // passes (false). The bytes read are kept for a later read_reply().
    bool read_until(std::string_view needle);

    // True when the server closed the connection (EOF or reset) within kClientWait; bytes
    // that arrive first are discarded.
    bool wait_closed();

    // Sends `bytes` one at a time, `interval` apart, while reading a response. Returns the
    // response's status (if one came before the server closed) and how many bytes were sent.
    std::pair<std::optional<Reply>, size_t> trickle(const std::string& bytes,
                                                    std::chrono::milliseconds interval);

    void close();

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

// "GET target HTTP/1.1" and "POST target" (with Content-Length) requests as raw bytes.
std::string raw_get(std::string_view target);
std::string raw_post(std::string_view target, std::string_view body);

}  // namespace glmserve::testing
