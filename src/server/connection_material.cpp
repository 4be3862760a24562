#include "connection_material.h"

#include <nlohmann/json.hpp>

#include "tether/crypto/envelope.h"
#include "tether/providers/connection.h"
#include "tether/core/json.h"

namespace tether::server {

// Moving a sealed record to another connection (or another org's
// connection of the same name) makes it fail to open.
std::string connection_record_identity(std::string_view org, std::string_view name) {
    return "tether connection credentials\n" + std::string(org) + "\n" + std::string(name);
}

Result<std::string> seal_connection_credentials(const Secret& master_key, std::string_view org, std::string_view name,
                                                const Secret& credentials) {
    return crypto::seal(master_key, connection_record_identity(org, name), credentials.reveal());
}

Result<Secret> open_connection_credentials(const Secret& master_key, const store::Connection& connection) {
    if (!connection.sealed_credentials) return Secret();
    auto opened = crypto::open(master_key, connection_record_identity(connection.org, connection.name),
                               *connection.sealed_credentials);
    if (!opened) {
        return Error{opened.error().kind == ErrorKind::permission_denied ? ErrorKind::failed_precondition
                                                                           : ErrorKind::internal,
                     "cannot open the inline credentials of connection " + connection.name + ": " +
                         opened.error().message};
    }
    return opened;
}

Result<Secret> connection_config_json(const store::Connection& connection, const Secret* master_key) {
    nlohmann::json config = {{"provider", connection.provider},
                             {"auth_mode", connection.auth_mode},
                             {"settings", nlohmann::json::parse(connection.settings, nullptr, false)}};
    if (!config["settings"].is_object()) {
        return Error{ErrorKind::internal, "connection " + connection.name + " has unreadable settings in the store"};
    }
    if (connection.sealed_credentials) {
        if (master_key == nullptr) {
            return Error{ErrorKind::failed_precondition,
                         "connection " + connection.name + " has inline credentials and this server has no master key"};
        }
        auto opened = open_connection_credentials(*master_key, connection);
        if (!opened) return opened.error();
        config["credentials"] = std::string(opened.value().reveal());
    }
    std::string dumped = config.dump();
    Secret text(dumped);
    wipe(dumped);
    wipe_json(config);
    return text;
}

}  // namespace tether::server
