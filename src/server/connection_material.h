#pragma once

// Inline credentials at rest and on their way to a runner: sealed under
// the master key with the connection's org and name bound to the record,
// and opened only to build the request that uses them. Private to src/server.
#include <cstdint>
#include <string>
#include <string_view>

#include "tether/core/error.h"
#include "tether/core/secret.h"
#include "tether/store/connections.h"
#include "tether/store/database.h"

namespace tether::server {

// What a connection's sealed credentials are bound to: its org and name.
std::string connection_record_identity(std::string_view org, std::string_view name);

Result<std::string> seal_connection_credentials(const Secret& master_key, std::string_view org, std::string_view name,
                                                const Secret& credentials);

// A connection's inline credentials, opened; failed_precondition when the
// master key is not the one they were sealed under.
Result<Secret> open_connection_credentials(const Secret& master_key, const store::Connection& connection);

// The connection as a request's connection_config (docs/protocol.md): a
// JSON object with its provider, auth mode, settings and, for inline, the
// opened credentials, which is why it comes as a Secret. failed_precondition
// when the credentials cannot be opened (no or another master key).
Result<Secret> connection_config_json(const store::Connection& connection, const Secret* master_key);

}  // namespace tether::server
