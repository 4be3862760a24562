#pragma once

#include <string>
#include <string_view>

#include "tether/core/error.h"

namespace tether::pki {

// A runner's identity as a SPIFFE ID, carried as the URI SAN of its client
// certificate: spiffe://<trust_domain>/org/<org>/runner/<runner>.
struct RunnerIdentity {
    std::string trust_domain;
    std::string org;
    std::string runner;

    std::string uri() const;
    bool operator==(const RunnerIdentity&) const = default;
};

// Strict: exactly that shape, no query, fragment, percent-encoding, empty
// segment or trailing slash, so one identity has exactly one spelling.
Result<RunnerIdentity> parse_runner_identity(std::string_view uri);

// The rule for org, runner and service-account names: [a-z0-9-], 1 to 63
// characters, neither starting nor ending with '-' (a DNS label, lower case).
bool is_valid_name(std::string_view name);

// [a-z0-9.-], 1 to 255 characters, no leading, trailing or doubled dot.
bool is_valid_trust_domain(std::string_view domain);

}  // namespace tether::pki
