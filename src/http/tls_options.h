// What a TLS endpoint is configured with: certificate files for a listener (TlsServerOptions)
// and trust and identity for outgoing connections (TlsClientOptions). Plain values, so configs
// (ServerConfig, the gateway's YAML) carry them without pulling OpenSSL into their headers;
// tls_context.h turns them into an OpenSSL context.
// Thread: values, no shared state.
#pragma once

#include <string>

namespace glmserve::http {

struct TlsServerOptions {
    std::string cert_file;  // PEM: the server certificate, then any intermediates
    std::string key_file;   // PEM: its private key
    // PEM bundle of CAs. When set, every client must present a certificate that one of them
    // signed (mutual TLS); a client without one fails the handshake.
    std::string client_ca_file;

    bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

struct TlsClientOptions {
    std::string ca_file;  // PEM bundle of trusted CAs; empty: the system's trust store
    // PEM client certificate and key, presented when the server asks (mutual TLS). Both or none.
    std::string cert_file;
    std::string key_file;
    // The name the server certificate must carry, also sent as SNI; empty: the URL's host (an
    // IP address is then checked against the certificate's IP entries).
    std::string server_name;
    // false accepts any certificate: encryption without authentication. Only for tests and
    // private networks; the gateway logs a warning when it is configured.
    bool verify = true;
};

}  // namespace glmserve::http
