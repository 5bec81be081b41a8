// TlsContext (see tls_context.h): building and checking an SSL_CTX. Errors come from Asio's
// error_code overloads, whose messages carry OpenSSL's reason ("no such file", "key values
// mismatch", ...); each is prefixed with the option and file it concerns.
#include "http/tls_context.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <mutex>

namespace glmserve::http {

namespace ssl = boost::asio::ssl;

namespace {

Status tls_error(std::string_view what, std::string_view file,
                 const boost::system::error_code& ec) {
    return invalid_argument(fmt::format("TLS {} '{}': {}", what, file, ec.message()));
}

// A certificate chain and its key, which must match.
Status load_identity(ssl::context& context, const std::string& cert_file,
                     const std::string& key_file, std::string_view role) {
    if (cert_file.empty() != key_file.empty()) {
        return invalid_argument(fmt::format(
            "TLS {}: a certificate needs its key and a key its certificate (got only the {})", role,
            cert_file.empty() ? "key" : "certificate"));
    }
    if (cert_file.empty()) return ok_status();
    boost::system::error_code ec;
    context.use_certificate_chain_file(cert_file, ec);
    if (ec) return tls_error(fmt::format("{} certificate", role), cert_file, ec);
    // OpenSSL checks here that the key belongs to the certificate ("key values mismatch").
    context.use_private_key_file(key_file, ssl::context::pem, ec);
    if (ec) return tls_error(fmt::format("{} key", role), key_file, ec);
    return ok_status();
}

// OpenSSL accepts an empty or certificate-less PEM file as a CA list; a trust store that
// trusts nothing is always a mistake, so it is refused here.
Status load_ca_file(ssl::context& context, const std::string& ca_file, std::string_view what) {
    boost::system::error_code ec;
    context.load_verify_file(ca_file, ec);
    if (ec) return tls_error(what, ca_file, ec);
    X509_STORE* store = SSL_CTX_get_cert_store(context.native_handle());
    STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
    if (objects == nullptr || sk_X509_OBJECT_num(objects) == 0) {
        return invalid_argument(fmt::format("TLS {} '{}': no certificate in it", what, ca_file));
    }
    return ok_status();
}

void set_protocol_floor(ssl::context& context) {
    context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
}

}  // namespace

TlsContext::TlsContext(ssl::context::method method, std::string server_name, bool verify_peer)
    : context_(method), server_name_(std::move(server_name)), verify_peer_(verify_peer) {
    set_protocol_floor(context_);
}

Result<std::shared_ptr<TlsContext>> TlsContext::for_server(const TlsServerOptions& options) {
    if (options.cert_file.empty() || options.key_file.empty()) {
        return invalid_argument("TLS listener: both a certificate and a key file are required");
    }
    auto tls =
        std::make_shared<TlsContext>(ssl::context::tls_server, "", !options.client_ca_file.empty());
    ssl::context& context = tls->native();
    GS_RETURN_IF_ERROR(load_identity(context, options.cert_file, options.key_file, "listener"));
    if (!options.client_ca_file.empty()) {
        GS_RETURN_IF_ERROR(load_ca_file(context, options.client_ca_file, "client CA file"));
        // The CA names go into the CertificateRequest, so a client with several identities
        // knows which one to present.
        STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca_file.c_str());
        if (names != nullptr) SSL_CTX_set_client_CA_list(context.native_handle(), names);
        context.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    } else {
        context.set_verify_mode(ssl::verify_none);
    }
    return tls;
}

Result<std::shared_ptr<TlsContext>> TlsContext::for_client(const TlsClientOptions& options) {
    auto tls =
        std::make_shared<TlsContext>(ssl::context::tls_client, options.server_name, options.verify);
    ssl::context& context = tls->native();
    if (!options.ca_file.empty()) {
        GS_RETURN_IF_ERROR(load_ca_file(context, options.ca_file, "CA file"));
    } else {
        boost::system::error_code ec;
        context.set_default_verify_paths(ec);
        if (ec) return tls_error("system trust store", "default paths", ec);
    }
    GS_RETURN_IF_ERROR(load_identity(context, options.cert_file, options.key_file, "client"));
    context.set_verify_mode(options.verify ? ssl::verify_peer : ssl::verify_none);
    return tls;
}

Result<std::shared_ptr<TlsContext>> TlsContext::default_client() {
    static std::mutex mu;
    static std::shared_ptr<TlsContext> shared;
    std::lock_guard lock(mu);
    if (!shared) {
        GS_ASSIGN_OR_RETURN(shared, for_client({}));
    }
    return shared;
}

}  // namespace glmserve::http
