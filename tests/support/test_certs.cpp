// make_test_pki (see test_certs.h): EC P-256 keys and X.509 v3 certificates through OpenSSL 3's
// EVP and X509 APIs, written as PEM.
#include "support/test_certs.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace glmserve::testing {
namespace {

struct KeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
    void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

void require(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("test PKI: ") + what + " failed");
}

Key new_key() {
    Key key(EVP_EC_gen("P-256"));
    require(key != nullptr, "EC key generation");
    return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    require(ext != nullptr, value);
    require(X509_add_ext(cert, ext, -1) == 1, "adding an extension");
    X509_EXTENSION_free(ext);
}

// `issuer` null: self-signed (a CA). `extensions`: (nid, value) pairs.
Cert new_cert(EVP_PKEY* key, const std::string& common_name, X509* issuer, EVP_PKEY* issuer_key,
              long serial, const std::vector<std::pair<int, const char*>>& extensions) {
    Cert cert(X509_new());
    require(cert != nullptr, "X509_new");
    X509_set_version(cert.get(), 2);  // v3
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7 * 24 * 3600);
    require(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("glmserve tests"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                               0);
    X509* signer = issuer != nullptr ? issuer : cert.get();
    X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
    for (const auto& [nid, value] : extensions) add_extension(cert.get(), signer, nid, value);
    require(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0,
            "X509_sign");
    return cert;
}

void write_pem(const std::string& path, X509* cert) {
    FILE* f = std::fopen(path.c_str(), "w");
    require(f != nullptr, "opening a certificate file");
    bool ok = PEM_write_X509(f, cert) == 1;
    std::fclose(f);
    require(ok, "PEM_write_X509");
}

void write_pem(const std::string& path, EVP_PKEY* key) {
    FILE* f = std::fopen(path.c_str(), "w");
    require(f != nullptr, "opening a key file");
    bool ok = PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    std::fclose(f);
    require(ok, "PEM_write_PrivateKey");
}

struct Authority {
    Key key;
    Cert cert;
};

Authority new_authority(const std::string& name, long serial) {
    Authority ca{new_key(), nullptr};
    ca.cert = new_cert(ca.key.get(), name, nullptr, nullptr, serial,
                       {{NID_basic_constraints, "critical,CA:TRUE"},
                        {NID_key_usage, "critical,keyCertSign,cRLSign"},
                        {NID_subject_key_identifier, "hash"}});
    return ca;
}

CertFiles issue(const Authority& ca, const std::string& dir, const std::string& stem,
                const std::string& common_name, long serial, bool server) {
    Key key = new_key();
    std::vector<std::pair<int, const char*>> extensions = {
        {NID_basic_constraints, "critical,CA:FALSE"},
        {NID_key_usage, "critical,digitalSignature"},
        {NID_ext_key_usage, server ? "serverAuth" : "clientAuth"},
        {NID_authority_key_identifier, "keyid"}};
    if (server) extensions.emplace_back(NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    Cert cert = new_cert(key.get(), common_name, ca.cert.get(), ca.key.get(), serial, extensions);
    CertFiles files{dir + "/" + stem + ".crt", dir + "/" + stem + ".key"};
    write_pem(files.cert, cert.get());
    write_pem(files.key, key.get());
    return files;
}

}  // namespace

TestPki make_test_pki(const std::string& dir) {
    std::filesystem::create_directories(dir);
    TestPki pki;
    Authority ca = new_authority("glmserve test CA", 1);
    Authority other = new_authority("glmserve other CA", 2);
    pki.ca_cert = dir + "/ca.crt";
    pki.other_ca_cert = dir + "/other-ca.crt";
    write_pem(pki.ca_cert, ca.cert.get());
    write_pem(pki.other_ca_cert, other.cert.get());
    pki.server = issue(ca, dir, "server", "glmserve test server", 10, true);
    pki.client = issue(ca, dir, "client", "test-client", 11, false);
    pki.other_server = issue(other, dir, "other-server", "glmserve other server", 20, true);
    pki.other_client = issue(other, dir, "other-client", "intruder", 21, false);
    return pki;
}

namespace {

std::string make_temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/glmserve-pki-XXXXXX";
    require(::mkdtemp(pattern.data()) != nullptr, "mkdtemp");
    return pattern;
}

}  // namespace

ScopedTestPki::ScopedTestPki() : dir_(make_temp_dir()), pki_(make_test_pki(dir_)) {}

ScopedTestPki::~ScopedTestPki() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

}  // namespace glmserve::testing
