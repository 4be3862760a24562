#pragma once

#include <openssl/x509.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tether/core/error.h"
#include "tether/pki/private_key.h"

namespace tether::pki {

// An X.509 certificate. Copies share one immutable X509 (X509_up_ref), so a
// CA certificate can be handed to every verifier cheaply.
class Certificate {
public:
    // Takes ownership of `owned`, which must not be null.
    explicit Certificate(X509* owned);

    // The first certificate in a PEM text; anything else is invalid_argument.
    static Result<Certificate> from_pem(std::string_view pem);

    std::string to_pem() const;

    // Lower-case hex, as the store records it.
    std::string serial_hex() const;
    // Lower-case hex SHA-256 of the DER encoding.
    std::string fingerprint_sha256() const;

    std::chrono::system_clock::time_point not_before() const;
    std::chrono::system_clock::time_point not_after() const;

    // Subject alternative names of each kind, in certificate order.
    std::vector<std::string> uri_sans() const;
    std::vector<std::string> dns_sans() const;
    std::vector<std::string> ip_sans() const;  // "127.0.0.1", "::1"

    // The subject's first commonName, or empty when it has none.
    std::string common_name() const;

    // Whether `key` is the private half of this certificate's public key.
    bool matches(const PrivateKey& key) const;

    // basicConstraints CA:TRUE (and keyCertSign, when keyUsage is present).
    bool is_ca() const;

    // Verifies this certificate against `ca` as the only trust anchor, with
    // validity judged at `at` and RFC 5280 strict checks. Fails with
    // unauthenticated, naming OpenSSL's reason.
    Result<Done> verify_issued_by(const Certificate& ca, std::chrono::system_clock::time_point at) const;

    // Null only after the certificate was moved from.
    X509* get() const { return cert_.get(); }

    Certificate(const Certificate& other);
    Certificate& operator=(const Certificate& other);
    Certificate(Certificate&&) noexcept = default;
    Certificate& operator=(Certificate&&) noexcept = default;
    ~Certificate() = default;

private:
    struct Free {
        void operator()(X509* cert) const { X509_free(cert); }
    };

    std::vector<std::string> sans_of_type(int type) const;

    std::unique_ptr<X509, Free> cert_;
};

}  // namespace tether::pki
