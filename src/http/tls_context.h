// TlsContext: one OpenSSL SSL_CTX configured from TlsServerOptions or TlsClientOptions, shared by
// every connection of a listener or of an upstream. Loading is where configuration errors show
// up (missing file, a key that does not match its certificate, a CA file with no certificate),
// so the factories check everything and name the file and OpenSSL's reason; a listener or a
// gateway then refuses to start rather than failing each handshake later.
//
// Policy: TLS 1.2 or newer, OpenSSL's default cipher list; a client verifies the server's chain
// and its name (host_name_verification: DNS names, or IP entries for an address) unless told
// not to; a server with a client CA demands a client certificate.
// Thread: immutable after the factory returns; OpenSSL lets many connections share the context.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/tls_options.h"

namespace glmserve::http {

class TlsContext {
public:
    static Result<std::shared_ptr<TlsContext>> for_server(const TlsServerOptions& options);
    static Result<std::shared_ptr<TlsContext>> for_client(const TlsClientOptions& options);
    // The context an https URL gets when its caller configured none: the system's trust store,
    // full verification, no client certificate. Made once per process.
    static Result<std::shared_ptr<TlsContext>> default_client();

    boost::asio::ssl::context& native() { return context_; }
    // Client side: the name to verify and send as SNI instead of the URL's host, or "".
    const std::string& server_name() const { return server_name_; }
    bool verifies_peer() const { return verify_peer_; }

    // Use the factories; public only for std::make_shared.
    TlsContext(boost::asio::ssl::context::method method, std::string server_name, bool verify_peer);

private:
    boost::asio::ssl::context context_;
    std::string server_name_;
    bool verify_peer_;
};

}  // namespace glmserve::http
