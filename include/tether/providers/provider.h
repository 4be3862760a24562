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
    virtual bool sends_credentials_to(const Connection& connection, const Call& call,
                                      const ProviderContext& context) const = 0;

    // Resolves the connection's credentials (cached until shortly before
    // they expire; inline ones never) and authorises `call` with them.
    virtual boost::asio::awaitable<Result<Done>> authorize(const Connection& connection, Call& call,
                                                           ProviderContext& context) = 0;
};

struct BuiltinOptions {
    // The exec provider's program, from the runner's own config; without
    // one there is no exec provider.
    std::optional<std::filesystem::path> exec_command;
    std::vector<std::string> exec_args;
    std::chrono::milliseconds exec_timeout{30'000};
};

// What the registry keeps for each provider: its name, its connection
// rules (the server checks definitions with them, the runner what it
// receives) and how a runner makes the provider itself.
class ProviderFactory {
public:
    virtual ~ProviderFactory() = default;
    virtual std::string_view name() const = 0;
    virtual const ConnectionRules& rules() const = 0;
    // The provider on a runner; nullptr when the runner's own
    // configuration leaves it out (exec without a program).
    virtual std::unique_ptr<Provider> create(const BuiltinOptions& options) const = 0;
};

// The factory of a provider that takes nothing from the runner's config.
template <typename ProviderType>
class PlainFactory final : public ProviderFactory {
public:
    PlainFactory(std::string_view name, const ConnectionRules& rules) : name_(name), rules_(rules) {}
    std::string_view name() const override { return name_; }
    const ConnectionRules& rules() const override { return rules_; }
    std::unique_ptr<Provider> create(const BuiltinOptions& /*options*/) const override {
        return std::make_unique<ProviderType>();
    }

private:
    std::string_view name_;
    const ConnectionRules& rules_;
};

class Registry {
public:
    // already_exists for a name registered twice: a wiring bug.
    Result<Done> add(std::unique_ptr<ProviderFactory> factory);
    // invalid_argument "unknown provider 'x' (this tether has aws, …)".
    Result<const ProviderFactory*> find(std::string_view name) const;
    std::vector<std::string> names() const;

    // A definition checked against its provider's rules (check_definition).
    Result<nlohmann::json> check_definition(const ConnectionDefinition& definition) const;

private:
    std::map<std::string, std::unique_ptr<ProviderFactory>, std::less<>> factories_;
};

// Every provider this tether has: one line each in registry.cpp.
const Registry& builtin_providers();

// The providers a runner made from a registry, by name.
class Providers {
public:
    Providers(const Registry& registry, const BuiltinOptions& options);
    const Registry& registry() const { return registry_; }
    // nullptr when this runner has no such provider.
    Provider* find(std::string_view name) const;
    std::vector<std::string> names() const;

private:
    const Registry& registry_;
    std::map<std::string, std::unique_ptr<Provider>, std::less<>> providers_;
};

// The one way an operation gets a call authorised: permission_denied,
// before any credential is resolved, when the connection's provider is not
// on this runner or when the provider or the runner's policy would not
// send credentials to the call's host.
boost::asio::awaitable<Result<Done>> authorize_call(const Providers& providers, const Connection& connection,
                                                    Call& call, ProviderContext& context);

}  // namespace tether::providers
