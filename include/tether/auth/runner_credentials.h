#pragma once

#include <chrono>
#include <string_view>

#include "tether/auth/credentials_file.h"
#include "tether/core/error.h"
#include "tether/pki/certificate.h"
#include "tether/pki/identity.h"
#include "tether/pki/private_key.h"

namespace tether::auth {

// A credentials file whose parts were checked to fit together, parsed into
// what the tunnel client needs. Move-only: it holds the private key.
struct RunnerCredentials {
    CredentialsFile file;
    pki::Certificate ca;
    pki::Certificate certificate;
    pki::PrivateKey key;
    pki::RunnerIdentity identity;  // from the certificate's URI SAN
};

// Parses a credentials file (parse_credentials_file) and checks, at `now`:
// the endpoints parse; ca_certificate is a CA certificate within its
// validity; certificate is within its validity, signed by that CA, and
// names this file's org and runner in its URI SAN; private_key is the
// certificate's key; api_key is shaped like a tether API key. A certificate
// or CA that has expired or is not yet valid, or that the CA did not sign,
// is unauthenticated (the server would refuse it); other faults keep the
// kinds of parse_credentials_file. Each message names the field at fault
// and none holds a secret, so it can go to the log and the exit message.
Result<RunnerCredentials> load_runner_credentials(std::string_view json, std::chrono::system_clock::time_point now);

}  // namespace tether::auth
