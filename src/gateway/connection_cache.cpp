#include "gateway/connection_cache.h"

namespace glmserve::gateway {

ConnectionCache::ConnectionCache(boost::asio::io_context& io, const GatewayConfig& config,
                                 size_t max_idle, std::shared_ptr<http::TlsContext> upstream_tls)
    : io_(io),
      timeouts_{.connect = config.timeouts.connect,
                .first_byte = config.timeouts.first_byte,
                .idle_between_chunks = config.timeouts.between_chunks,
                .total = config.timeouts.total},
      // Upstream answers are streamed through, not held: the body bound only stops a runaway.
      limits_{.max_header_bytes = size_t{64} << 10, .max_body_bytes = uint64_t{4} << 30},
      upstream_tls_(std::move(upstream_tls)),
      max_idle_(max_idle),
      idle_(config.upstreams.size()) {
    for (const UpstreamConfig& u : config.upstreams) urls_.push_back(u.url);
}

// Idle connections have no request in flight; dropping them closes their sockets. (No close():
// it posts to the io_context, which may be shutting down when the last runtime goes.)
ConnectionCache::~ConnectionCache() = default;

std::shared_ptr<http::Connection> ConnectionCache::take(size_t index) {
    {
        std::lock_guard lock(mu_);
        auto& list = idle_[index];
        if (!list.empty()) {
            auto c = std::move(list.back());
            list.pop_back();
            return c;
        }
    }
    return http::Connection::create(io_, urls_[index], timeouts_, limits_, upstream_tls_);
}

void ConnectionCache::give_back(size_t index, std::shared_ptr<http::Connection> connection) {
    {
        std::lock_guard lock(mu_);
        auto& list = idle_[index];
        if (list.size() < max_idle_) {
            list.push_back(std::move(connection));
            return;
        }
    }
    connection->close();
}

}  // namespace glmserve::gateway
