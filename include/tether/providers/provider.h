#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including it.
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tether/core/endpoint.h"
#include "tether/core/error.h"
#include "tether/core/settings.h"
#include "tether/http/connection_pool.h"
#include "tether/providers/connection.h"

// Credential providers (DESIGN.md, "Operations and credential providers"):
// each turns a connection (auth mode, settings, inline material) into
// credentials and authorises an HTTP request with them. One interface, a
// registry by name, the built-in ones registered by one explicit function
// (a static binary may never run an archive's static initialisers).
namespace tether::providers {

// An HTTP request an operation wants to make with a connection's credentials.
struct Call {
    http::Request request;
    // Set by a provider whose peer needs TLS settings of its own (a
    // cluster's CA, a client certificate); the system's CAs otherwise.
    http::TlsContext tls;
    // For AWS APIs: sign with Signature Version 4 for this service (its
    // signing name) and region; S3 has its own rules.
    struct AwsSigning {
        std::string service;
        std::string region;
        bool s3 = false;
    };
    std::optional<AwsSigning> aws;
};

// What providers use on the runner.
struct ProviderContext {
    http::ConnectionPool* http = nullptr;  // nullptr: this runner cannot make HTTPS calls (no CAs), said at start
    config::Environment environment;
    // The runner policy's `endpoints`: whether credentials may go to host:port.
    std::function<bool(std::string_view host, std::uint16_t port)> endpoint_allowed;
    // For each request a provider makes to get credentials (STS, IMDS, ECS).
    std::chrono::milliseconds request_timeout{10'000};
    std::string runner;  // names AssumeRole sessions
};

class Provider {
public:
    virtual ~Provider() = default;
    virtual std::string_view name() const = 0;

    // Whether the provider itself would send this connection's credentials
    // to the call's host (AWS: its own domains and configured endpoints;
    // Kubernetes: the cluster's API server). The runner's policy must
    // agree as well.
    virtual bool sends_credentials_to(const ConnectionConfig& connection, const Call& call,
                                      const ProviderContext& context) const = 0;

    // Resolves the connection's credentials (cached until shortly before
    // they expire; inline ones never) and authorises `call` with them.
    virtual boost::asio::awaitable<Result<Done>> authorize(const ConnectionConfig& connection, Call& call,
                                                           ProviderContext& context) = 0;
};

class Registry {
public:
    // already_exists for a name registered twice: a wiring bug.
    Result<Done> add(std::unique_ptr<Provider> provider);
    Provider* find(std::string_view name) const;
    std::vector<std::string> names() const;

private:
    std::map<std::string, std::unique_ptr<Provider>, std::less<>> providers_;
};

struct BuiltinOptions {
    // The exec provider's program, from the runner's own config; without
    // one there is no exec provider.
    std::optional<std::filesystem::path> exec_command;
    std::vector<std::string> exec_args;
    std::chrono::milliseconds exec_timeout{30'000};
};

// aws, kubernetes and, when the runner names a program, exec.
void register_builtin_providers(Registry& registry, const BuiltinOptions& options = {});

// The one way an operation gets a call authorised: permission_denied,
// before any credential is resolved, when the connection's provider is not
// registered or when the provider or the runner's policy would not send
// credentials to the call's host.
boost::asio::awaitable<Result<Done>> authorize_call(const Registry& registry, const ConnectionConfig& connection,
                                                    Call& call, ProviderContext& context);

}  // namespace tether::providers
