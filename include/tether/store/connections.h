#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tether/core/error.h"
#include "tether/store/database.h"

// Connections: an org's named targets for operations (a provider, an auth
// mode and its settings). Inline credentials are kept only as a sealed
// envelope record (crypto/envelope.h); this layer never sees them in clear.
// Deleting a connection keeps its row for the audit trail and drops its
// sealed credentials.
namespace tether::store {

struct Connection {
    std::int64_t id = 0;
    std::int64_t org_id = 0;
    std::string org;
    std::string name;
    std::string provider;   // "aws", "kubernetes", "exec"
    std::string auth_mode;  // "inline", "runner-delegated", "cross-account"
    std::string settings;   // JSON object text; never credential material
    std::optional<std::string> sealed_credentials;  // inline only
    std::string created_by;
    std::int64_t created_at = 0;
};

// already_exists when the org has a live connection of that name.
Result<Connection> insert_connection(const Database& database, const Connection& connection);
// Live connections only; not_found naming it otherwise.
Result<Connection> find_connection(const Database& database, std::int64_t org_id, std::string_view name);
// The org's live connections by name.
Result<std::vector<Connection>> list_connections(const Database& database, std::int64_t org_id);
Result<Done> delete_connection(const Database& database, std::int64_t id, std::int64_t now);
// A live connection's auth mode, settings and sealed credentials, as given
// (its provider and name stay); not_found when it is gone.
Result<Connection> update_connection(const Database& database, const Connection& connection);

}  // namespace tether::store
