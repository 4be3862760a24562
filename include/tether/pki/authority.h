#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "tether/core/error.h"
#include "tether/pki/certificate.h"
#include "tether/pki/private_key.h"

namespace tether::pki {

// Certificates live from 5 minutes before issuance (clock skew between
// hosts) to issuance plus a lifetime of at most this long.
inline constexpr std::chrono::seconds max_lifetime =
    std::chrono::duration_cast<std::chrono::seconds>(std::chrono::years{10});
inline constexpr std::chrono::seconds clock_skew = std::chrono::minutes{5};

struct CertificateAuthority {
    PrivateKey key;
    Certificate certificate;
};

// A self-signed EC P-256 CA that may sign leaf certificates only
// (pathlen:0). Called once by `tether server init`: an empty or over-long
// common name or a lifetime outside (0, 10 years] throws Fatal.
CertificateAuthority create_authority(const std::string& common_name, std::chrono::seconds lifetime);

struct ServerNames {
    std::vector<std::string> dns;
    std::vector<std::string> ips;  // IPv4 or IPv6 literals
};

// A TLS server certificate for `subject_key`. The common name is the first
// DNS name (the first IP when there is none).
Result<Certificate> issue_server_certificate(const CertificateAuthority& ca, const PrivateKey& subject_key,
                                             const ServerNames& names, std::chrono::seconds lifetime);

// A TLS client certificate naming the client by exactly one URI SAN
// (a runner's SPIFFE ID).
Result<Certificate> issue_client_certificate(const CertificateAuthority& ca, const PrivateKey& subject_key,
                                             const std::string& uri_san, const std::string& common_name,
                                             std::chrono::seconds lifetime);

}  // namespace tether::pki
