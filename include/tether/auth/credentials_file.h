#pragma once

#include <string>
#include <string_view>

#include "tether/core/error.h"
#include "tether/core/secret.h"

namespace tether::auth {

// What a runner is deployed with (docs/credentials-file.md). The private
// key and the API key exist only in this file: the server keeps neither.
struct CredentialsFile {
    static constexpr int current_version = 1;

    std::string org;
    std::string runner;
    std::string runner_id;
    std::string tunnel_endpoint;  // host:port of the server's tunnel listener
    std::string api_endpoint;     // https URL of the server's API
    std::string ca_certificate;   // PEM
    std::string certificate;      // PEM, URI SAN spiffe://<trust domain>/org/<org>/runner/<runner>
    Secret private_key;           // PEM (PKCS#8, EC P-256)
    Secret api_key;               // tth_…
};

// The file's JSON text, fields in snake_case at the top level. The result
// holds secrets: wipe it after writing it out.
std::string to_json(const CredentialsFile& file);

// Reads the file's JSON text: every field present, a non-empty string, and
// a version this build understands (a newer one is failed_precondition;
// anything else wrong is invalid_argument). Unknown fields are ignored, for
// files from a newer tether of the same version. Messages name the field
// and never hold a secret. Only the shape is checked here: see
// runner_credentials.h for whether the contents fit together.
Result<CredentialsFile> parse_credentials_file(std::string_view json);

}  // namespace tether::auth
