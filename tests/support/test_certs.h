// Test PKI: fresh certificate authorities and certificates, made with OpenSSL in a directory,
// for the TLS tests (listener, upstream, mutual TLS). Nothing is checked in and nothing depends
// on the openssl command: keys are new on every run, and certificates are valid from an hour
// ago for a week, so clock skew cannot fail a test.
//
// Two independent CAs: `ca` signs the server certificate (SAN: IP 127.0.0.1, DNS localhost) and
// a client certificate; `other_ca` signs a client certificate and a second server certificate
// that `ca` does not trust (wrong-CA and reload cases).
// Thread: make_test_pki is self-contained; call it from one thread per directory.
#pragma once

#include <string>

namespace glmserve::testing {

struct CertFiles {
    std::string cert;  // PEM certificate path
    std::string key;   // PEM private key path
};

struct TestPki {
    std::string ca_cert;        // PEM, trusts `server` and `client`
    std::string other_ca_cert;  // PEM, trusts `other_server` and `other_client`
    CertFiles server;           // 127.0.0.1 / localhost, signed by ca
    CertFiles client;           // CN test-client, signed by ca
    CertFiles other_server;     // 127.0.0.1 / localhost, signed by other_ca
    CertFiles other_client;     // CN intruder, signed by other_ca
};

// Writes every file into `dir` (created if missing). Throws std::runtime_error when OpenSSL fails.
TestPki make_test_pki(const std::string& dir);

// A TestPki in a fresh temporary directory (mkdtemp under $TMPDIR or /tmp), removed with it.
class ScopedTestPki {
public:
    ScopedTestPki();
    ~ScopedTestPki();
    ScopedTestPki(const ScopedTestPki&) = delete;
    ScopedTestPki& operator=(const ScopedTestPki&) = delete;

    const std::string& dir() const { return dir_; }
    const TestPki& pki() const { return pki_; }

private:
    std::string dir_;
    TestPki pki_;
};

}  // namespace glmserve::testing
