#pragma once

// References in an operation's parameters and its connection's settings and
// inline credentials (core/references.h), resolved on the runner just
// before the operation runs: ${secret:…} and ${var:…} through the control
// plane as this runner's service account, ${env:…} and ${file:…} from this
// machine alone. The runner's policy says which names it resolves at all.
// What a secret (or an environment variable or file) resolved to never
// leaves in a result: it is redacted, and the redaction recorded.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "tether/runner/control_plane.h"
#include "tether/core/references.h"
#include "tether/core/secret.h"
#include "tether/core/settings.h"
#include "tether/providers/connection.h"
#include "tether/runner/policy.h"

namespace tether::runner {

// What one operation's references resolved to, held while it runs; the
// values are wiped when it goes.
class ResolvedValues {
public:
    // `confidential`: the value must not appear in a result (everything
    // but a variable).
    void add(std::string reference_text, Secret value, bool confidential);

    // "${secret:db-password@3}", "${env:TOKEN}", …: what was resolved, with
    // the version that answered, for the audit trail and the log.
    std::vector<std::string> references() const;
    bool empty() const { return values_.empty(); }

    // Replaces every occurrence of a confidential value (and of its base64
    // form) in `result`'s strings and keys with "[redacted ${secret:NAME}]";
    // the references it found, once each.
    std::vector<std::string> redact(nlohmann::json& result) const;
    std::vector<std::string> redact(std::string& text) const;

private:
    struct Value {
        std::string reference;
        Secret value;
        Secret base64;
        bool confidential = false;
    };
    std::vector<Value> values_;
};

// "${secret:a@1} ${env:B}": references on one log line.
std::string joined_references(const std::vector<std::string>& references);

class ValueResolver {
public:
    ValueResolver(boost::asio::io_context& io, const Policy& policy, ControlPlane* control_plane,
                  config::Environment environment, std::optional<std::chrono::milliseconds> cache_ttl);

    // Replaces, in place, every reference in the strings of `params` and,
    // when given, of the connection's settings and inline credentials.
    // Errors: invalid_argument (a malformed reference, more than 64),
    // permission_denied (the runner's policy), not_found (no such name,
    // version, variable or file), failed_precondition (a disabled or
    // destroyed version), unauthenticated (the server refused this
    // runner's key), unavailable (the control plane unreachable until
    // `deadline`, retried with backoff).
    boost::asio::awaitable<Result<ResolvedValues>> resolve(const std::string& operation_id, nlohmann::json& params,
                                                           providers::ConnectionConfig* connection,
                                                           std::chrono::steady_clock::time_point deadline);

private:
    struct Cached {
        std::int64_t version = 0;
        Secret value;
        std::chrono::steady_clock::time_point expires;
    };
    boost::asio::awaitable<Result<std::vector<FetchedValue>>> fetch(const std::string& operation_id,
                                                                     const std::vector<references::Reference>& wanted,
                                                                     std::chrono::steady_clock::time_point deadline);
    Result<Secret> local_value(const references::Reference& reference) const;

    boost::asio::io_context& io_;
    const Policy& policy_;
    ControlPlane* control_plane_;
    config::Environment environment_;
    std::optional<std::chrono::milliseconds> cache_ttl_;
    std::map<references::Reference, Cached> cache_;
};

}  // namespace tether::runner
