#include "tether/providers/provider.h"

#include "tether/providers/aws/provider.h"
#include "tether/providers/exec/provider.h"
#include "tether/providers/kubernetes/provider.h"

namespace tether::providers {

Result<Done> Registry::add(std::unique_ptr<Provider> provider) {
    std::string name(provider->name());
    if (providers_.count(name) != 0) return Error{ErrorKind::already_exists, "provider '" + name + "' is registered twice"};
    providers_.emplace(std::move(name), std::move(provider));
    return Done{};
}

Provider* Registry::find(std::string_view name) const {
    auto found = providers_.find(name);
    return found == providers_.end() ? nullptr : found->second.get();
}

std::vector<std::string> Registry::names() const {
    std::vector<std::string> names;
    for (const auto& [name, provider] : providers_) names.push_back(name);
    return names;
}

void register_builtin_providers(Registry& registry, const BuiltinOptions& options) {
    (void)registry.add(std::make_unique<aws::AwsProvider>());
    (void)registry.add(std::make_unique<kubernetes::KubernetesProvider>());
    if (options.exec_command) {
        (void)registry.add(std::make_unique<exec::ExecProvider>(
            exec::ExecPlugin{*options.exec_command, options.exec_args, options.exec_timeout}));
    }
}

boost::asio::awaitable<Result<Done>> authorize_call(const Registry& registry, const ConnectionConfig& connection,
                                                    Call& call, ProviderContext& context) {
    Provider* provider = registry.find(connection.provider);
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
