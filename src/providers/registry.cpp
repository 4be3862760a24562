#include "tether/providers/provider.h"

#include "tether/providers/aws/provider.h"
#include "tether/providers/exec/provider.h"
#include "tether/providers/kubernetes/provider.h"

namespace tether::providers {

const Registry& builtin_providers() {
    static const Registry registry = [] {
        Registry builtin;
        // One line per provider; a name taken twice stops every mode at start.
        for (auto* add : {&aws::factory, &kubernetes::factory, &exec::factory}) {
            if (auto added = builtin.add(add()); !added) fail(ExitCode::internal, added.error().message);
        }
        return builtin;
    }();
    return registry;
}

Result<Done> Registry::add(std::unique_ptr<ProviderFactory> factory) {
    std::string name(factory->name());
    if (factories_.count(name) != 0) return Error{ErrorKind::already_exists, "provider '" + name + "' is registered twice"};
    factories_.emplace(std::move(name), std::move(factory));
    return Done{};
}

Result<const ProviderFactory*> Registry::find(std::string_view name) const {
    auto found = factories_.find(name);
    if (found != factories_.end()) return found->second.get();
    std::string names;
    for (const auto& known : this->names()) names += (names.empty() ? "" : ", ") + known;
    return Error{ErrorKind::invalid_argument,
                 "unknown provider '" + std::string(name.substr(0, 40)) + "' (this tether has " + names + ")"};
}

std::vector<std::string> Registry::names() const {
    std::vector<std::string> names;
    for (const auto& [name, factory] : factories_) names.push_back(name);
    return names;
}

Result<nlohmann::json> Registry::check_definition(const ConnectionDefinition& definition) const {
    auto factory = find(definition.provider);
    if (!factory) return factory.error();
    return providers::check_definition(definition.provider, factory.value()->rules(), definition);
}

Providers::Providers(const Registry& registry, const BuiltinOptions& options) : registry_(registry) {
    for (const auto& name : registry.names()) {
        if (auto provider = registry.find(name).value()->create(options)) providers_.emplace(name, std::move(provider));
    }
}

Provider* Providers::find(std::string_view name) const {
    auto found = providers_.find(name);
    return found == providers_.end() ? nullptr : found->second.get();
}

std::vector<std::string> Providers::names() const {
    std::vector<std::string> names;
    for (const auto& [name, provider] : providers_) names.push_back(name);
    return names;
}

boost::asio::awaitable<Result<Done>> authorize_call(const Providers& providers, const Connection& connection,
                                                    Call& call, ProviderContext& context) {
    Provider* provider = providers.find(connection.provider);
    if (provider == nullptr) {
        co_return Error{ErrorKind::permission_denied, "this runner has no provider " + connection.provider};
    }
    const HostPort& peer = call.request.url.authority;
    if (!provider->sends_credentials_to(connection, call, context)) {
        co_return Error{ErrorKind::permission_denied, "provider " + connection.provider +
                                                          " does not send credentials to " + peer.to_string() +
                                                          " (not one of its endpoints or the connection's)"};
    }
    if (!context.endpoint_allowed || !context.endpoint_allowed(peer.host, peer.port)) {
        co_return Error{ErrorKind::permission_denied,
                        "this runner's policy does not allow sending credentials to " + peer.to_string()};
    }
    co_return co_await provider->authorize(connection, call, context);
}

}  // namespace tether::providers
