#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tether/core/error.h"
#include "tether/core/secret.h"

// What a connection is made of, and the rules a provider sets for it. The
// same rules run on the server (which checks a definition when an admin
// creates or updates it) and on the runner (which checks what it received,
// its references resolved, before it executes anything with it).
namespace tether::providers {

namespace auth_mode {
inline constexpr std::string_view inline_credentials = "inline";
inline constexpr std::string_view runner_delegated = "runner-delegated";
inline constexpr std::string_view cross_account = "cross-account";
}  // namespace auth_mode

// A connection as an admin defines it. Settings are strings by key
// (`--set key=value`); inline credentials are the text of a file.
struct ConnectionDefinition {
    std::string provider;
    std::string auth_mode;
    std::vector<std::pair<std::string, std::string>> settings;
    const Secret* inline_credentials = nullptr;  // inline only
};

// A connection as the runner executes it: the provider, the auth mode,
// settings that are never secret, and for `inline` the credentials.
struct Connection {
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
Result<Connection> parse_connection(std::string name, const Secret& json_text);

// Why a value is wrong, completing "setting KEY must be …" ("a region such
// as eu-west-1"), or nothing when it is right.
using ValueCheck = std::function<std::optional<std::string>(std::string_view value)>;

struct SettingRule {
    std::string_view key;
    std::vector<std::string_view> modes;  // the auth modes it applies to
    ValueCheck check;
    bool required = false;  // in each of `modes`
    std::size_t max_bytes = 4096;
};

struct ConnectionRules {
    std::vector<std::string_view> modes;  // the auth modes the provider has
    std::vector<SettingRule> settings;
    // Inline credentials: why the text is not of the provider's form, if
    // it is not ("a JSON object with access_key_id and …").
    ValueCheck credentials;
    // What no single setting can say: why these settings (strings by key)
    // do not fit together in this mode, if they do not.
    std::function<std::optional<std::string>(const nlohmann::json& settings, std::string_view mode)> consistent;
};

// Checks a definition against its provider's rules: the provider supports
// the auth mode, each setting is one it knows with a well-formed value,
// settings a mode requires are there, and inline credentials (required for
// inline, refused otherwise) have the provider's form. A value holding a
// reference (${secret:…}) is checked once the runner has resolved it; here
// only the reference is. Returns the settings as a JSON object of strings;
// invalid_argument naming the first problem, never quoting credentials.
Result<nlohmann::json> check_definition(std::string_view provider, const ConnectionRules& rules,
                                        const ConnectionDefinition& definition);

// The same rules on the runner, for a connection as it arrived with its
// references resolved: every value is checked now.
Result<Done> check_connection(const ConnectionRules& rules, const Connection& connection);

// Value checks providers share.
namespace check {
// `shortest` to `longest` characters, each a letter, a digit or one of
// `extra`; `what` is the message.
ValueCheck characters(std::size_t shortest, std::size_t longest, std::string_view extra, std::string what);
std::optional<std::string> http_url(std::string_view value);
std::optional<std::string> https_url(std::string_view value);
std::optional<std::string> pem_certificates(std::string_view value);
}  // namespace check

}  // namespace tether::providers
