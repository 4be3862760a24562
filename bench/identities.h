#pragma once

// The certificates the benchmark uses, all made by the real binary:
// `tether server init` wrote the data dir, `tether admin runner
// generate-credentials` the runner's credentials file.
#include <filesystem>

#include "tether/auth/runner_credentials.h"
#include "tether/pki/certificate.h"
#include "tether/pki/private_key.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace tether::bench {

struct Identities {
    pki::Certificate ca;
    pki::Certificate server_certificate;
    pki::PrivateKey server_key;
    auth::RunnerCredentials runner;
};

// Exits the benchmark when a file is missing or does not load.
Identities load_identities(const std::filesystem::path& data_dir, const std::filesystem::path& credentials);

// OpenSSL contexts with tether's own TLS settings (pki/tls.h): the server
// requiring a client certificate from the CA, the client presenting the
// runner's. The bare references use these, so that they differ from the
// tunnel only in what the tunnel adds.
SSL_CTX* server_context(const Identities& identities);
SSL_CTX* client_context(const Identities& identities);

}  // namespace tether::bench
