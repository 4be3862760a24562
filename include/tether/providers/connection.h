#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tether/core/error.h"
#include "tether/core/secret.h"

// What a connection is made of, shared by the server (which checks a
// definition when an admin creates it) and the runner (which receives it
// with a request): the provider, the auth mode, settings that are never
// secret, and for `inline` the credentials themselves.
namespace tether::providers {

namespace auth_mode {
inline constexpr std::string_view inline_credentials = "inline";
inline constexpr std::string_view runner_delegated = "runner-delegated";
inline constexpr std::string_view cross_account = "cross-account";
}  // namespace auth_mode

// The providers a connection may name, in the order `connection create --help` lists them.
const std::vector<std::string>& provider_names();

// A connection as an admin defines it. Settings are strings by key
// (`--set key=value`); inline credentials are the text of a file.
struct ConnectionDefinition {
    std::string provider;
    std::string auth_mode;
    std::vector<std::pair<std::string, std::string>> settings;
    const Secret* inline_credentials = nullptr;  // inline only
};

// Checks a definition: the provider exists and supports the auth mode,
// each setting is one it knows with a well-formed value, settings a mode
// requires are there, and inline credentials (required for inline and
// refused otherwise) have the provider's form. Returns the settings as a
// JSON object of strings; invalid_argument naming the first problem, never
// quoting credential material.
Result<nlohmann::json> check_definition(const ConnectionDefinition& definition);

// A connection as the runner receives it with a request.
struct ConnectionConfig {
    std::string name;
    std::string provider;
    std::string auth_mode;
    nlohmann::json settings = nlohmann::json::object();  // strings by key
    Secret inline_credentials;                           // empty unless inline

    // The settings value, or "" when the connection has none.
    std::string setting(std::string_view key) const;
    // The same, nullopt when absent or empty.
    std::optional<std::string> optional_setting(std::string_view key) const;
};

// The connection a request carries (the tunnel's connection_config, a JSON
// object {"provider", "auth_mode", "settings": {strings}, "credentials"?}),
// read on the runner; invalid_argument naming the problem, never quoting
// the credentials.
Result<ConnectionConfig> parse_connection(std::string name, const Secret& json_text);

}  // namespace tether::providers
