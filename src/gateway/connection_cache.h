// ConnectionCache: idle keep-alive connections to each upstream, so a proxied request usually
// skips the TCP handshake. A request takes a connection (an idle one, or a new one) for its
// attempt and gives it back when the attempt ended cleanly; a failed attempt's connection is
// closed and dropped. At most max_idle per upstream are kept; extras are closed. With https
// upstreams a kept connection also saves the TLS handshake.
// Thread: every method may be called from any thread (one mutex).
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <mutex>
#include <vector>

#include "gateway/gateway_config.h"
#include "http/client.h"

namespace glmserve::gateway {

class ConnectionCache {
public:
    // upstream_tls: for https upstreams (null when there are none).
    ConnectionCache(boost::asio::io_context& io, const GatewayConfig& config, size_t max_idle,
                    std::shared_ptr<http::TlsContext> upstream_tls);
    ~ConnectionCache();

    ConnectionCache(const ConnectionCache&) = delete;
    ConnectionCache& operator=(const ConnectionCache&) = delete;

    std::shared_ptr<http::Connection> take(size_t index);
    void give_back(size_t index, std::shared_ptr<http::Connection> connection);

private:
    boost::asio::io_context& io_;
    std::vector<http::Url> urls_;
    http::ClientTimeouts timeouts_;
    http::ClientLimits limits_;
    std::shared_ptr<http::TlsContext> upstream_tls_;
    size_t max_idle_;
    std::mutex mu_;
    std::vector<std::vector<std::shared_ptr<http::Connection>>> idle_;  // guarded by mu_
};

}  // namespace glmserve::gateway
