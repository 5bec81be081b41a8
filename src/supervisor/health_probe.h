// Health probes: one HTTP GET to a child's /health or /ready, answered with pass or fail.
//
// A probe passes only on a 200 whose whole body arrived within `timeout` (connect, first byte
// and total are all bounded by it): a child that is SIGSTOPped, deadlocked or swapping fails by
// timeout instead of hanging the supervisor. Each probe opens a fresh connection, so a wedged
// keep-alive socket cannot hide a dead listener. With a TLS context the probe speaks https
// (the handshake is inside the same timeout).
// Thread: async_probe's callback runs on an internal strand of `io`; probe_blocking runs its
// own io_context on the calling thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace glmserve::http {
class TlsContext;
}

namespace glmserve::supervisor {

struct ProbeTarget {
    std::string host;  // an address or name; IPv6 without brackets
    uint16_t port = 0;
    std::string path;                       // "/health"
    std::shared_ptr<http::TlsContext> tls;  // null: plain http
};

struct ProbeResult {
    bool passed = false;
    int http_status = 0;  // 0 when no response head arrived
    std::string error;    // why it failed, for the log ("" when passed)
};

void async_probe(boost::asio::io_context& io, const ProbeTarget& target,
                 std::chrono::milliseconds timeout, std::function<void(ProbeResult)> done);

ProbeResult probe_blocking(const ProbeTarget& target, std::chrono::milliseconds timeout);

}  // namespace glmserve::supervisor
