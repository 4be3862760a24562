#pragma once

// Who may hold a tunnel: the store checks behind both phases of a runner's
// authentication, and the re-check that makes revocation live. Private to
// src/server.
#include <cstdint>
#include <string>
#include <string_view>

#include "tether/core/error.h"
#include "tether/pki/certificate.h"
#include "tether/store/database.h"
#include "tether/store/runners.h"

namespace tether::server {

// Phase 1's verdict on a certificate that chains to the CA.
struct AdmittedCertificate {
    store::Runner runner;
    std::string fingerprint;
};

// Phase 1, during the TLS handshake: the URI SAN names a live runner of
// that org in this trust domain, and the certificate is one the server
// issued to it and has not revoked. Errors: not_found (no such runner: it
// was deleted, or the name is foreign) and permission_denied (revoked,
// superseded by regenerate-credentials); the message is for the log.
Result<AdmittedCertificate> admit_certificate(const store::Database& database, const pki::Certificate& certificate,
                                              std::string_view trust_domain);

struct Admission {
    store::Runner runner;
    std::string fingerprint;
    std::string key_id;
};

// Phase 2, at the WebSocket upgrade: the bearer token is an API key of this
// runner's service account, unrevoked, unexpired, and the account active.
// Errors are unauthenticated with a message the runner may see: it has
// already proven who it is with its certificate.
Result<Admission> admit_api_key(const store::Database& database, const AdmittedCertificate& certificate,
                                std::string_view bearer, std::int64_t now);

// Both phases again for a live tunnel: after any change to credentials or
// accounts, and periodically. unauthenticated with the reason when the
// tunnel must close.
Result<Done> still_admitted(const store::Database& database, const Admission& admission, std::int64_t now);

}  // namespace tether::server
