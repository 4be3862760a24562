#pragma once

// What every AWS credential source hands back, and the small pieces of
// their answers they share.
#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tether/core/endpoint.h"
#include "tether/core/error.h"
#include "tether/core/secret.h"
#include "tether/providers/aws/sigv4.h"

namespace tether::providers::aws {

struct ExpiringCredentials {
    Credentials credentials;
    // nullopt: valid until revoked (long-term keys).
    std::optional<std::chrono::system_clock::time_point> expiration;
};

// An HTTP request a credential source needs sent; the piece that sends
// requests turns it into an http::Request. Tokens ride in secret_headers
// so that nothing logs them by accident.
struct HttpCall {
    std::string method = "GET";
    Url url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<std::pair<std::string, Secret>> secret_headers;
    Secret body;  // STS bodies hold web identity tokens
};

}  // namespace tether::providers::aws
