#pragma once

// The runner's control-plane session: the server's HTTPS API, reached at
// the credentials file's api_endpoint (or --api-endpoint) with the runner's
// own API key, the server verified against the CA of the credentials file
// and nothing else. Through it the runner proves its key at start and
// resolves the secrets and variables its operations reference (docs/
// secrets.md).
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tether/core/endpoint.h"
#include "tether/core/error.h"
#include "tether/core/references.h"
#include "tether/core/secret.h"
#include "tether/http/connection_pool.h"
#include "tether/pki/certificate.h"

namespace tether::runner {

// Who the server says this runner's key belongs to.
struct ControlPlaneIdentity {
    std::string org;
    std::string service_account;  // "runner:<name>"
    std::string kind;             // "runner"
};

// A secret's or variable's value as the server sent it.
struct FetchedValue {
    references::Reference reference;  // as asked: a pinned version, or none for the latest
    std::int64_t version = 0;         // the version that answered
    Secret value;
};

class ControlPlane {
public:
    // invalid_argument when the CA cannot make a TLS context.
    static Result<std::unique_ptr<ControlPlane>> create(std::shared_ptr<http::ConnectionPool> pool, Url api,
                                                        const pki::Certificate& ca, Secret api_key,
                                                        std::chrono::milliseconds timeout);

    // GET /v1/whoami. unauthenticated/permission_denied when the server
    // refuses the key (its message names why); unavailable when it cannot
    // be reached.
    boost::asio::awaitable<Result<ControlPlaneIdentity>> whoami();

    // POST /v1/resolve for `operation_id`, secrets and variables only.
    // The server's typed errors as they come: not_found (no such name or
    // version in this org), failed_precondition (a disabled or destroyed
    // version, or an operation no longer running), unauthenticated,
    // permission_denied, unavailable.
    boost::asio::awaitable<Result<std::vector<FetchedValue>>> resolve(const std::string& operation_id,
                                                                       const std::vector<references::Reference>& wanted);

    const Url& api() const { return api_; }

private:
    ControlPlane(std::shared_ptr<http::ConnectionPool> pool, Url api, http::TlsContext tls, Secret api_key,
                 std::chrono::milliseconds timeout);
    boost::asio::awaitable<Result<http::Response>> exchange(const std::string& method, const std::string& path,
                                                            std::string body);

    std::shared_ptr<http::ConnectionPool> pool_;
    Url api_;
    http::TlsContext tls_;
    Secret api_key_;
    std::chrono::milliseconds timeout_;
};

}  // namespace tether::runner
