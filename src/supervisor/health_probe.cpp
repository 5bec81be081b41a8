// Health probes (see health_probe.h) over the shared HTTP client, one fresh connection each.
#include "supervisor/health_probe.h"

#include <fmt/format.h>

#include <memory>

#include "http/client.h"
#include "http/url.h"

namespace glmserve::supervisor {

void async_probe(boost::asio::io_context& io, const ProbeTarget& target,
                 std::chrono::milliseconds timeout, std::function<void(ProbeResult)> done) {
    http::Url url{
        .scheme = target.tls ? "https" : "http", .host = target.host, .port = target.port};
    const http::ClientTimeouts timeouts{.connect = timeout,
                                        .first_byte = timeout,
                                        .idle_between_chunks = timeout,
                                        .total = timeout};
    // Probe answers are tiny; a child that streams megabytes at /health is broken too.
    const http::ClientLimits limits{.max_header_bytes = 16 << 10, .max_body_bytes = 64 << 10};
    auto connection = http::Connection::create(io, std::move(url), timeouts, limits, target.tls);
    auto status = std::make_shared<int>(0);
    http::ClientRequest request{.method = "GET", .target = target.path};
    http::ClientCallbacks callbacks;
    callbacks.on_head = [status](const http::ResponseHead& head) { *status = head.status; };
    // The callback owns the connection until the request ends; the Connection releases its
    // callbacks after on_done, which breaks the cycle.
    callbacks.on_done = [status, connection, done = std::move(done)](const Status& s) {
        ProbeResult result;
        result.http_status = *status;
        if (!s.ok()) {
            result.error = s.to_string();
        } else if (*status != 200) {
            result.error = fmt::format("HTTP {}", *status);
        } else {
            result.passed = true;
        }
        done(std::move(result));
    };
    connection->async_request(std::move(request), std::move(callbacks));
}

ProbeResult probe_blocking(const ProbeTarget& target, std::chrono::milliseconds timeout) {
    boost::asio::io_context io;
    ProbeResult out;
    async_probe(io, target, timeout, [&out](ProbeResult r) { out = std::move(r); });
    io.run();
    return out;
}

}  // namespace glmserve::supervisor
