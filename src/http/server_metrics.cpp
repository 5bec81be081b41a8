// export_server_counters (see server_metrics.h).
#include "http/server_metrics.h"

namespace glmserve::http {

void export_server_counters(obs::Registry& registry, const Server& server) {
    const ServerCounters& c = server.counters();
    const auto add = [&](const char* name, const char* help, const std::atomic<uint64_t>& v) {
        registry.counter_fn(name, help, {}, [&v] {
            return static_cast<double>(v.load(std::memory_order_relaxed));
        });
    };
    add("glmserve_http_connections_accepted_total", "TCP connections accepted",
        c.connections_accepted);
    add("glmserve_http_connections_rejected_total", "Connections refused over max-connections",
        c.connections_rejected);
    add("glmserve_http_accept_errors_total", "Failed accepts (out of file descriptors, ...)",
        c.accept_errors);
    add("glmserve_http_tls_handshake_failures_total",
        "TLS handshakes that failed (not TLS, bad or missing client certificate)",
        c.tls_handshake_failures);
    add("glmserve_http_bad_requests_total", "Unparsable requests (400)", c.bad_requests);
    add("glmserve_http_headers_too_large_total", "Requests with oversized headers (431)",
        c.headers_too_large);
    add("glmserve_http_bodies_too_large_total", "Requests with oversized bodies (413)",
        c.bodies_too_large);
    add("glmserve_http_read_timeouts_total", "Clients too slow to send a request (408)",
        c.read_timeouts);
    add("glmserve_http_idle_timeouts_total", "Idle keep-alive connections closed", c.idle_timeouts);
    add("glmserve_http_write_timeouts_total", "Clients that stopped reading an answer",
        c.write_timeouts);
    add("glmserve_http_slow_readers_total", "Clients dropped for reading too slowly",
        c.slow_readers);
    add("glmserve_client_disconnects_total",
        "Requests whose client went away before the answer ended", c.client_disconnects);
    registry.gauge_fn("glmserve_http_connections", "Open HTTP connections", {},
                      [&server] { return static_cast<double>(server.n_connections()); });
}

}  // namespace glmserve::http
